-- CreateTable
CREATE TABLE "order_summaries" (
    "order_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "item_count" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "order_summaries_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "order_lines" (
    "order_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_cents" INTEGER NOT NULL,
    "line_no" INTEGER NOT NULL,

    CONSTRAINT "order_lines_pkey" PRIMARY KEY ("order_id","sku")
);

-- CreateTable
CREATE TABLE "order_history" (
    "position" BIGINT NOT NULL,
    "order_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "order_history_pkey" PRIMARY KEY ("position")
);

-- CreateTable
CREATE TABLE "customer_summaries" (
    "customer_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "order_count" INTEGER NOT NULL DEFAULT 0,
    "total_spent_cents" BIGINT NOT NULL DEFAULT 0,
    "registered_at" TIMESTAMPTZ(3) NOT NULL,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "customer_summaries_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "customer_order_links" (
    "order_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "customer_order_links_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "inventory" (
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "on_hand" INTEGER NOT NULL,
    "reserved" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "inventory_pkey" PRIMARY KEY ("sku")
);

-- CreateIndex
CREATE INDEX "order_summaries_customer_id_created_at_idx" ON "order_summaries"("customer_id", "created_at");

-- CreateIndex
CREATE INDEX "order_summaries_status_created_at_idx" ON "order_summaries"("status", "created_at");

-- CreateIndex
CREATE INDEX "order_summaries_created_at_order_id_idx" ON "order_summaries"("created_at", "order_id");

-- CreateIndex
CREATE INDEX "order_history_order_id_version_idx" ON "order_history"("order_id", "version");
