-- The Writer stores a session's roll-ups (num_events, tokens, cost, ...) on the session row itself and
-- rewrites that row whenever a batch touches the session; it also rewrites a child when a late session
-- hands down its run_id/dataset_id/datapoint_id. Those derived rows carry a version that is not a
-- multiple of 2^32 (client revision R is written as (R + 1) * 2^32, see services/Writer/Storage/EventRow.cs).
-- The view of 0002 would add them up again: session cost = sum of children + every roll-up copy.
-- Here it counts client-written rows only, and never sums the session row's reserved roll-up keys.
-- The writer does not insert a revision that is already stored, so a redelivered batch adds nothing.
DROP VIEW IF EXISTS session_aggregates_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS session_aggregates_mv TO session_aggregates AS
SELECT
    project_id,
    session_id,
    max(if(event_type = 'session', toString(event_name), '')) AS session_name,
    uniqExactState(event_id) AS event_count,
    uniqExactIfState(event_id, toUInt8(event_type = 'model')) AS model_event_count,
    uniqExactIfState(event_id, toUInt8(ifNull(error, '') != '')) AS error_count,
    sumIf(JSONExtractFloat(metadata['prompt_tokens']), event_type = 'model') AS prompt_tokens,
    sumIf(JSONExtractFloat(metadata['completion_tokens']), event_type = 'model') AS completion_tokens,
    sumIf(JSONExtractFloat(metadata['total_tokens']), event_type = 'model') AS total_tokens,
    sumIf(JSONExtractFloat(metadata['cost']), event_type != 'session') AS cost,
    min(start_time) AS start_time,
    max(end_time) AS end_time,
    max(toUInt8(length(mapKeys(feedback)) > 0)) AS has_feedback,
    max(inserted_at) AS last_inserted_at
FROM events
WHERE is_deleted = 0 AND version % 4294967296 = 0
GROUP BY project_id, session_id;
