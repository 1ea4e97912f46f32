-- The vendor of a hub fulfillment order's units: two vendors may sell the same SKU in one order,
-- and each parcel's units must count for the right vendor (docs/requirements.md#ful-04-fulfillment-orders-and-shipments).
ALTER TABLE "fulfillment_order_items" ADD COLUMN "vendor_id" TEXT;
