-- The newest version of an aggregate each consumer applied, for events that carry a whole
-- snapshot (`orders.order.modified`): an older one arriving after a newer one (a retry, another
-- replica) changes nothing (packages/runtime/src/consumer.ts, docs/ordering.md).

-- CreateTable
CREATE TABLE "applied_versions" (
    "consumer" TEXT NOT NULL,
    "aggregate_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "applied_versions_pkey" PRIMARY KEY ("consumer","aggregate_id")
);
