-- Typed columns for the fields users filter, sort and chart on most, so those reads take a narrow
-- column instead of parsing a Map bucket's JSON text row by row (metadata.cost > 0.01 read the whole
-- metadata map of every row of the project).
--
-- Each column is a DEFAULT computed from the buckets with exactly the expression the filter compiler
-- (services/DataPlane.Api/Queries/FilterCompiler.cs) uses for that bucket path, so:
--   * rows inserted before this migration read the same value (computed on read until a merge writes it);
--   * an INSERT that omits the column (the Writer's JSONEachRow, the API's tombstones) gets it computed by
--     ClickHouse from the row's own buckets at insert time: the Writer fills it without a second copy of
--     these rules in C# that could drift from the compiler's (a drifted value would make a filter answer
--     differently through the typed column than through the map);
--   * a filter on the bucket path may use the column with the same answer, NULL where the path is absent or
--     not a number, exactly as before.
-- Which path each column stands for (the Writer's ComputedFields and the OTel normalizer put them there):
--   model             config.model (text)            session_name  metadata.session_name (text)
--   cost              metadata.cost (number)         user_id       user_properties.user_id (text)
--   total_tokens      metadata.total_tokens          has_error     error is set and not empty
--   prompt_tokens     metadata.prompt_tokens
--   completion_tokens metadata.completion_tokens
-- The token counts are Float64 like the compiler's comparisons (a client may send 12.5).
ALTER TABLE events
    ADD COLUMN IF NOT EXISTS model LowCardinality(String)
        DEFAULT if(JSONType(config['model']) = 'String', JSONExtractString(config['model']), config['model']),
    ADD COLUMN IF NOT EXISTS cost Nullable(Float64)
        DEFAULT toFloat64OrNull(if(JSONType(metadata['cost']) = 'String', JSONExtractString(metadata['cost']), metadata['cost'])),
    ADD COLUMN IF NOT EXISTS total_tokens Nullable(Float64)
        DEFAULT toFloat64OrNull(if(JSONType(metadata['total_tokens']) = 'String', JSONExtractString(metadata['total_tokens']), metadata['total_tokens'])),
    ADD COLUMN IF NOT EXISTS prompt_tokens Nullable(Float64)
        DEFAULT toFloat64OrNull(if(JSONType(metadata['prompt_tokens']) = 'String', JSONExtractString(metadata['prompt_tokens']), metadata['prompt_tokens'])),
    ADD COLUMN IF NOT EXISTS completion_tokens Nullable(Float64)
        DEFAULT toFloat64OrNull(if(JSONType(metadata['completion_tokens']) = 'String', JSONExtractString(metadata['completion_tokens']), metadata['completion_tokens'])),
    ADD COLUMN IF NOT EXISTS has_error UInt8
        DEFAULT ifNull(error, '') != '',
    ADD COLUMN IF NOT EXISTS user_id String
        DEFAULT if(JSONType(user_properties['user_id']) = 'String', JSONExtractString(user_properties['user_id']), user_properties['user_id']),
    ADD COLUMN IF NOT EXISTS session_name String
        DEFAULT if(JSONType(metadata['session_name']) = 'String', JSONExtractString(metadata['session_name']), metadata['session_name']);

-- Skip indexes where they pay. The sort key groups rows by session, so a granule holds many models,
-- costs and error flags: minmax or set indexes on those would rarely skip anything. One user's or one
-- session name's events are few and scattered, which is what a bloom filter skips well.
ALTER TABLE events
    ADD INDEX IF NOT EXISTS idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    ADD INDEX IF NOT EXISTS idx_session_name session_name TYPE bloom_filter(0.01) GRANULARITY 4;
