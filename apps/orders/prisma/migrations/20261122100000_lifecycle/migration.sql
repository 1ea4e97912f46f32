-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "fulfillment_started" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "tracking_carrier" TEXT,
ADD COLUMN     "tracking_number" TEXT;

-- AlterTable
ALTER TABLE "order_items" ADD COLUMN     "price_book_entry_id" UUID,
ADD COLUMN     "price_resolved_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "price_source" TEXT NOT NULL DEFAULT 'BESPOKE';

-- AlterTable
ALTER TABLE "order_status_history" ADD COLUMN     "sequence" BIGSERIAL NOT NULL;

-- CreateTable
CREATE TABLE "price_book_entries" (
    "id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "variant_id" TEXT,
    "source" TEXT NOT NULL,
    "region" TEXT,
    "customer_id" TEXT,
    "currency" CHAR(3) NOT NULL,
    "unit_price" INTEGER NOT NULL,
    "valid_from" TIMESTAMPTZ(3),
    "valid_to" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "price_book_entries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "price_book_entries_sku_currency_idx" ON "price_book_entries"("sku", "currency");

-- CreateIndex
CREATE INDEX "orders_created_at_id_idx" ON "orders"("created_at", "id");

-- CreateIndex
CREATE INDEX "orders_customer_id_created_at_id_idx" ON "orders"("customer_id", "created_at", "id");
