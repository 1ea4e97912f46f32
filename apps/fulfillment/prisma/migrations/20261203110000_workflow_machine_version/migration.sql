-- AlterTable: the snapshots stored so far were written by machine version 1; from now on every
-- write names its version (no default), so a snapshot of an unknown version is refused.
ALTER TABLE "workflows" ADD COLUMN "machine_version" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "workflows" ALTER COLUMN "machine_version" DROP DEFAULT;
