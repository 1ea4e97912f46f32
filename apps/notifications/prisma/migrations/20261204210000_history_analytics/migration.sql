-- Delivery receipts (NTF-03): when a provider confirmed delivery, and when the customer first clicked a link.
ALTER TABLE "notifications" ADD COLUMN "delivered_at" TIMESTAMPTZ(3);
ALTER TABLE "notifications" ADD COLUMN "clicked_at" TIMESTAMPTZ(3);

-- The admin history pages newest first (filters narrow it further); the analytics read a time range of it.
CREATE INDEX "notifications_created_at_id_idx" ON "notifications"("created_at" DESC, "id" DESC);
