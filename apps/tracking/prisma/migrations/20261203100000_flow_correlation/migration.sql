-- A timer fires in the flow that scheduled it (packages/runtime/src/timers.ts): its
-- correlation id and trace context. Timers scheduled before this migration get their own.

-- AlterTable
ALTER TABLE "timers" ADD COLUMN "correlation_id" TEXT,
ADD COLUMN "trace_headers" JSONB;

-- A carrier's webhook continues the correlation id of the flow that shipped the parcel (the
-- order's journey). Shipments registered before this migration keep the webhook's own.

-- AlterTable
ALTER TABLE "shipments" ADD COLUMN "correlation_id" TEXT;
