-- Hubs managed by ops (FUL-02): priority and per-parcel cost; stock with the next restock;
-- short-stock policies and backordered reservations (FUL-03).
ALTER TABLE "hubs" ADD COLUMN "cost_per_shipment" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

ALTER TABLE "hub_stock" ADD COLUMN "restock_expected_at" TIMESTAMPTZ(3),
ADD COLUMN "restock_quantity" INTEGER;

ALTER TABLE "reservations" ADD COLUMN "expected_at" TIMESTAMPTZ(3);

ALTER TABLE "fulfillment_order_items" ADD COLUMN "substitute_for" TEXT;

CREATE TABLE "stock_policies" (
    "sku" TEXT NOT NULL,
    "policy" TEXT,
    "substitute_sku" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stock_policies_pkey" PRIMARY KEY ("sku")
);

CREATE INDEX "reservations_sku_status_created_at_idx" ON "reservations"("sku", "status", "created_at");
