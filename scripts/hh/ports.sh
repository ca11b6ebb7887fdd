# shellcheck shell=bash
# Every port hh uses, defined here once, each with the variable that moves it. `up` (the user's
# instance) and `test`/`bench` (scratch instances) have separate sets so both can run at once.
# The Host's own ports default to what services/Host/appsettings.json says; hh reads them from
# there instead of repeating them.

declare -A PORT_VAR=() PORT_LABEL=()

set_ports() { # instance
  PORT_VAR=(); PORT_LABEL=()
  case $1 in
    up)
      port NATS_PORT HH_NATS_PORT 14222 NATS
      port NATS_MON_PORT HH_NATS_MONITOR_PORT 18222 "NATS monitoring"
      port REDIS_PORT HH_REDIS_PORT 16379 Redis
      port PG_PORT HH_PG_PORT 15432 PostgreSQL
      port DP_PORT HH_DP_API_PORT "$(host_default_port DataPlaneApi)" "DP API"
      port CP_PORT HH_CP_API_PORT "$(host_default_port ControlPlaneApi)" "CP API"
      port OTLP_GRPC_PORT HH_OTLP_GRPC_PORT "$(host_default_port OtlpGrpc)" "OTLP gRPC"
      port OTLP_HTTP_PORT HH_OTLP_HTTP_PORT "$(host_default_port OtlpHttp)" "OTLP HTTP"
      port CONTROLLER_PORT HH_CONTROLLER_PORT "$(host_default_port ControllerGrpc)" "CP controller gRPC"
      port WORKFLOW_PORT HH_WORKFLOW_GRPC_PORT "$(host_default_port WorkflowGrpc)" "workflow backend gRPC"
      port WEB_PORT HH_WEB_PORT 3000 "web UI" ;;
    test|bench)
      # The Hosts that tests and benchmarks start pick free ports of their own.
      port NATS_PORT HH_TEST_NATS_PORT 24222 NATS
      port NATS_MON_PORT HH_TEST_NATS_MONITOR_PORT 28222 "NATS monitoring"
      port REDIS_PORT HH_TEST_REDIS_PORT 26379 Redis
      port PG_PORT HH_TEST_PG_PORT 25432 PostgreSQL ;;
  esac
}

port() { # name, environment variable, default, label
  local value=${!2:-$3}
  if ! [[ $value =~ ^[0-9]+$ ]] || [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then
    die "$2=$value is not a port number."
  fi
  printf -v "$1" '%s' "$value"
  PORT_VAR[$1]=$2; PORT_LABEL[$1]=$4
}

# Kestrel:Endpoints:<name>:Url of services/Host/appsettings.json, e.g. "http://127.0.0.1:8080".
host_default_port() { # endpoint name
  local settings="$ROOT/services/Host/appsettings.json" value
  value=$(awk -v key="\"$1\":" '
    $1 == key { inside = 1; next }
    inside && /"Url"/ { if (match($0, /:[0-9]+"/)) print substr($0, RSTART + 1, RLENGTH - 2); exit }
  ' "$settings")
  [[ $value =~ ^[0-9]+$ ]] || die "Could not read Kestrel:Endpoints:$1:Url's port from $settings."
  echo "$value"
}

port_in_use() { ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q .; }

require_port() { # name of the port's variable (NATS_PORT, ...)
  local port=${!1}
  if port_in_use "$port"; then
    die "Port $port (${PORT_LABEL[$1]}) is already in use by another process; set ${PORT_VAR[$1]} to a free port and retry."
  fi
}

component_ports() { # component: the variables of its ports
  case $1 in
    nats) echo NATS_PORT NATS_MON_PORT ;; redis) echo REDIS_PORT ;; postgres) echo PG_PORT ;;
    host) echo DP_PORT CP_PORT OTLP_GRPC_PORT OTLP_HTTP_PORT CONTROLLER_PORT WORKFLOW_PORT ;;
    web) echo WEB_PORT ;;
  esac
}

require_ports_of() { # component
  local name
  for name in $(component_ports "$1"); do require_port "$name"; done
}

# Every port is checked before anything starts, so a clash never leaves half a platform running.
preflight_ports() {
  local name
  for name in "${COMPONENTS[@]}"; do
    running_pid "$name" >/dev/null || require_ports_of "$name"
  done
  [ "$INSTANCE" = up ] || return 0
  running_pid host >/dev/null || require_ports_of host
  running_pid web >/dev/null || require_ports_of web
}

# While an instance runs, the ports it was started with win over a later command's environment.
save_ports() {
  local name
  for name in "${!PORT_VAR[@]}"; do printf '%s=%s\n' "$name" "${!name}"; done >"$RUN/ports.env"
}

load_saved_ports() {
  if [ -f "$RUN/ports.env" ]; then
    # shellcheck disable=SC1091
    . "$RUN/ports.env"
  fi
}
