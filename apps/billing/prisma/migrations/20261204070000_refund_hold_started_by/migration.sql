-- A held cancel keeps who made it (`orders.order.cancelled`'s actor): released later, a refund of
-- a sales channel's payment is recorded as made by the channel only when the channel cancelled
-- (docs/requirements.md#bil-02-payments-and-refunds). Holds from before keep null: ours.

-- AlterTable
ALTER TABLE "refund_holds" ADD COLUMN "started_by" TEXT;
