-- CreateTable
CREATE TABLE "parked_events" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',
    "parked_at" TIMESTAMPTZ(3) NOT NULL,
    "dropped_at" TIMESTAMPTZ(3),
    "drop_reason" TEXT,

    CONSTRAINT "parked_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "parked_events_order_id_seq_idx" ON "parked_events"("order_id", "seq");
