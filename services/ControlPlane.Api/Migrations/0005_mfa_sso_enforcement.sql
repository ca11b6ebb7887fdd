-- Issue 19: multi-factor authentication (TOTP and recovery codes), the sign-in challenges between a password and
-- a second factor, how each session was obtained, and each org's sign-in policy (require MFA, require SSO, and the
-- break-glass accounts that may still sign in by password when SSO is required).

-- One authenticator per user. The TOTP secret is sealed under the CP master key (SealedText, bound to the user) and
-- never returned after enrolment. confirmed_at is null while enrolment waits for its first valid code.
-- last_used_step is the replay guard: a code is accepted only for a time step after it, so a code works once.
CREATE TABLE user_mfa (
    user_id             uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    totp_secret_sealed  text NOT NULL,
    confirmed_at        timestamptz,
    last_used_step      bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored as SHA-256 of the user id and the code (80 random bits each).
CREATE TABLE mfa_recovery_codes (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id);

-- A password sign-in that still needs a second factor ('mfa') or an authenticator set up first ('mfa_enrollment'):
-- short-lived, single use, stored as a hash. break_glass_orgs names the orgs requiring SSO whose break-glass rule let
-- the password through, so the session, once issued, is audited there.
CREATE TABLE sign_in_challenges (
    token_hash        bytea PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('mfa', 'mfa_enrollment')),
    break_glass_orgs  uuid[] NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz
);
CREATE INDEX sign_in_challenges_user ON sign_in_challenges (user_id);

-- How each session was obtained; every token of a family carries its session's method. Sessions from before this
-- migration were password sign-ins.
ALTER TABLE refresh_tokens ADD COLUMN method text NOT NULL DEFAULT 'password'
    CHECK (method IN ('password', 'mfa', 'sso-oidc', 'sso-saml'));

-- Each org's sign-in policy.
ALTER TABLE orgs
    ADD COLUMN require_mfa boolean NOT NULL DEFAULT false,
    ADD COLUMN require_sso boolean NOT NULL DEFAULT false;

-- Break-glass accounts: members who may still sign in by password (and their MFA) while the org requires SSO. A member
-- who leaves the org stops being one (the membership's foreign key).
CREATE TABLE org_break_glass_accounts (
    org_id      uuid NOT NULL,
    user_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES org_members (org_id, user_id) ON DELETE CASCADE
);
