-- One payment reference pays one order: recording a payment now also claims the reference's own
-- stream (`PaymentRef-<paymentRef>`, event `PaymentRefClaimed { orderId }`) at version 1, so a later
-- payment of another order with that reference is PAYMENT_REF_TAKEN.
--
-- Payments recorded by the previous release claimed nothing. Each reference they used is claimed
-- here for the first order it paid (an order it paid later, as that release allowed, keeps its
-- payment: only new payments are checked), so an old reference cannot pay a new order either.
-- This appends events (it rewrites none); the position lock that every append takes keeps their
-- positions visible in order should a server of the previous release still be appending.

SELECT pg_advisory_xact_lock(20260, 1);

INSERT INTO "events" ("stream_id", "stream_type", "version", "type", "schema_version", "data", "metadata")
SELECT 'PaymentRef-' || first_use.payment_ref, 'PaymentRef', 1, 'PaymentRefClaimed', 1,
       jsonb_build_object('orderId', substring(first_use.stream_id FROM length('Order-') + 1)),
       jsonb_build_object('actor', 'system:migration', 'occurredAt', first_use.occurred_at)
FROM (
  SELECT DISTINCT ON (e."data"->>'paymentRef') e."data"->>'paymentRef' AS payment_ref, e."stream_id",
         coalesce(e."metadata"->>'occurredAt', to_char(e."recorded_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS occurred_at
  FROM "events" e
  WHERE e."type" = 'PaymentRecorded' AND e."stream_type" = 'Order' AND e."data"->>'paymentRef' IS NOT NULL
  ORDER BY e."data"->>'paymentRef', e."position"
) first_use
WHERE NOT EXISTS (SELECT 1 FROM "events" c WHERE c."stream_id" = 'PaymentRef-' || first_use.payment_ref)
ORDER BY first_use.payment_ref;
