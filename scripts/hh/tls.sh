# shellcheck shell=bash
# TLS for every listener of `./hh up` when HH_TLS_CERT and HH_TLS_KEY (PEM files) are set: the Host's ports, NATS;
# HH_TLS_CA (PEM) when the certificate is not from a CA the machine trusts already. The test and bench instances never
# use it: tests make their own certificates.

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

# The Host's Tls section: every Kestrel endpoint turns https (services/ServiceDefaults/Tls).
host_tls_settings() {
  tls_on || return 0
  printf ',\n  "Tls": { "CertificatePath": %s, "KeyPath": %s%s }' "$(json_string "$HH_TLS_CERT")" "$(json_string "$HH_TLS_KEY")" \
    "$([ -n "${HH_TLS_CA:-}" ] && printf ', "CaPath": %s' "$(json_string "$HH_TLS_CA")")"
}
