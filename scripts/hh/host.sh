# shellcheck shell=bash
# services/Host: built in Release, run from the checkout (so appsettings.json's relative .data/
# paths land in $DATA) with the build output as content root. What appsettings.json cannot know
# (server ports, passwords, the chDB library, moved ports) goes into $DATA/appsettings.Local.json,
# which the Host loads from HH_LOCAL_SETTINGS.

host_exe() { find "$ROOT/services/Host/bin/Release" -maxdepth 2 -name HoneyHive.Host -type f 2>/dev/null | sort | tail -n 1; }

build_host() {
  say "Building services/Host (Release; log: $LOGS/build.log)"
  if ! dotnet build -c Release "$ROOT/services/Host" -nologo >"$LOGS/build.log" 2>&1; then
    grep -E 'error|Error' "$LOGS/build.log" | tail -n 20 >&2 || true
    die "'dotnet build -c Release services/Host' failed (log: $LOGS/build.log)."
  fi
}

json_string() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

# Written on every start from .data/secrets.env and the ports in force; 0600 because it holds
# the database passwords and the two master keys (provider secrets, CP signing keys). Every path under
# the data folder is written whole, so HH_DATA may move it anywhere.
write_host_settings() {
  local file="$DATA/appsettings.Local.json" pair endpoint var endpoints="" controller_url=""
  for pair in DataPlaneApi:DP_PORT ControlPlaneApi:CP_PORT OtlpGrpc:OTLP_GRPC_PORT OtlpHttp:OTLP_HTTP_PORT ControllerGrpc:CONTROLLER_PORT WorkflowGrpc:WORKFLOW_PORT; do
    endpoint=${pair%%:*}; var=${pair#*:}
    # appsettings.json already has the default ports: only a moved one is written.
    [ "${!var}" = "$(host_default_port "$endpoint")" ] && continue
    endpoints+="${endpoints:+,
}      \"$endpoint\": { \"Url\": \"http://127.0.0.1:${!var}\" }"
    if [ "$endpoint" = ControllerGrpc ]; then controller_url="\"ControlPlaneUrl\": \"http://127.0.0.1:${!var}\", "; fi
  done
  if [ -n "$endpoints" ]; then endpoints=",
  \"Kestrel\": {
    \"Endpoints\": {
$endpoints
    }
  }"; fi
  (
    umask 077
    cat >"$file.tmp" <<JSON
{
  "ConnectionStrings": {
    "nats": "$(tls_on && echo tls || echo nats)://127.0.0.1:$NATS_PORT",
    "redis": "127.0.0.1:$REDIS_PORT$(redis_connection_tls)",
    "cpdb": "Host=127.0.0.1;Port=$PG_PORT;Username=cp;Password=$HH_CP_DB_PASSWORD;Database=cpdb$(pg_connection_tls)",
    "dpdb": "Host=127.0.0.1;Port=$PG_PORT;Username=dp;Password=$HH_DP_DB_PASSWORD;Database=dpdb$(pg_connection_tls)"
  },
  "Secrets": { "MasterKey": $(json_string "$HH_SECRETS_MASTER_KEY") },
  "ControlPlane": { "MasterKey": $(json_string "$HH_CP_MASTER_KEY") },
  "Notification": { "AppUrl": "$(scheme)://127.0.0.1:${WEB_PORT:-3000}" },
  "Bootstrap": { "OutputPath": $(json_string "$DATA/bootstrap.json") },
  "Controller": {
    ${controller_url}"IdentityPath": $(json_string "$DATA/dp-identity.pem"),
    "Sync": { "IdentityKeyPath": $(json_string "$DATA/cp-controller-identity.pem") }
  },
  "ObjectStore": { "Path": $(json_string "$DATA/objects") },
  "ClickHouse": { "ChdbLibrary": $(json_string "$CHDB_LIB"), "DataPath": $(json_string "$DATA/clickhouse") },
  "PythonMetric": { "PythonLibrary": $(json_string "$PYTHON_LIB"), "RestrictedPythonPath": $(json_string "$RESTRICTEDPYTHON_PATH") }$endpoints$(host_tls_settings)
}
JSON
  )
  mv "$file.tmp" "$file"
  HOST_SETTINGS=$file
}

start_host() {
  local pid exe
  if pid=$(running_pid host); then say "Host is already running (pid $pid)"; return; fi
  require_ports_of host
  build_host
  exe=$(host_exe)
  [ -n "$exe" ] || die "The build produced no services/Host/bin/Release/*/HoneyHive.Host."
  mkdir -p "$DATA/clickhouse" "$DATA/objects"
  write_host_settings
  say "Starting services/Host (settings: appsettings.json, then $HOST_SETTINGS)"
  # HH_INIT_* variables are inherited as they are: the first-start bootstrap reads them.
  (
    cd "$ROOT"
    export HH_LOCAL_SETTINGS="$HOST_SETTINGS"
    # The Host's clients of its own listeners (JWKS, workflow backend, controllers, NATS) trust HH_TLS_CA too.
    if tls_on && [ -n "${HH_TLS_CA:-}" ]; then SSL_CERT_FILE=$(tls_trust_bundle); export SSL_CERT_FILE; fi
    spawn host "$exe" --contentRoot "$(dirname "$exe")"
  )
  wait_host_healthy
}

host_health() { curl_own -fsS -m 5 "$(scheme)://127.0.0.1:$1/health" >/dev/null 2>&1; }

host_both_healthy() { host_health "$DP_PORT" && host_health "$CP_PORT"; }

wait_host_healthy() {
  say "Waiting for /health on :$DP_PORT and :$CP_PORT (up to $HEALTH_TIMEOUT s)"
  wait_ready host "" "$HEALTH_TIMEOUT" host_both_healthy
}

# The admin's email only; the password stays in the file.
bootstrap_admin_email() {
  sed -n 's/^[[:space:]]*"admin_email":[[:space:]]*"\([^"]*\)".*/\1/p' "$DATA/bootstrap.json" 2>/dev/null | head -n 1 | grep . || echo "the admin_email of bootstrap.json"
}

print_urls() {
  cat <<EOF2

HoneyHive is up (data in $DATA):
  DP API (HoneyHive REST API)  $(scheme)://127.0.0.1:$DP_PORT
  OTLP gRPC                    127.0.0.1:$OTLP_GRPC_PORT$(tls_on && echo " (TLS)")
  OTLP HTTP                    $(scheme)://127.0.0.1:$OTLP_HTTP_PORT/v1/traces
  CP API                       $(scheme)://127.0.0.1:$CP_PORT
  Web UI                       $(scheme)://127.0.0.1:$WEB_PORT
  NATS / Redis / PostgreSQL    127.0.0.1:$NATS_PORT / 127.0.0.1:$REDIS_PORT / 127.0.0.1:$PG_PORT$(tls_on && echo " (all TLS only)")
Bootstrap credentials (admin login, project API key): $DATA/bootstrap.json$([ -f "$DATA/bootstrap.json" ] || echo " (not written yet)")
Sign in: POST $(scheme)://127.0.0.1:$CP_PORT/v1/auth/login as $(bootstrap_admin_email) (password: admin_password in $DATA/bootstrap.json)
Database passwords: $DATA/secrets.env; the Host's settings: $DATA/appsettings.Local.json
EOF2
}
