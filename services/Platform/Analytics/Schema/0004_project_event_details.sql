-- Per project: which event types and names exist, how many, first and last seen. Counts include
-- every inserted revision (see 0002 for why a materialized view cannot dedupe).
CREATE TABLE IF NOT EXISTS project_event_details
(
    project_id  LowCardinality(String),
    event_type  LowCardinality(String),
    event_name  LowCardinality(String),
    event_count SimpleAggregateFunction(sum, UInt64),
    first_seen  SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    last_seen   SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, event_type, event_name);

CREATE MATERIALIZED VIEW IF NOT EXISTS project_event_details_mv TO project_event_details AS
SELECT
    project_id,
    event_type,
    event_name,
    toUInt64(count()) AS event_count,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM events
WHERE is_deleted = 0
GROUP BY project_id, event_type, event_name;
