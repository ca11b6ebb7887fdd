-- Issue 12: the tenancy tree gains virtual data planes and soft deletes; accounts gain sign-in sessions,
-- password resets and invitations; roles are granted at org, workspace or project scope; keys gain a kind
-- (project or control-plane), an expiry and a last-used time; signing keys for access tokens are kept
-- sealed; and every change is written to an append-only audit log.

-- Tenancy: org -> virtual data plane -> workspace -> project. Deletes are soft (deleted_at) everywhere.
CREATE TABLE virtual_dataplanes (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        text NOT NULL,
    slug        text NOT NULL,
    cluster_id  text NOT NULL DEFAULT 'local',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX virtual_dataplanes_slug ON virtual_dataplanes (slug) WHERE deleted_at IS NULL;
CREATE INDEX virtual_dataplanes_org ON virtual_dataplanes (org_id);

ALTER TABLE orgs ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Every org existing before this migration gets one virtual data plane holding its workspaces.
INSERT INTO virtual_dataplanes (id, org_id, name, slug)
SELECT gen_random_uuid(), id, 'default', 'default-' || replace(id::text, '-', '') FROM orgs;

ALTER TABLE workspaces
    ADD COLUMN virtual_dataplane_id uuid REFERENCES virtual_dataplanes (id) ON DELETE CASCADE,
    ADD COLUMN slug text,
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN deleted_at timestamptz;
UPDATE workspaces w SET virtual_dataplane_id = v.id FROM virtual_dataplanes v WHERE v.org_id = w.org_id;
UPDATE workspaces SET slug = 'ws-' || replace(id::text, '-', '');
ALTER TABLE workspaces ALTER COLUMN virtual_dataplane_id SET NOT NULL, ALTER COLUMN slug SET NOT NULL;
-- Names are unique among live workspaces of an org and live projects of a workspace: a deleted one frees its name.
ALTER TABLE workspaces DROP CONSTRAINT workspaces_org_id_name_key;
CREATE UNIQUE INDEX workspaces_live_name ON workspaces (org_id, name) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX workspaces_slug ON workspaces (slug) WHERE deleted_at IS NULL;
CREATE INDEX workspaces_dataplane ON workspaces (virtual_dataplane_id);

ALTER TABLE projects ADD COLUMN deleted_at timestamptz;
ALTER TABLE projects DROP CONSTRAINT projects_workspace_id_name_key;
CREATE UNIQUE INDEX projects_live_name ON projects (workspace_id, name) WHERE deleted_at IS NULL;

-- Accounts.
ALTER TABLE users
    ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN disabled_at timestamptz;

-- A sign-in session is a family of refresh tokens: each refresh rotates the token, and presenting a rotated
-- one again (a stolen copy) revokes the whole family.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    rotated_at   timestamptz,
    revoked_at   timestamptz,
    user_agent   text,
    ip           text
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Single-use, expiring password reset tokens, stored as hashes.
CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Roles. org_members says who belongs to an org and their org-wide role (NULL: only the narrower grants
-- below); role_bindings grant a role on one workspace or project. A role is a built-in name
-- (owner, admin, member, viewer; permissions in code) or the name of one of the org's custom roles.
ALTER TABLE org_members DROP CONSTRAINT org_members_role_check;
ALTER TABLE org_members ALTER COLUMN role DROP NOT NULL;
ALTER TABLE org_members ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE custom_roles (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    permissions  text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

CREATE TABLE role_bindings (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL,
    scope_type  text NOT NULL CHECK (scope_type IN ('workspace', 'project')),
    scope_id    uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, scope_type, scope_id)
);
CREATE INDEX role_bindings_org ON role_bindings (org_id);

-- Invitations: the only way to sign up besides being the bootstrap admin.
CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL,
    scope_type   text NOT NULL CHECK (scope_type IN ('org', 'workspace', 'project')),
    scope_id     uuid NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX invitations_org ON invitations (org_id);

-- API keys: 'project' keys (SDKs, ingestion; scopes ingest/read/write/admin; synced to data planes) and
-- 'control_plane' keys (hh_fgcp_...; permissions from the catalog, on an org or workspace; never synced).
ALTER TABLE api_keys
    ADD COLUMN kind text NOT NULL DEFAULT 'project' CHECK (kind IN ('project', 'control_plane')),
    ADD COLUMN org_id uuid REFERENCES orgs (id) ON DELETE CASCADE,
    ADD COLUMN scope_type text CHECK (scope_type IN ('org', 'workspace', 'project')),
    ADD COLUMN scope_id uuid,
    ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_keys ALTER COLUMN project_id DROP NOT NULL;
UPDATE api_keys k SET org_id = w.org_id, scope_type = 'project', scope_id = k.project_id
FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE p.id = k.project_id;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_project_kind_has_project CHECK (kind <> 'project' OR project_id IS NOT NULL);

-- Access-token signing keys (ES256). The private key is sealed with AES-256-GCM under the CP's master key
-- (ControlPlane:MasterKey); the public JWK is served at /.well-known/jwks.json from activation until expiry,
-- which outlasts retirement (the end of signing) by at least a token lifetime, so tokens in flight stay valid.
CREATE TABLE signing_keys (
    kid              text PRIMARY KEY,
    algorithm        text NOT NULL DEFAULT 'ES256',
    public_jwk       jsonb NOT NULL,
    private_sealed   bytea NOT NULL,
    private_nonce    bytea NOT NULL,
    private_tag      bytea NOT NULL,
    kek_id           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    retires_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL
);

-- The audit log: who changed what, when, with the state before and after. Append-only: the trigger refuses
-- UPDATE, DELETE and TRUNCATE, whatever role the application connects as.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       uuid NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_type   text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
    actor_id     text NOT NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    before       jsonb,
    after        jsonb,
    ip           text
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at DESC, id DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
