-- A hub shipment may be prepared (draft) before its label is bought: no tracking number yet.
ALTER TABLE "shipments" ALTER COLUMN "tracking_number" DROP NOT NULL;
