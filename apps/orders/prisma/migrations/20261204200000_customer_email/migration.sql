-- Ops search orders by the customer's email, any case: the snapshot's email in lower case in a
-- column of its own (the snapshot never changes after the order is placed), indexed for the
-- newest-first list.

ALTER TABLE "orders" ADD COLUMN "customer_email" TEXT;
UPDATE "orders" SET "customer_email" = lower("customer"->>'email');
ALTER TABLE "orders" ALTER COLUMN "customer_email" SET NOT NULL;

-- CreateIndex
CREATE INDEX "orders_customer_email_created_at_id_idx" ON "orders"("customer_email", "created_at", "id");
