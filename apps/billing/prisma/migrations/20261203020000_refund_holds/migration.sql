-- CreateTable
CREATE TABLE "refund_holds" (
    "order_id" UUID NOT NULL,
    "reason" TEXT,
    "held_at" TIMESTAMPTZ(3),
    "supplier_outcome" TEXT,
    "supplier_settled_at" TIMESTAMPTZ(3),
    "released_at" TIMESTAMPTZ(3),

    CONSTRAINT "refund_holds_pkey" PRIMARY KEY ("order_id")
);
