-- Return parcels (docs/returns.md): a return's label is followed like any parcel, its row naming
-- the return (its id is the return's); it goes back to a hub, so it has no destination country.

-- AlterTable
ALTER TABLE "shipments" ADD COLUMN "return_id" UUID,
ALTER COLUMN "destination_country" DROP NOT NULL;
