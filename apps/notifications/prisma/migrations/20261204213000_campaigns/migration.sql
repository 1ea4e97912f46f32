-- Bulk sends (NTF-04, docs/notification-admin.md#bulk-sends).

-- Orders flagged late (orders.order.delayed) and not settled since (delivered, cancelled,
-- refunded, returned): the read model the `delayed_orders` segment is found in. Orders flagged
-- before this table are added by a replay of the ORDERS stream into the consumer.
CREATE TABLE "delayed_orders" (
    "order_id" UUID NOT NULL,
    "customer_id" TEXT NOT NULL,
    "late_since" TIMESTAMPTZ(3) NOT NULL,
    "promise" JSONB,
    "flagged_at" TIMESTAMPTZ(3) NOT NULL,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "delayed_orders_pkey" PRIMARY KEY ("order_id")
);
CREATE INDEX "delayed_orders_late_since_idx" ON "delayed_orders"("late_since") WHERE "settled_at" IS NULL;

-- One campaign per name: posting the name again runs it again.
CREATE TABLE "notification_campaigns" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "segment" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "sends_per_minute" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_run_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "notification_campaigns_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "notification_campaigns_name_key" ON "notification_campaigns"("name");

-- Exactly one row per campaign and customer: the key that stops a second message, whatever
-- reruns or restarts happen. A row becomes `planned` (or `skipped`) in the transaction that
-- plans its notification.
CREATE TABLE "campaign_recipients" (
    "campaign_id" UUID NOT NULL,
    "customer_id" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "notification_id" UUID,
    "queued_at" TIMESTAMPTZ(3) NOT NULL,
    "released_at" TIMESTAMPTZ(3),

    CONSTRAINT "campaign_recipients_pkey" PRIMARY KEY ("campaign_id", "customer_id"),
    CONSTRAINT "campaign_recipients_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "notification_campaigns"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "campaign_recipients_campaign_id_status_queued_at_idx" ON "campaign_recipients"("campaign_id", "status", "queued_at");
