-- Issue 12: project keys may expire (the CP sends expires_at; the key directory refuses expired keys), and the
-- data plane keeps when each key was last used (flushed from memory every few seconds) for its controller to
-- report to the CP. Control-plane keys are never synced here.
ALTER TABLE api_keys
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN last_used_at timestamptz;
CREATE INDEX api_keys_last_used_at ON api_keys (last_used_at) WHERE last_used_at IS NOT NULL;
