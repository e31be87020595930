-- Each delivery row is updated twice on its way (claimed, then recorded), and every index on the
-- table is written again on each update that cannot stay on its page: two indexes nothing reads
-- any more cost the database a good part of a delivery's work. The claim reads the partial
-- indexes of undelivered and of leased rows; everything else reads one target's rows by status,
-- by id, or by event id.

-- DropIndex
DROP INDEX "reaction_deliveries_target_id_position_idx";

-- DropIndex
DROP INDEX "reaction_deliveries_target_id_status_stream_id_position_idx";

-- Dead letters, listed, counted and redelivered per target, are few among the delivered history.
-- Prisma's schema cannot declare a partial index: it lives only here.
CREATE INDEX "reaction_deliveries_dead_idx" ON "reaction_deliveries"("target_id", "id") WHERE "status" = 'DEAD';
