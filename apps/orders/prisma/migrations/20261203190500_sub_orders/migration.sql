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

-- Backfill (ORD-05): orders placed before the split get their sub-orders, numbered as the split
-- numbers them (vendors in order of first appearance), in the status their order implies.
WITH parts AS (
    SELECT "order_id", "vendor_id", min("vendor_type") AS "vendor_type", min("position") AS "first_position",
           array_agg("id" ORDER BY "position") AS "item_ids", sum("line_total")::int AS "subtotal", sum("quantity")::int AS "quantity"
    FROM "order_items"
    GROUP BY "order_id", "vendor_id"
), numbered AS (
    SELECT p.*, row_number() OVER (PARTITION BY p."order_id" ORDER BY p."first_position")::int AS "suffix",
           CASE
               WHEN o."status" = 'packed' THEN 'processing'
               WHEN o."status" = 'out_for_delivery' THEN 'shipped'
               WHEN o."status" IN ('delayed', 'exception') AND o."fulfillment_status" = 'not_fulfilled' THEN 'processing'
               WHEN o."status" IN ('delayed', 'exception') THEN 'shipped'
               ELSE o."status"
           END AS "sub_status",
           o."number" AS "order_number", o."fulfillment_status", o."created_at", o."updated_at"
    FROM parts p JOIN "orders" o ON o."id" = p."order_id"
)
INSERT INTO "sub_orders" ("id", "order_id", "position", "number", "vendor_id", "vendor_type", "item_ids", "subtotal",
                          "status", "fulfillment_status", "units", "parcels", "version", "created_at", "updated_at")
SELECT gen_random_uuid(), n."order_id", n."suffix",
       'ORD-' || lpad(n."order_number"::text, greatest(6, length(n."order_number"::text)), '0') || '-' || n."suffix",
       n."vendor_id", n."vendor_type", n."item_ids", n."subtotal", n."sub_status", n."fulfillment_status",
       jsonb_build_object(
           'ordered', n."quantity",
           'shipped', CASE WHEN n."sub_status" IN ('shipped', 'delivered', 'returned') OR n."fulfillment_status" = 'returned' THEN n."quantity" ELSE 0 END,
           'delivered', CASE WHEN n."sub_status" IN ('delivered', 'returned') OR n."fulfillment_status" = 'returned' THEN n."quantity" ELSE 0 END,
           'returned', CASE WHEN n."fulfillment_status" = 'returned' THEN n."quantity" ELSE 0 END,
           'cancelled', CASE WHEN n."fulfillment_status" = 'cancelled' THEN n."quantity" ELSE 0 END),
       '[]', 0, n."created_at", n."updated_at"
FROM numbered n
WHERE NOT EXISTS (SELECT 1 FROM "sub_orders" s WHERE s."order_id" = n."order_id");

INSERT INTO "sub_order_history" ("id", "sub_order_id", "status", "previous_status", "fulfillment_status", "details", "actor", "created_at")
SELECT gen_random_uuid(), s."id", s."status", NULL, s."fulfillment_status", 'Split from the order by vendor (order placed before the split)', 'orders', s."created_at"
FROM "sub_orders" s
WHERE NOT EXISTS (SELECT 1 FROM "sub_order_history" h WHERE h."sub_order_id" = s."id");
