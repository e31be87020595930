-- How many orders are in each status (projection `orderCounts`), so that `orders { totalCount }`
-- reads a row instead of counting every order summary.
CREATE TABLE "order_status_counts" (
    "status" TEXT NOT NULL,
    "orders" BIGINT NOT NULL DEFAULT 0,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "order_status_counts_pkey" PRIMARY KEY ("status")
);

-- A database that already has orders starts counted from its order summaries, at the orders
-- projection's checkpoint (the summaries hold exactly the events up to it), instead of reading
-- the whole log again.
INSERT INTO "order_status_counts" ("status", "orders", "last_position")
SELECT s."status", count(*), c."position"
FROM "order_summaries" s CROSS JOIN "projection_checkpoints" c
WHERE c."name" = 'orders'
GROUP BY s."status", c."position";

INSERT INTO "projection_checkpoints" ("name", "position", "version")
SELECT 'orderCounts', "position", 1 FROM "projection_checkpoints" WHERE "name" = 'orders';
