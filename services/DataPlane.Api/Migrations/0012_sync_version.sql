-- Issue 19: the sync version this data plane holds (written with the batch that brought it, in the same transaction),
-- the CP's identity document for it, and per synced row the snapshot that last carried it, so a snapshot received in
-- chunks removes stale rows only when its last chunk arrives.
CREATE TABLE sync_state (
    id                        boolean PRIMARY KEY DEFAULT true CHECK (id),
    version                   bigint NOT NULL DEFAULT 0,
    snapshot_id               uuid,
    applied_at                timestamptz NOT NULL DEFAULT now(),
    identity_document         text,
    control_plane_public_key  bytea
);
INSERT INTO sync_state DEFAULT VALUES;

ALTER TABLE projects ADD COLUMN snapshot_id uuid;
ALTER TABLE api_keys ADD COLUMN snapshot_id uuid;
ALTER TABLE alerts ADD COLUMN snapshot_id uuid;
