-- Where each session's session event can sit in time: the earliest and latest start_time of any
-- row of type 'session' ever inserted for it (every revision, Writer roll-ups and tombstones
-- included). The current revision of a session event is one of those rows, so its start_time lies
-- in [min_start, max_start]. Session lists use these bounds to pick the few sessions that can fill
-- a page (SessionListWindow) instead of sorting every session event of the project with FINAL;
-- they then read those sessions' current events exactly, so counting a revision twice here costs
-- nothing but a wider window.
--
-- session_aggregates (0002, 0005) cannot serve: its start_time is the minimum over the client rows
-- of every event, not the session event's own, and it has no upper bound.
--
-- min and max are idempotent, so the backfill below may overlap rows the view already saw (or run
-- twice after an interruption) without changing anything.
CREATE TABLE IF NOT EXISTS session_bounds
(
    project_id LowCardinality(String),
    session_id String,
    min_start  SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    max_start  SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, session_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS session_bounds_mv TO session_bounds AS
SELECT project_id, session_id, min(start_time) AS min_start, max(start_time) AS max_start
FROM events
WHERE event_type = 'session'
GROUP BY project_id, session_id;

INSERT INTO session_bounds (project_id, session_id, min_start, max_start)
SELECT project_id, session_id, min(start_time), max(start_time)
FROM events
WHERE event_type = 'session'
GROUP BY project_id, session_id;
