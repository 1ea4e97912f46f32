-- A timer fires in the flow that scheduled it (packages/runtime/src/timers.ts): its
-- correlation id and trace context. Timers scheduled before this migration get their own.

-- AlterTable
ALTER TABLE "timers" ADD COLUMN "correlation_id" TEXT,
ADD COLUMN "trace_headers" JSONB;
