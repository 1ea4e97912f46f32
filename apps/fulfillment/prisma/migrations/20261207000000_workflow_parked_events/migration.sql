-- A workflow counts its parked events that still wait, so that a step whose order has none skips
-- the look for them: that look was one statement in every accepted step, about 4.6 per order
-- (docs/performance.md, nineteenth round; apps/fulfillment/src/application/workflows.ts).

-- AlterTable
ALTER TABLE "workflows" ADD COLUMN "parked_events" INTEGER NOT NULL DEFAULT 0;

-- The events parked before this migration.
UPDATE "workflows" w SET "parked_events" = p.waiting
FROM (SELECT "order_id", count(*)::int AS waiting FROM "parked_events" WHERE "dropped_at" IS NULL GROUP BY "order_id") p
WHERE w."order_id" = p."order_id";
