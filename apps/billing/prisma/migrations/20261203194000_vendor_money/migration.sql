-- Per-vendor money (BIL-02 allocations, BIL-03 payouts): the order's items with their
-- vendors; refunds say whom they take back from; the vendors' payout ledger, connected
-- accounts and payout statements. Orders billed before this migration have no items here
-- and are not allocated.

-- AlterTable
ALTER TABLE "invoices" ADD COLUMN "order_number" TEXT;

-- CreateTable
CREATE TABLE "order_items" (
    "order_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "sku" TEXT NOT NULL,
    "variant_id" TEXT NOT NULL,
    "vendor_id" TEXT NOT NULL,
    "vendor_type" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price" INTEGER NOT NULL,

    CONSTRAINT "order_items_pkey" PRIMARY KEY ("order_id","position")
);

-- AlterTable
ALTER TABLE "payments" ADD COLUMN "vendor_weights" JSONB;

-- AlterTable
ALTER TABLE "refunds" ADD COLUMN "vendor_amounts" JSONB,
ADD COLUMN "cancellation_id" UUID;

-- CreateTable
CREATE TABLE "vendor_ledger_entries" (
    "id" UUID NOT NULL,
    "vendor_id" TEXT NOT NULL,
    "vendor_type" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "order_id" UUID,
    "order_number" TEXT,
    "reference" UUID NOT NULL,
    "statement_id" UUID,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vendor_ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vendor_payout_accounts" (
    "vendor_id" TEXT NOT NULL,
    "stripe_account_id" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vendor_payout_accounts_pkey" PRIMARY KEY ("vendor_id")
);

-- CreateTable
CREATE TABLE "payout_statements" (
    "id" UUID NOT NULL,
    "vendor_id" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "period_start" TIMESTAMPTZ(3),
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "opening_balance" INTEGER NOT NULL,
    "earnings" INTEGER NOT NULL,
    "fees" INTEGER NOT NULL,
    "refunds" INTEGER NOT NULL,
    "fee_reversals" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "amount_paid" INTEGER NOT NULL DEFAULT 0,
    "closing_balance" INTEGER NOT NULL,
    "destination" TEXT,
    "transfer_id" TEXT,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payout_statements_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "refunds_cancellation_id_key" ON "refunds"("cancellation_id");

-- CreateIndex
CREATE INDEX "vendor_ledger_entries_vendor_id_currency_at_idx" ON "vendor_ledger_entries"("vendor_id", "currency", "at");

-- CreateIndex
CREATE INDEX "vendor_ledger_entries_order_id_idx" ON "vendor_ledger_entries"("order_id");

-- CreateIndex
CREATE INDEX "vendor_ledger_entries_statement_id_idx" ON "vendor_ledger_entries"("statement_id");

-- CreateIndex
CREATE UNIQUE INDEX "vendor_ledger_entries_kind_vendor_id_reference_key" ON "vendor_ledger_entries"("kind", "vendor_id", "reference");

-- CreateIndex
CREATE INDEX "payout_statements_vendor_id_created_at_idx" ON "payout_statements"("vendor_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "payout_statements_vendor_id_currency_sequence_key" ON "payout_statements"("vendor_id", "currency", "sequence");
