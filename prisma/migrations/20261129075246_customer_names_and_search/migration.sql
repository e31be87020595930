-- AlterTable
ALTER TABLE "order_summaries" ADD COLUMN     "customer_name" TEXT;

-- CreateTable
CREATE TABLE "order_customer_names" (
    "customer_id" TEXT NOT NULL,
    "name" TEXT,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "order_customer_names_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "order_search" (
    "order_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "customer_name" TEXT,
    "customer_email" TEXT,
    "lines" JSONB NOT NULL,
    "document" tsvector NOT NULL,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "order_search_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "search_customers" (
    "customer_id" TEXT NOT NULL,
    "name" TEXT,
    "email" TEXT,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "search_customers_pkey" PRIMARY KEY ("customer_id")
);

-- CreateIndex
CREATE INDEX "order_search_document_idx" ON "order_search" USING GIN ("document");

-- CreateIndex
CREATE INDEX "order_search_customer_id_idx" ON "order_search"("customer_id");
