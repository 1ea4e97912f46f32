-- The delivery promise of an order (docs/delivery-promise.md).
CREATE TABLE "delivery_promises" (
    "order_id" UUID NOT NULL,
    "delivery_type" TEXT NOT NULL,
    "earliest" TIMESTAMPTZ(3) NOT NULL,
    "latest" TIMESTAMPTZ(3) NOT NULL,
    "basis" JSONB NOT NULL,
    "estimated_delivery" TIMESTAMPTZ(3),
    "delayed_at" TIMESTAMPTZ(3),
    "delay_reason" TEXT,
    "promise_met" BOOLEAN,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "delivery_promises_pkey" PRIMARY KEY ("order_id")
);

CREATE INDEX "delivery_promises_delayed_at_order_id_idx" ON "delivery_promises"("delayed_at", "order_id");

ALTER TABLE "delivery_promises" ADD CONSTRAINT "delivery_promises_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
