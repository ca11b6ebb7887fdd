-- Evaluator definitions (metrics), prompt configurations and per-workspace provider secrets.
-- Definitions are versioned: a save appends an immutable version row and moves a pointer, so
-- history can always be listed, fetched and (for metrics) deployed again.

CREATE TABLE metrics (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- The deployed version's name, kept here so uniqueness per project is a constraint.
    name             text NOT NULL,
    deployed_version integer NOT NULL,
    latest_version   integer NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz
);
CREATE UNIQUE INDEX metrics_project_name ON metrics (project_id, name);

CREATE TABLE metric_versions (
    metric_id  uuid NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    full_sha   text NOT NULL,
    message    text NOT NULL DEFAULT '',
    content    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (metric_id, version)
);

CREATE TABLE configurations (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name            text NOT NULL,
    current_version integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz
);
CREATE UNIQUE INDEX configurations_project_name ON configurations (project_id, name);

CREATE TABLE configuration_versions (
    configuration_id uuid NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,
    version          integer NOT NULL,
    content          jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (configuration_id, version)
);

-- Versions are history: the database refuses to rewrite one, whatever the application does.
CREATE FUNCTION refuse_version_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER metric_versions_immutable BEFORE UPDATE ON metric_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_version_update();
CREATE TRIGGER configuration_versions_immutable BEFORE UPDATE ON configuration_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_version_update();

-- Envelope encryption: the value is sealed (AES-256-GCM) under a random data key; the data key
-- is sealed under the master key named by kek_id. Both seals bind workspace and provider as
-- associated data, so a row copied elsewhere does not open. masked is what reads return.
CREATE TABLE provider_secrets (
    workspace_id uuid NOT NULL,
    provider     text NOT NULL,
    ciphertext   bytea NOT NULL,
    nonce        bytea NOT NULL,
    tag          bytea NOT NULL,
    wrapped_key  bytea NOT NULL,
    key_nonce    bytea NOT NULL,
    key_tag      bytea NOT NULL,
    kek_id       text NOT NULL,
    masked       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, provider)
);
CREATE INDEX provider_secrets_kek ON provider_secrets (kek_id);
