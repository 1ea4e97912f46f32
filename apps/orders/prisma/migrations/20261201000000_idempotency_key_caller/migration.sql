-- Idempotency keys belong to their caller (`customer:<id>`, `ops:<key id>`, `admin:<key id>`,
-- `system`), as payment APIs scope keys per account: two callers may use the same key.

-- AlterTable
ALTER TABLE "idempotency_keys" ADD COLUMN "caller" TEXT;

-- Existing keys: the caller who placed the stored order, as its first history entry names it
-- (an internal caller's entry names the order's customer, so its retry across this migration
-- places a new order; customers, ops and admin keep their replays).
UPDATE "idempotency_keys" AS k
SET "caller" = coalesce(
  (SELECT h."actor" FROM "order_status_history" h
   WHERE h."order_id"::text = k."response_body"->>'id' AND h."previous_status" IS NULL
   ORDER BY h."sequence" LIMIT 1),
  'system');

ALTER TABLE "idempotency_keys" ALTER COLUMN "caller" SET NOT NULL;

-- AlterPrimaryKey
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_pkey",
ADD CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope", "caller", "key");
