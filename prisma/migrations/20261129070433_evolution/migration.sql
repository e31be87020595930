-- Rows written before versions were recorded hold version 1 events and were built by version 1 of
-- their projection: the defaults say exactly that, so an upgrade rebuilds nothing it need not.
-- AlterTable
ALTER TABLE "order_history" ADD COLUMN     "schema_version" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "projection_checkpoints" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;
