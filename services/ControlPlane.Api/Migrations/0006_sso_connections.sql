-- Issue 19: single sign-on. An org connects its identity provider (OIDC now, SAML next) through an SSO
-- connection; users it signs in are linked to it by the provider's subject, so a changed email at the
-- provider does not make a second account.

CREATE TABLE sso_connections (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    protocol       text NOT NULL CHECK (protocol IN ('oidc', 'saml')),
    name           text NOT NULL,
    -- Lowercased domains whose users this connection signs in (email-domain routing on the sign-in page).
    email_domains  text[] NOT NULL DEFAULT '{}',
    -- The org-wide role a user gets when this connection first provisions them into the org.
    default_role   text NOT NULL,
    enabled        boolean NOT NULL DEFAULT true,
    -- Protocol settings that are not secret (OIDC: issuer, client_id, scopes, token auth method).
    config         jsonb NOT NULL DEFAULT '{}',
    -- Protocol secrets (OIDC: the client secret), sealed under the CP master key with the connection id as
    -- associated data; never returned by the API.
    secrets_sealed text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE INDEX sso_connections_org ON sso_connections (org_id) WHERE deleted_at IS NULL;

-- One enabled connection per email domain across all orgs, so a domain routes to exactly one provider and no
-- org can claim another's users by listing their domain too.
CREATE TABLE sso_email_domains (
    domain         text PRIMARY KEY,
    connection_id  uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE
);
CREATE INDEX sso_email_domains_connection ON sso_email_domains (connection_id);

-- Who a connection signed in: the provider's stable subject, per connection (subjects are only unique
-- within one issuer).
CREATE TABLE sso_identities (
    connection_id  uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    subject        text NOT NULL,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email          text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);
