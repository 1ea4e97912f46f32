-- Notifications become one per (order, status, channel) instead of one per (order, template, channel).
-- Existing rows are all order-confirmation emails: they announce the confirmed order, so a
-- `confirmed` status change for such an order finds its email already sent and sends no second one.
ALTER TABLE "notifications" ADD COLUMN "order_status" TEXT;
UPDATE "notifications" SET "order_status" = CASE "template" WHEN 'order-confirmation' THEN 'confirmed' ELSE "template" END;
ALTER TABLE "notifications" ALTER COLUMN "order_status" SET NOT NULL;
ALTER TABLE "notifications" ADD COLUMN "html" TEXT,
ADD COLUMN "body" TEXT,
ADD COLUMN "scheduled_for" TIMESTAMPTZ(3),
ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN "failed_at" TIMESTAMPTZ(3);

-- DropIndex
DROP INDEX "notifications_order_id_template_channel_key";

-- CreateIndex
CREATE UNIQUE INDEX "notifications_order_id_order_status_channel_key" ON "notifications"("order_id", "order_status", "channel");

-- CreateTable
CREATE TABLE "order_contexts" (
    "order_id" UUID NOT NULL,
    "customer_id" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "items" JSONB NOT NULL,
    "totals" JSONB NOT NULL,
    "shipping_address" JSONB NOT NULL,
    "customer" JSONB NOT NULL,
    "order_created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_contexts_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "customer_preferences" (
    "customer_id" TEXT NOT NULL,
    "email" JSONB NOT NULL,
    "sms" JSONB NOT NULL,
    "push" JSONB NOT NULL,
    "language" TEXT,
    "timezone" TEXT,
    "quiet_hours_start" TEXT,
    "quiet_hours_end" TEXT,
    "phone_number" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_preferences_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "customer_devices" (
    "token" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_devices_pkey" PRIMARY KEY ("token")
);

-- CreateTable
CREATE TABLE "timers" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "fire_at" TIMESTAMPTZ(3) NOT NULL,
    "fired_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "timers_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "order_contexts_customer_id_order_created_at_idx" ON "order_contexts"("customer_id", "order_created_at");

-- CreateIndex
CREATE INDEX "customer_devices_customer_id_idx" ON "customer_devices"("customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "timers_kind_key_key" ON "timers"("kind", "key");

-- CreateIndex
CREATE INDEX "timers_fired_at_fire_at_idx" ON "timers"("fired_at", "fire_at");
