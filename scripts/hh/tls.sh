# shellcheck shell=bash
# TLS for every listener of `./hh up` when HH_TLS_CERT and HH_TLS_KEY (PEM files) are set: the Host's ports, NATS
# (clients and monitoring), Redis, PostgreSQL and the web UI; HH_TLS_CA (PEM) when the certificate is not from a CA
# the machine trusts already. Each listener then takes TLS only. The test and bench instances never use it: tests make
# their own certificates.

tls_on() { [ "${INSTANCE:-}" = up ] && [ -n "${HH_TLS_CERT:-}" ]; }

# Both or neither, readable, absolute (the Host and nats-server run from other folders).
check_tls_settings() {
  if [ -n "${HH_TLS_CERT:-}" ] && [ -z "${HH_TLS_KEY:-}" ]; then die "HH_TLS_CERT is set without HH_TLS_KEY: set both PEM files or neither."; fi
  if [ -z "${HH_TLS_CERT:-}" ] && [ -n "${HH_TLS_KEY:-}" ]; then die "HH_TLS_KEY is set without HH_TLS_CERT: set both PEM files or neither."; fi
  local var
  for var in HH_TLS_CERT HH_TLS_KEY HH_TLS_CA; do
    [ -n "${!var:-}" ] || continue
    [ -r "${!var}" ] || die "$var names ${!var}, which cannot be read."
    printf -v "$var" '%s' "$(readlink -f "${!var}")"
  done
}

# What `up` ran with, so `down`, `status`, `dlq` and `archive` reach a running platform the same way without the
# variables being set again (given ones win, as for ports).
save_tls_settings() {
  if tls_on; then
    printf 'HH_TLS_CERT=%q\nHH_TLS_KEY=%q\nHH_TLS_CA=%q\n' "$HH_TLS_CERT" "$HH_TLS_KEY" "${HH_TLS_CA:-}" >"$RUN/tls.env"
  else
    rm -f "$RUN/tls.env"
  fi
}

load_saved_tls_settings() {
  if [ -z "${HH_TLS_CERT:-}" ] && [ -f "$RUN/tls.env" ]; then
    # shellcheck disable=SC1091
    . "$RUN/tls.env"
  fi
}

scheme() { if tls_on; then echo https; else echo http; fi; }

# curl against our own listeners: trusting HH_TLS_CA when given.
curl_own() { if tls_on && [ -n "${HH_TLS_CA:-}" ]; then curl --cacert "$HH_TLS_CA" "$@"; else curl "$@"; fi; }

# The roots the platform's clients trust (.NET reads SSL_CERT_FILE on Linux): the machine's bundle plus HH_TLS_CA.
tls_trust_bundle() {
  local bundle="$RUN/tls-trust.pem" system=/etc/ssl/certs/ca-certificates.crt
  { [ -r "$system" ] && cat "$system"; cat "$HH_TLS_CA"; } >"$bundle"
  echo "$bundle"
}

nats_tls_block() {
  tls_on || return 0
  printf 'tls {\n  cert_file: "%s"\n  key_file: "%s"\n}\n' "$HH_TLS_CERT" "$HH_TLS_KEY"
}

# NATS monitoring answers over https with the same certificate (the tls block) when TLS is on.
nats_monitor_line() {
  if tls_on; then echo "https: 127.0.0.1:$NATS_MON_PORT"; else echo "http: 127.0.0.1:$NATS_MON_PORT"; fi
}

# Redis: the TLS port takes the place of the plain one (port 0 turns that off); clients show no certificate.
redis_tls_args() {
  REDIS_TLS_ARGS=()
  tls_on || return 0
  REDIS_TLS_ARGS=(--port 0 --tls-port "$REDIS_PORT" --tls-cert-file "$HH_TLS_CERT" --tls-key-file "$HH_TLS_KEY"
    --tls-auth-clients no)
  if [ -n "${HH_TLS_CA:-}" ]; then REDIS_TLS_ARGS+=(--tls-ca-cert-file "$HH_TLS_CA"); else REDIS_TLS_ARGS+=(--tls-ca-cert-dir /etc/ssl/certs); fi
}

redis_cli_own() {
  local tls=()
  if tls_on; then tls=(--tls); [ -n "${HH_TLS_CA:-}" ] && tls+=(--cacert "$HH_TLS_CA"); fi
  redis-cli "${tls[@]}" -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

# PostgreSQL: ssl=on with copies of the certificate and key that the server's user owns (it refuses a key others can
# read), and an hba file with hostssl lines only, so a connection without TLS is refused by name. The Unix socket
# (./hh's own psql) stays as initdb made it.
pg_tls_options() {
  PG_TLS_OPTIONS=""
  tls_on || return 0
  local dir="$PG_HOME/tls"
  mkdir -p "$dir"
  install -m 600 "$HH_TLS_CERT" "$dir/server.crt"
  install -m 600 "$HH_TLS_KEY" "$dir/server.key"
  cat >"$dir/pg_hba.conf" <<HBA
# Written by ./hh up while HH_TLS_CERT is set: TCP connections take TLS only.
local   all all                trust
hostssl all all 127.0.0.1/32   $PG_HOST_AUTH
hostssl all all ::1/128        $PG_HOST_AUTH
HBA
  is_root && chown -R postgres: "$dir"
  chmod 700 "$dir"
  PG_TLS_OPTIONS="-c ssl=on -c ssl_cert_file='$dir/server.crt' -c ssl_key_file='$dir/server.key' -c hba_file='$dir/pg_hba.conf'"
}

# The Host's connection settings for Redis and PostgreSQL over TLS (certificates checked, names included).
redis_connection_tls() { tls_on && printf ',ssl=true'; return 0; }
pg_connection_tls() {
  tls_on || return 0
  printf ';SSL Mode=VerifyFull'
  [ -n "${HH_TLS_CA:-}" ] && printf ';Root Certificate=%s' "$HH_TLS_CA"
  return 0
}

# The Host's Tls section: every Kestrel endpoint turns https (services/ServiceDefaults/Tls).
host_tls_settings() {
  tls_on || return 0
  printf ',\n  "Tls": { "CertificatePath": %s, "KeyPath": %s%s }' "$(json_string "$HH_TLS_CERT")" "$(json_string "$HH_TLS_KEY")" \
    "$([ -n "${HH_TLS_CA:-}" ] && printf ', "CaPath": %s' "$(json_string "$HH_TLS_CA")")"
}
