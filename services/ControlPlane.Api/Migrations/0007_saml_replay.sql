-- SAML single sign-on's memory of what must work only once. Both tables are keyed by the SSO connection and hold a
-- row only until the message it names could no longer be accepted anyway, so they stay small.

-- AuthnRequests we sent (SP-initiated sign-in): a Response's InResponseTo must name one, and consumes it.
CREATE TABLE saml_requests (
    connection_id  uuid NOT NULL,
    request_id     text NOT NULL,
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (connection_id, request_id)
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

-- Assertion IDs already used to sign in, kept until the assertion expires (plus the clock skew): a replayed
-- Response finds its assertion here and is refused.
CREATE TABLE saml_used_assertions (
    connection_id  uuid NOT NULL,
    assertion_id   text NOT NULL,
    keep_until     timestamptz NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX saml_used_assertions_expiry ON saml_used_assertions (keep_until);
