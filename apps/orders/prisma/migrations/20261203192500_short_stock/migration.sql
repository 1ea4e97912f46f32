-- Short stock (FUL-03): the customer's policy per order, what it did per line, and the read
-- model of fulfillment's availability.
ALTER TABLE "orders" ADD COLUMN "short_stock_policy" TEXT;

ALTER TABLE "order_items" ADD COLUMN "short_stock" JSONB;

CREATE TABLE "stock_availability" (
    "sku" TEXT NOT NULL,
    "available" INTEGER NOT NULL,
    "policy" TEXT,
    "substitute_sku" TEXT,
    "restock_expected_at" TIMESTAMPTZ(3),
    "reported_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stock_availability_pkey" PRIMARY KEY ("sku")
);
