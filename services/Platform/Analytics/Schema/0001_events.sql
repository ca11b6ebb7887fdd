-- The wide event: one row per revision of an event (session, model, tool or chain).
--
-- Engine: ReplacingMergeTree(version, is_deleted). Rows with the same sorting key
-- (project_id, session_id, event_id) collapse to the highest `version` when parts merge;
-- until then read the current state with FINAL (or argMax(..., version)) and add
-- `is_deleted = 0`. A tombstone is a new revision with is_deleted = 1. Because the
-- dedup key includes session_id and the partition is the month of start_time, the writer must
-- keep session_id and start_time of an event unchanged across revisions, or the revisions land
-- in different sort keys / partitions and never collapse.
--
-- Times: DateTime64(6, 'UTC'), microseconds. OTLP spans carry nanoseconds and sibling spans
-- often start within the same millisecond; microseconds keep their order in a trace tree.
-- duration is Float64 milliseconds, as in HoneyHive's API.
--
-- Buckets (inputs, outputs, config, metadata, metrics, feedback, user_properties):
-- Map(LowCardinality(String), String) from each top-level key to that value's JSON text
-- (`"gpt-4o"`, `0.7`, `true`, `{"a":1}`, `[...]`). One copy of the data, nothing lost (a value
-- keeps its JSON type), and every path is filterable on ClickHouse >= 23.8 without the JSON
-- type: `JSONExtractString(metadata['model'])`, `JSONExtractFloat(metrics['score'])`,
-- `JSONExtractString(config['params'], 'temperature')` for a nested path. Reading one key
-- reads the bucket's map column only, not the other buckets. JSONType(value) gives the field
-- types for event_schemas. The API rebuilds a bucket object by parsing each value.
CREATE TABLE IF NOT EXISTS events
(
    event_id        String,
    project_id      LowCardinality(String),
    org_id          LowCardinality(String),
    workspace_id    LowCardinality(String),
    session_id      String,
    parent_id       String DEFAULT '',
    children_ids    Array(String),
    event_type      LowCardinality(String),   -- session | model | tool | chain
    event_name      LowCardinality(String),
    source          LowCardinality(String),
    start_time      DateTime64(6, 'UTC'),
    end_time        DateTime64(6, 'UTC'),
    duration        Float64,                  -- milliseconds
    error           Nullable(String),
    inputs          Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    outputs         Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    config          Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    metadata        Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    metrics         Map(LowCardinality(String), String),
    feedback        Map(LowCardinality(String), String),
    user_properties Map(LowCardinality(String), String),
    version         UInt64,
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    is_deleted      UInt8 DEFAULT 0,
    -- GET /events/{id} knows the id but not the session: skip granules without it.
    INDEX idx_event_id event_id TYPE bloom_filter(0.01) GRANULARITY 4,
    -- Time-range lists and charts inside a project.
    INDEX idx_start_time start_time TYPE minmax GRANULARITY 4
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(start_time)
ORDER BY (project_id, session_id, event_id)
SETTINGS index_granularity = 8192;
