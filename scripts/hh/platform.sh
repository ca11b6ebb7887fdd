# shellcheck shell=bash
# Commands on the user's instance (`up`): up, down, status, logs, dlq, archive.

cmd_up() {
  local detach=0
  while [ $# -gt 0 ]; do
    case $1 in -d|--detach) detach=1 ;; *) die "Unknown option for up: $1 (usage: ./hh up [-d])." ;; esac
    shift
  done
  use_instance up
  any_running && load_saved_ports && load_saved_tls_settings
  check_tls_settings
  preflight_ports
  ensure_tools
  make_dirs
  save_ports
  save_tls_settings
  ensure_secrets
  start_servers
  ensure_database cp cpdb "$HH_CP_DB_PASSWORD"
  ensure_database dp dpdb "$HH_DP_DB_PASSWORD"
  start_host
  start_web
  print_urls
  [ "$detach" -eq 1 ] && { echo "Stop with ./hh down; logs with ./hh logs [service]."; return; }
  echo "Following the Host's log; Ctrl-C stops everything."
  trap 'echo; stop_all; exit 0' INT TERM
  # tail ends by itself when the Host exits; then the rest is stopped too.
  tail -n 0 -F --pid="$(running_pid host)" "$LOGS/host.log" &
  wait $! || true
  trap - INT TERM
  stop_all
  die "The Host exited; see $LOGS/host.log."
}

cmd_down() {
  use_instance up
  find_pg_bin || true
  stop_all
  say "Stopped."
}

component_line() { # name, pid-or-empty, address
  if [ -n "$2" ]; then printf '  %-9s running  pid %-8s %s\n' "$1" "$2" "$3"
  else printf '  %-9s stopped  %-12s %s\n' "$1" "" "$3"; fi
}

cmd_status() {
  use_instance up
  any_running && load_saved_ports && load_saved_tls_settings
  local pid health port
  pid=$(running_pid nats) || pid=""
  component_line nats "$pid" "127.0.0.1:$NATS_PORT (monitoring :$NATS_MON_PORT)"
  pid=$(running_pid redis) || pid=""
  component_line redis "$pid" "127.0.0.1:$REDIS_PORT"
  pid=""
  if find_pg_bin && [ -e "$DATA/pg" ]; then locate_pg; pg_is_running && pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid"); fi
  component_line postgres "$pid" "127.0.0.1:$PG_PORT"
  pid=$(running_pid host) || pid=""
  component_line host "$pid" "DP :$DP_PORT  CP :$CP_PORT  OTLP :$OTLP_GRPC_PORT/:$OTLP_HTTP_PORT"
  pid=$(running_pid web) || pid=""
  component_line web "$pid" "$(scheme)://127.0.0.1:$WEB_PORT"
  if [ -n "$pid" ]; then
    for port in "$DP_PORT" "$CP_PORT"; do
      health=$(curl_own -s -m 5 -o /dev/null -w '%{http_code}' "$(scheme)://127.0.0.1:$port/health" || true)
      printf '  host /health on :%s -> %s\n' "$port" "$([ "$health" = 200 ] && echo "healthy (200)" || echo "unhealthy (${health:-no answer})")"
    done
  fi
}

cmd_logs() {
  use_instance up
  [ -d "$LOGS" ] || die "No logs yet: $LOGS does not exist (run ./hh up first)."
  if [ $# -eq 0 ]; then
    exec tail -n 20 -F "$LOGS"/*.log
  fi
  if [ ! -e "$LOGS/$1.log" ]; then
    local logs=("$LOGS"/*.log)
    logs=("${logs[@]##*/}")
    die "No log for '$1'; there are: ${logs[*]%.log}"
  fi
  exec tail -n 100 -F "$LOGS/$1.log"
}

# Dead letters of the Writer. With the Host running, replay hands the messages back to NATS for its
# Writer (chDB lets one process own .data/clickhouse); otherwise it inserts them itself. The Writer's
# own command, so it gets its few settings here; the paths are the defaults under .data/.
cmd_dlq() {
  [ $# -ge 1 ] || die "Usage: ./hh dlq list | ./hh dlq replay"
  use_instance up
  load_saved_ports
  load_saved_tls_settings
  ensure_chdb
  # Dead letters are encrypted under the data plane's master key (README, "Encryption at rest").
  ensure_secrets
  local extra=()
  if [ "$1" = replay ] && running_pid host >/dev/null; then extra=(--publish); fi
  (
    cd "$ROOT"
    local nats_scheme=nats
    if tls_on; then nats_scheme=tls; fi
    export ConnectionStrings__nats="$nats_scheme://127.0.0.1:$NATS_PORT"
    if tls_on && [ -n "${HH_TLS_CA:-}" ]; then SSL_CERT_FILE=$(tls_trust_bundle); export SSL_CERT_FILE; fi
    export ClickHouse__ChdbLibrary="$CHDB_LIB"
    export ClickHouse__DataPath="$DATA/clickhouse"
    export ObjectStore__Path="$DATA/objects"
    export Secrets__MasterKey="$HH_SECRETS_MASTER_KEY"
    dotnet run -c Release --project "$ROOT/services/Writer" -- dlq "$@" "${extra[@]}"
  )
}

# Archived days of a project back into ClickHouse, exactly once per day. With the Host running (chDB lets one
# process own .data/clickhouse) this asks its DP route, with the bootstrap project's key or HH_API_KEY (a key with
# the write scope of that project); otherwise services/DataPlane.Api loads them itself with the Host's settings,
# starting PostgreSQL for the while if it is stopped.
cmd_archive() {
  local usage="Usage: ./hh archive restore --project <project_id> --from <yyyy-MM-dd> --to <yyyy-MM-dd>"
  [ "${1:-}" = restore ] || die "$usage"
  shift
  local project="" from="" to="" key started_pg=0
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "$usage"
    case $1 in
      --project) project=$2 ;;
      --from) from=$2 ;;
      --to) to=$2 ;;
      *) die "Unknown option '$1'. $usage" ;;
    esac
    shift 2
  done
  if [ -z "$project" ] || [ -z "$from" ] || [ -z "$to" ]; then die "$usage"; fi
  use_instance up
  [ -f "$RUN/ports.env" ] && load_saved_ports
  load_saved_tls_settings
  if running_pid host >/dev/null; then
    key=${HH_API_KEY:-$(jq -r '.api_key // empty' "$DATA/bootstrap.json" 2>/dev/null || true)}
    [ -n "$key" ] || die "No API key: set HH_API_KEY to a key of project $project with the write scope."
    curl_own -sS --fail-with-body -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      --data "$(jq -cn --arg from "$from" --arg to "$to" '{from: $from, to: $to}')" \
      "$(scheme)://127.0.0.1:$DP_PORT/v1/projects/$project/archive/restore" | jq .
    return
  fi
  ensure_tools
  ensure_secrets
  make_dirs
  if ! { find_pg_bin && locate_pg && pg_is_running; }; then start_postgres; started_pg=1; fi
  write_host_settings
  local status=0
  (cd "$ROOT" && dotnet run -c Release --project "$ROOT/services/DataPlane.Api" -- archive restore \
      --project "$project" --from "$from" --to "$to" \
      --settings "$ROOT/services/Host/appsettings.json" --settings "$HOST_SETTINGS") || status=$?
  [ "$started_pg" -eq 1 ] && stop_postgres
  return "$status"
}
