-- CreateTable
CREATE TABLE "reaction_targets" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "event_types" TEXT[],
    "from_position" BIGINT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "disabled_reason" TEXT,
    "failing_since" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reaction_targets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reaction_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "target_id" UUID NOT NULL,
    "event_id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "message_type" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "message" JSONB NOT NULL,
    "trace" JSONB,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "reaction_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reaction_attempts" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" BIGINT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status_code" INTEGER,
    "latency_ms" INTEGER NOT NULL,
    "error" TEXT,
    "response_body" TEXT,

    CONSTRAINT "reaction_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT,
    "secrets" JSONB NOT NULL,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "reaction_deliveries_target_id_status_stream_id_position_idx" ON "reaction_deliveries"("target_id", "status", "stream_id", "position");

-- CreateIndex
CREATE INDEX "reaction_deliveries_target_id_position_idx" ON "reaction_deliveries"("target_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "reaction_deliveries_target_id_event_id_key" ON "reaction_deliveries"("target_id", "event_id");

-- CreateIndex
CREATE INDEX "reaction_attempts_delivery_id_at_idx" ON "reaction_attempts"("delivery_id", "at");

-- AddForeignKey
ALTER TABLE "reaction_deliveries" ADD CONSTRAINT "reaction_deliveries_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "reaction_targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reaction_attempts" ADD CONSTRAINT "reaction_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "reaction_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_id_fkey" FOREIGN KEY ("id") REFERENCES "reaction_targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
