-- CreateTable
CREATE TABLE "payment_deadlines" (
    "order_id" TEXT NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL,
    "pending" BOOLEAN NOT NULL,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "payment_deadlines_pkey" PRIMARY KEY ("order_id")
);

-- CreateIndex
CREATE INDEX "payment_deadlines_pending_submitted_at_idx" ON "payment_deadlines"("pending", "submitted_at");
