-- Data planes known to this control plane. The first registration pins the DP's public key;
-- a later registration under the same id with another key is refused.
CREATE TABLE data_planes (
    id              text PRIMARY KEY,
    public_key      bytea NOT NULL,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_health     text
);
