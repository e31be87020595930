-- Each claim of deliveries marks its rows with a token of its own, and a process records, renews or
-- gives back only the rows that still carry its token. A lease alone could not tell whose it was:
-- a process that stalled past its lease (a long pause, a frozen VM) and woke up after another
-- process had claimed the same messages renewed that other claim as its own, and its records and
-- give-backs cleared it, so a third process could start the stream beside the one still sending,
-- and a message the other process delivered could end FAILED or DEAD.
-- Not indexed: nothing searches by it. Processes of an earlier release neither set nor read it.
ALTER TABLE reaction_deliveries ADD COLUMN lease_id uuid;
