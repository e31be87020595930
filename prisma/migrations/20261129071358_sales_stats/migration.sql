-- CreateTable
CREATE TABLE "sales_minutes" (
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "orders_created" INTEGER NOT NULL DEFAULT 0,
    "orders_submitted" INTEGER NOT NULL DEFAULT 0,
    "orders_paid" INTEGER NOT NULL DEFAULT 0,
    "orders_cancelled" INTEGER NOT NULL DEFAULT 0,
    "orders_expired" INTEGER NOT NULL DEFAULT 0,
    "revenue_cents" BIGINT NOT NULL DEFAULT 0,
    "refunds_cents" BIGINT NOT NULL DEFAULT 0,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "sales_minutes_pkey" PRIMARY KEY ("minute")
);
