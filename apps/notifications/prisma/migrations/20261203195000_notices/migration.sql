-- Notifications become one per (order, notice, channel): a notice is the order status for the
-- notifications so far, or a part of the order (`parcel_shipped:<shipment id>`, ...), whose rows
-- announce no order status. Existing rows keep their key (notice = their status) and their ids.
ALTER TABLE "notifications" ADD COLUMN "notice" TEXT;
UPDATE "notifications" SET "notice" = "order_status";
ALTER TABLE "notifications" ALTER COLUMN "notice" SET NOT NULL;
ALTER TABLE "notifications" ALTER COLUMN "order_status" DROP NOT NULL;

-- DropIndex
DROP INDEX "notifications_order_id_order_status_channel_key";

-- CreateIndex
CREATE UNIQUE INDEX "notifications_order_id_notice_channel_key" ON "notifications"("order_id", "notice", "channel");

-- How many parcels an order takes (fulfillment's progress), to tell one parcel from several.
ALTER TABLE "order_contexts" ADD COLUMN "parcels" INTEGER;
