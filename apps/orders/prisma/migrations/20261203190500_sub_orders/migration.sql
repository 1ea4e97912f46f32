-- CreateTable
CREATE TABLE "sub_orders" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "vendor_id" TEXT NOT NULL,
    "vendor_type" TEXT NOT NULL,
    "item_ids" UUID[],
    "subtotal" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "fulfillment_status" TEXT NOT NULL,
    "units" JSONB NOT NULL,
    "parcels" JSONB NOT NULL DEFAULT '[]',
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sub_orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sub_order_history" (
    "id" UUID NOT NULL,
    "sub_order_id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "previous_status" TEXT,
    "fulfillment_status" TEXT NOT NULL,
    "details" TEXT,
    "actor" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sequence" BIGSERIAL NOT NULL,

    CONSTRAINT "sub_order_history_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sub_orders_number_key" ON "sub_orders"("number");

-- CreateIndex
CREATE INDEX "sub_orders_vendor_id_created_at_id_idx" ON "sub_orders"("vendor_id", "created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "sub_orders_order_id_vendor_id_key" ON "sub_orders"("order_id", "vendor_id");

-- CreateIndex
CREATE UNIQUE INDEX "sub_orders_order_id_position_key" ON "sub_orders"("order_id", "position");

-- CreateIndex
CREATE INDEX "sub_order_history_sub_order_id_created_at_idx" ON "sub_order_history"("sub_order_id", "created_at");

-- AddForeignKey
ALTER TABLE "sub_orders" ADD CONSTRAINT "sub_orders_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sub_order_history" ADD CONSTRAINT "sub_order_history_sub_order_id_fkey" FOREIGN KEY ("sub_order_id") REFERENCES "sub_orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
