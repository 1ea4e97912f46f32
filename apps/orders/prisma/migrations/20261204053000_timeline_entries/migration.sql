-- The order's timeline (GW-03): one row per fact, fed by the consumers and status changes.
CREATE TABLE "timeline_entries" (
    "id" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "customer_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "audience" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "entry" JSONB NOT NULL,
    "sequence" BIGSERIAL NOT NULL,

    CONSTRAINT "timeline_entries_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "timeline_entries_order_id_at_sequence_idx" ON "timeline_entries"("order_id", "at", "sequence");

-- Orders from before the timeline keep their status history in it (as domain/timeline.ts
-- `statusEntry` builds it); they were never on the TIMELINE stream.
INSERT INTO "timeline_entries" ("id", "order_id", "customer_id", "at", "audience", "kind", "entry")
SELECT 'status:' || h."id", h."order_id", o."customer_id", h."created_at", 'customer', 'status',
       jsonb_build_object(
         'id', 'status:' || h."id", 'orderId', h."order_id",
         'at', to_char(h."created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'audience', 'customer', 'kind', 'status', 'status', h."status", 'previousStatus', h."previous_status",
         'reason', CASE WHEN h."actor" LIKE 'customer:%' THEN h."details" END)
FROM "order_status_history" h JOIN "orders" o ON o."id" = h."order_id"
ORDER BY h."sequence";
