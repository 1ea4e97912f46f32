-- A re-routed part may go to a supplier that already has an order in the same attempt.
DROP INDEX "supplier_orders_order_id_supplier_attempt_key";

-- AlterTable
ALTER TABLE "supplier_orders" ADD COLUMN "replaces" UUID;

-- CreateIndex
CREATE INDEX "supplier_orders_order_id_attempt_idx" ON "supplier_orders"("order_id", "attempt");

-- CreateTable
CREATE TABLE "fulfillment_policies" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "fulfillment_policies_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "sku_sources" (
    "sku" TEXT NOT NULL,
    "sources" TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "sku_sources_pkey" PRIMARY KEY ("sku")
);
