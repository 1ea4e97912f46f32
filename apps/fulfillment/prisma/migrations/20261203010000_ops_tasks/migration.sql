-- AlterTable
ALTER TABLE "workflows" ADD COLUMN "cancellation_settled_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "ops_tasks" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "supplier" TEXT NOT NULL,
    "supplier_order_id" UUID NOT NULL,
    "external_order_id" TEXT,
    "reason" TEXT NOT NULL,
    "outcome" TEXT,
    "note" TEXT,
    "resolved_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "ops_tasks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ops_tasks_supplier_order_id_kind_key" ON "ops_tasks"("supplier_order_id", "kind");

-- CreateIndex
CREATE INDEX "ops_tasks_status_created_at_idx" ON "ops_tasks"("status", "created_at");

-- CreateIndex
CREATE INDEX "ops_tasks_order_id_idx" ON "ops_tasks"("order_id");
