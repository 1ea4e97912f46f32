-- Sales channels (ORD-06): orders taken from TikTok Shop, deduplicated by the channel's order id;
-- the parcels told back to the channel; and durable timers (webhook sync, periodic pull, ship-back).
CREATE TABLE "channel_orders" (
    "channel" TEXT NOT NULL,
    "external_order_id" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "shop_id" TEXT NOT NULL,
    "channel_status" TEXT NOT NULL,
    "detail" JSONB NOT NULL,
    "lines" JSONB NOT NULL,
    "cancellation_refused" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "channel_orders_pkey" PRIMARY KEY ("channel","external_order_id")
);

CREATE UNIQUE INDEX "channel_orders_order_id_key" ON "channel_orders"("order_id");

CREATE TABLE "channel_shipments" (
    "shipment_id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "channel" TEXT NOT NULL,
    "external_order_id" TEXT NOT NULL,
    "tracking_number" TEXT NOT NULL,
    "carrier" TEXT,
    "items" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "channel_package_id" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "channel_shipments_pkey" PRIMARY KEY ("shipment_id")
);

CREATE INDEX "channel_shipments_order_id_idx" ON "channel_shipments"("order_id");

CREATE TABLE "timers" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "fire_at" TIMESTAMPTZ(3) NOT NULL,
    "fired_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "correlation_id" TEXT,
    "trace_headers" JSONB,

    CONSTRAINT "timers_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "timers_kind_key_key" ON "timers"("kind", "key");

CREATE INDEX "timers_fired_at_fire_at_idx" ON "timers"("fired_at", "fire_at");
