-- CreateTable
-- UNLOGGED: a bucket is written on every mutation and is worth nothing after a crash (losing the
-- table only refills every bucket), so it skips the WAL and its fsyncs.
CREATE UNLOGGED TABLE "rate_limit_buckets" (
    "identity" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "refilled_at" TIMESTAMPTZ(3) NOT NULL,
    "allowed" BOOLEAN NOT NULL,

    CONSTRAINT "rate_limit_buckets_pkey" PRIMARY KEY ("identity")
);
