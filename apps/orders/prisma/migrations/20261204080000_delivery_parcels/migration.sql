-- Each parcel's carrier facts (docs/delivery-promise.md): the order's estimate is the latest among
-- its parcels still on the way; the promise is judged on when the carrier delivered.
CREATE TABLE "delivery_parcels" (
    "order_id" UUID NOT NULL,
    "shipment_id" UUID NOT NULL,
    "estimated_delivery" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "delivery_parcels_pkey" PRIMARY KEY ("order_id","shipment_id")
);

ALTER TABLE "delivery_parcels" ADD CONSTRAINT "delivery_parcels_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "delivery_promises"("order_id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "delivery_promises" ADD COLUMN "carrier_delivered_at" TIMESTAMPTZ(3);

-- The promise's own deadline (timer `orders.promise-deadline`, set with each new order from now
-- on): for the promises already made, neither flagged nor settled, just after their last moment
-- (one already past fires at once; its handler skips an order no longer waited on).
INSERT INTO "timers" ("id", "kind", "key", "payload", "fire_at")
SELECT gen_random_uuid(), 'orders.promise-deadline', p."order_id"::text, '{}'::jsonb, p."latest" + INTERVAL '1 millisecond'
FROM "delivery_promises" p
WHERE p."delayed_at" IS NULL AND p."promise_met" IS NULL
ON CONFLICT ("kind", "key") DO NOTHING;
