-- Returns (docs/requirements.md#returns) and ops refunds: a refund may pay back a return (once
-- per return), name who asked for it (an ops refund, audited by the acting key), who recorded
-- it made on a sales channel, and carry the lines its credit note shows. Every refund that credits an invoice gets a credit note with its
-- own gap-free number (`CN-2026-000001`), assigned in the last statement before commit.

-- AlterTable
ALTER TABLE "refunds" ADD COLUMN "return_id" UUID,
ADD COLUMN "requested_by" TEXT,
ADD COLUMN "confirmed_by" TEXT,
ADD COLUMN "credit_lines" JSONB;

-- CreateIndex
CREATE UNIQUE INDEX "refunds_return_id_key" ON "refunds"("return_id");

-- CreateTable
CREATE TABLE "credit_notes" (
    "id" UUID NOT NULL,
    "number" TEXT,
    "invoice_id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "refund_id" UUID NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "lines" JSONB NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "credit_notes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "credit_notes_number_key" ON "credit_notes"("number");

-- CreateIndex
CREATE UNIQUE INDEX "credit_notes_refund_id_key" ON "credit_notes"("refund_id");

-- CreateIndex
CREATE INDEX "credit_notes_order_id_idx" ON "credit_notes"("order_id");

-- AddForeignKey
ALTER TABLE "credit_notes" ADD CONSTRAINT "credit_notes_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
