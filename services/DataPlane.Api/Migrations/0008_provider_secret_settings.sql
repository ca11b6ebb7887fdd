-- What a provider key is for, beside the sealed value: its wire format (null when the provider name implies it),
-- the base URL a custom server is reached at, and the kind's settings (api_version, region, project, ...).
-- kind and base_url are bound into the seal's associated data, so editing them here breaks decryption on purpose.
ALTER TABLE provider_secrets
    ADD COLUMN kind     text,
    ADD COLUMN base_url text,
    ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';

-- A workspace's model aliases: a name callers send as model, and the ordered provider/model targets it falls back over.
CREATE TABLE model_aliases (
    workspace_id uuid NOT NULL,
    name         text NOT NULL,
    targets      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, name)
);
