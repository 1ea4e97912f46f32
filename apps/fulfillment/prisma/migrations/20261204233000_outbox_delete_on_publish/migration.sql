-- The outbox relay deletes a row once JetStream has acknowledged its event (the stream keeps
-- it for replay), so every row left is unpublished and the publish time has no use
-- (packages/runtime/src/outbox.ts, docs/performance.md).

-- DropIndex
DROP INDEX "outbox_events_published_at_seq_idx";

-- AlterTable
ALTER TABLE "outbox_events" DROP COLUMN "published_at";
