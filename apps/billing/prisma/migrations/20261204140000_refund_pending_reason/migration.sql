-- What a pending refund waits for gets its own column: `failure_reason` is for failed refunds
-- only. Refunds waiting for ops to refund on the sales channel move their reason across.

-- AlterTable
ALTER TABLE "refunds" ADD COLUMN "pending_reason" TEXT;

UPDATE "refunds" SET "pending_reason" = "failure_reason", "failure_reason" = NULL
WHERE "status" = 'pending' AND "failure_reason" = 'refund_on_channel_required';
