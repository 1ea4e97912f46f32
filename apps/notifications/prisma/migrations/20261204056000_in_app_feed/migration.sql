-- The in-app channel (docs/in-app-feed.md): its preference switches and the customer's feed.
ALTER TABLE "customer_preferences" ADD COLUMN "in_app" JSONB NOT NULL DEFAULT '{}';

CREATE TABLE "feed_items" (
    "id" UUID NOT NULL,
    "customer_id" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "notice" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "link" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "read_at" TIMESTAMPTZ(3),

    CONSTRAINT "feed_items_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "feed_items_order_id_notice_key" ON "feed_items"("order_id", "notice");
CREATE INDEX "feed_items_customer_id_created_at_id_idx" ON "feed_items"("customer_id", "created_at" DESC, "id" DESC);
