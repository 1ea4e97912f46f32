-- CreateTable
CREATE TABLE "item_cancellations" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "cause" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "items" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "item_cancellations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "item_cancellations_order_id_idx" ON "item_cancellations"("order_id");
