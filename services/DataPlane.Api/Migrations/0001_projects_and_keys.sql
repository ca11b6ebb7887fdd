-- The data plane's copy of what the control plane syncs to it over the controllers' stream.
-- Keys are SHA-256 hashes only; ingestion and the API authenticate against this table.
CREATE TABLE projects (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL,
    workspace_id  uuid NOT NULL,
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    synced_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key_hash    bytea NOT NULL UNIQUE,
    scopes      text[] NOT NULL,
    revoked     boolean NOT NULL DEFAULT false,
    synced_at   timestamptz NOT NULL DEFAULT now()
);
