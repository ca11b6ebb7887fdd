-- Which fields each kind of event carries, for filter pickers and column choosers: per project,
-- event_type and event_name, every bucket key (`metadata.model`) and one nested level below an
-- object value (`metadata.usage.total_tokens`), with the JSON type seen (JSONType: String,
-- Int64, UInt64, Double, Bool, Array, Object, Null). A field seen with two types has two rows.
-- Counts include every inserted revision (see 0002 for why a materialized view cannot dedupe).
CREATE TABLE IF NOT EXISTS event_schemas
(
    project_id  LowCardinality(String),
    event_type  LowCardinality(String),
    event_name  LowCardinality(String),
    field       LowCardinality(String),
    field_type  LowCardinality(String),
    occurrences SimpleAggregateFunction(sum, UInt64),
    first_seen  SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    last_seen   SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, event_type, event_name, field, field_type);

-- The first ARRAY JOIN yields (path, json) per top-level key of every bucket; the second yields
-- that key itself plus the keys of its value when the value is an object.
CREATE MATERIALIZED VIEW IF NOT EXISTS event_schemas_mv TO event_schemas AS
SELECT
    project_id,
    event_type,
    event_name,
    leaf.1 AS field,
    leaf.2 AS field_type,
    toUInt64(count()) AS occurrences,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM events
ARRAY JOIN arrayConcat(
    arrayMap((k, v) -> (concat('inputs.', k), v), mapKeys(inputs), mapValues(inputs)),
    arrayMap((k, v) -> (concat('outputs.', k), v), mapKeys(outputs), mapValues(outputs)),
    arrayMap((k, v) -> (concat('config.', k), v), mapKeys(config), mapValues(config)),
    arrayMap((k, v) -> (concat('metadata.', k), v), mapKeys(metadata), mapValues(metadata)),
    arrayMap((k, v) -> (concat('metrics.', k), v), mapKeys(metrics), mapValues(metrics)),
    arrayMap((k, v) -> (concat('feedback.', k), v), mapKeys(feedback), mapValues(feedback)),
    arrayMap((k, v) -> (concat('user_properties.', k), v), mapKeys(user_properties), mapValues(user_properties))
) AS top
ARRAY JOIN arrayConcat(
    [(top.1, toString(JSONType(top.2)))],
    arrayMap(kv -> (concat(top.1, '.', kv.1), toString(JSONType(kv.2))), JSONExtractKeysAndValuesRaw(top.2))
) AS leaf
WHERE is_deleted = 0
GROUP BY project_id, event_type, event_name, field, field_type;
