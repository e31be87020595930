-- The claim reads each stream's oldest undelivered message: with this index it walks the streams
-- that have one (a skip scan) instead of sorting every undelivered row of the target, so its cost
-- follows the number of streams, not the backlog. Partial, so delivered history does not weigh on it.
-- Prisma's schema cannot declare a partial index: it lives only here.
CREATE INDEX "reaction_deliveries_undelivered_idx" ON "reaction_deliveries"("target_id", "stream_id", "position")
  WHERE "status" IN ('PENDING', 'FAILED');

-- Counting a target's streams in flight reads only the leased rows (few), not the target's history.
CREATE INDEX "reaction_deliveries_leased_idx" ON "reaction_deliveries"("target_id", "stream_id")
  WHERE "locked_until" IS NOT NULL;
