-- The events of a project in time order: a narrow copy of every row inserted into events (every revision
-- and tombstone), sorted by (project_id, start_time, event_id), holding the keys and the columns searches,
-- sorts and charts filter on, none of the wide Map buckets. events is sorted by session (what the trace
-- tree needs), so there "the newest 100 matches" or "the last 24 hours" read the key columns of the whole
-- project; here they read the newest granules only (read in order, then LIMIT) or the range's granules
-- (primary key). Used by services/DataPlane.Api/Queries/TimeOrderedEvents.cs when a request's filters,
-- sort and metric name only these columns; anything else reads events as before.
--
-- What a read may assume, and what it may not:
--   * Each row is a row of events: the current revision of an event is the row whose version is the
--     highest of its event_id here too (the view copies every insert, tombstones included).
--   * The dedup key (project_id, start_time, event_id) equals events' (project_id, session_id, event_id)
--     for every revision that keeps its start_time, so FINAL here keeps one row per event, and collapses
--     a revision inserted twice. The exception is a session event: the Writer's roll-up may move its
--     start_time earlier within the month (services/Writer/Enrichment/SessionRollup.cs), so an older
--     revision of a session can stay here as a row of its own. Reads that deduplicate with FINAL therefore
--     keep a session row only when it is its event's newest (TimeOrderedEvents.CurrentSessionRows).
--   * Same key implies same month, so FINAL never needs to merge across partitions.
-- Why a table and not a PROJECTION: ClickHouse builds projections of a ReplacingMergeTree only with
-- deduplicate_merge_projection_mode (24.8+), never uses a projection under FINAL, and chooses one by
-- marks to read, which a whole-range search sorted by time does not reduce; a table lets the reads say
-- which order they need.
--
-- A materialized view sees inserted blocks only, so the backfill below copies what events held before
-- this migration. Rows inserted between the view's creation and the backfill (or a backfill run twice
-- after an interruption) are copied twice with the same key and version: FINAL collapses them, and
-- reads without FINAL only pick candidates that are checked against events by key.
CREATE TABLE IF NOT EXISTS events_by_time
(
    project_id        LowCardinality(String),
    start_time        DateTime64(6, 'UTC'),
    event_id          String,
    session_id        String,
    parent_id         String,
    event_type        LowCardinality(String),
    event_name        LowCardinality(String),
    source            LowCardinality(String),
    end_time          DateTime64(6, 'UTC'),
    duration          Float64,
    error             Nullable(String),
    has_error         UInt8,
    model             LowCardinality(String),
    cost              Nullable(Float64),
    total_tokens      Nullable(Float64),
    prompt_tokens     Nullable(Float64),
    completion_tokens Nullable(Float64),
    user_id           String,
    session_name      String,
    version           UInt64,
    is_deleted        UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(start_time)
ORDER BY (project_id, start_time, event_id)
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_by_time_mv TO events_by_time AS
SELECT
    project_id, start_time, event_id, session_id, parent_id, event_type, event_name, source, end_time, duration,
    error, has_error, model, cost, total_tokens, prompt_tokens, completion_tokens, user_id, session_name,
    version, is_deleted
FROM events;

INSERT INTO events_by_time
SELECT
    project_id, start_time, event_id, session_id, parent_id, event_type, event_name, source, end_time, duration,
    error, has_error, model, cost, total_tokens, prompt_tokens, completion_tokens, user_id, session_name,
    version, is_deleted
FROM events;
