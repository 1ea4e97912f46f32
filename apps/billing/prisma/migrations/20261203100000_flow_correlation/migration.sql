-- A timer fires in the flow that scheduled it (packages/runtime/src/timers.ts): its
-- correlation id and trace context. Timers scheduled before this migration get their own.

-- AlterTable
ALTER TABLE "timers" ADD COLUMN "correlation_id" TEXT,
ADD COLUMN "trace_headers" JSONB;

-- A Stripe webhook continues the correlation id of the flow that opened the payment (the
-- order's journey). Payments opened before this migration keep the webhook's own.

-- AlterTable
ALTER TABLE "payments" ADD COLUMN "correlation_id" TEXT;
