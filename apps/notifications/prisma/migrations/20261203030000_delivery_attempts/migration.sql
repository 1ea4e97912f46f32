-- Who a notification is for: a push goes only to devices still registered to that customer
-- when it is sent (a device may have changed hands while it waited). Null for older rows.
ALTER TABLE "notifications" ADD COLUMN "customer_id" TEXT;
