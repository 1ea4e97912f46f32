-- The order's delivery promise, for the confirmation (docs/delivery-promise.md).
CREATE TABLE "order_promises" (
    "order_id" UUID NOT NULL,
    "delivery_type" TEXT NOT NULL,
    "earliest" TIMESTAMPTZ(3) NOT NULL,
    "latest" TIMESTAMPTZ(3) NOT NULL,
    "promised_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "order_promises_pkey" PRIMARY KEY ("order_id")
);
