-- PostgreSQL's JIT compiler must never run for the append and the stream load.
--
-- The planner cannot know how many elements a jsonb array holds and assumes 100 for every
-- jsonb_array_elements; in the append those guesses multiply through its CTEs to a cost of about
-- 108,000, above the default jit_above_cost (100,000). A server with JIT enabled (the default of
-- Debian's and Ubuntu's packages and of most managed services) then compiled the plan with LLVM on
-- every call: 45-70 ms for an append that runs in under 1 ms. The real batches are a few commands
-- of a few events, far from anything JIT could speed up, so it is switched off inside the
-- functions themselves: this holds however the caller's session is set (a pooler in transaction
-- mode, a psql session, another client of the same database).
ALTER FUNCTION ordersource_append(jsonb) SET jit = off;
ALTER FUNCTION ordersource_load_streams(text[], int[]) SET jit = off;
