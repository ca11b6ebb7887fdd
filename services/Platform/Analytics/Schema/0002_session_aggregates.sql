-- Per-session roll-up for session lists, fed by a materialized view on every insert into events.
--
-- LIMITATION: a materialized view sees inserted blocks, not the deduplicated table. It cannot
-- undo an earlier revision of an event when a newer one (or a tombstone) arrives, so sums here
-- count every revision inserted. Event counts use uniqExact(event_id) and are exact across
-- revisions; tokens and cost are sums and are exact only if each event is inserted once. The
-- writer is responsible for that (dedup before insert; revisions only for fields that do not feed
-- these sums); where exactness matters, query events FINAL instead.
--
-- Tokens and cost come from metadata keys prompt_tokens, completion_tokens, total_tokens and
-- cost (HoneyHive's names; the writer maps OTel gen_ai.usage.* onto them).
CREATE TABLE IF NOT EXISTS session_aggregates
(
    project_id        LowCardinality(String),
    session_id        String,
    session_name      SimpleAggregateFunction(max, String),
    event_count       AggregateFunction(uniqExact, String),
    model_event_count AggregateFunction(uniqExactIf, String, UInt8),
    error_count       AggregateFunction(uniqExactIf, String, UInt8),
    prompt_tokens     SimpleAggregateFunction(sum, Float64),
    completion_tokens SimpleAggregateFunction(sum, Float64),
    total_tokens      SimpleAggregateFunction(sum, Float64),
    cost              SimpleAggregateFunction(sum, Float64),
    start_time        SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    end_time          SimpleAggregateFunction(max, DateTime64(6, 'UTC')),
    has_feedback      SimpleAggregateFunction(max, UInt8),
    last_inserted_at  SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, session_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS session_aggregates_mv TO session_aggregates AS
SELECT
    project_id,
    session_id,
    max(if(event_type = 'session', toString(event_name), '')) AS session_name,
    uniqExactState(event_id) AS event_count,
    uniqExactIfState(event_id, toUInt8(event_type = 'model')) AS model_event_count,
    uniqExactIfState(event_id, toUInt8(ifNull(error, '') != '')) AS error_count,
    sum(JSONExtractFloat(metadata['prompt_tokens'])) AS prompt_tokens,
    sum(JSONExtractFloat(metadata['completion_tokens'])) AS completion_tokens,
    sum(JSONExtractFloat(metadata['total_tokens'])) AS total_tokens,
    sum(JSONExtractFloat(metadata['cost'])) AS cost,
    min(start_time) AS start_time,
    max(end_time) AS end_time,
    max(toUInt8(length(mapKeys(feedback)) > 0)) AS has_feedback,
    max(inserted_at) AS last_inserted_at
FROM events
WHERE is_deleted = 0
GROUP BY project_id, session_id;
