-- event_schemas is now written by the Writer, one INSERT per batch of what it inserted into events
-- (services/Writer/Storage/EventSchemaBatch.cs): the same rows 0003's view produced, without the view's
-- ARRAY JOIN over every key of every inserted row inside each INSERT (~15 % of the insert's time measured
-- by `./hh bench limits chdb` on 2026-12-05). Rows written straight into events by anything else no
-- longer reach the catalogue. The table and what the view already wrote stay.
DROP VIEW IF EXISTS event_schemas_mv;
