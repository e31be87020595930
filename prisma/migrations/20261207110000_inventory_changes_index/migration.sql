-- The inventory's changes since a position (what a live `inventoryChanged` reads after each commit)
-- are found by this index, not by reading every product of the catalog.
CREATE INDEX "inventory_last_position_idx" ON "inventory"("last_position");
