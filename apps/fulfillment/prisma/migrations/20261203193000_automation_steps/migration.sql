-- AlterTable: an ops task is about a supplier order or an automation step (FUL-06)
ALTER TABLE "ops_tasks" ALTER COLUMN "supplier" DROP NOT NULL,
ALTER COLUMN "supplier_order_id" DROP NOT NULL,
ADD COLUMN "automation_step_id" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "ops_tasks_automation_step_id_kind_key" ON "ops_tasks"("automation_step_id", "kind");

-- CreateTable
CREATE TABLE "automation_steps" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "shipment_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "scenario" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_attempted_at" TIMESTAMPTZ(3),
    "next_attempt_at" TIMESTAMPTZ(3),
    "error_message" TEXT,
    "external_id" TEXT,
    "fallback_triggered_at" TIMESTAMPTZ(3),
    "fallback_note" TEXT,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "automation_steps_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "automation_steps_shipment_id_sku_scenario_key" ON "automation_steps"("shipment_id", "sku", "scenario");

-- CreateIndex
CREATE INDEX "automation_steps_status_created_at_idx" ON "automation_steps"("status", "created_at");

-- CreateTable
CREATE TABLE "automation_rules" (
    "sku" TEXT NOT NULL,
    "scenario" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "automation_rules_pkey" PRIMARY KEY ("sku","scenario")
);
