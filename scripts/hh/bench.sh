# shellcheck shell=bash
# ./hh bench, ./hh chaos and the hidden ./hh _restart the chaos harness calls back.

cmd_bench() {
  [ $# -ge 1 ] || die "Usage: ./hh bench <name> (for example ./hh bench limits)."
  [ -d "$ROOT/bench/Bench" ] || die "bench/Bench does not exist yet, so there is no benchmark to run."
  start_scratch_instance bench
  mkdir -p "$ROOT/bench/results"
  # The scratch instance wipes .data/bench on every start, so data a bench keeps (bench query --keep) goes beside it.
  export HH_BENCH_KEPT="$ROOT/.data/bench-kept"
  if [ "$1" = ui ]; then
    build_web
    ensure_chromium
    export HH_WEB_SERVER="$WEB_SERVER" HH_CHROMIUM="$CHROMIUM_BIN"
  fi
  dotnet run -c Release --project "$ROOT/bench/Bench" -- "$@"
}

# Load with faults: the bench servers, and HH_SCRIPT so the harness can restart them through
# `./hh _restart` (hh's own stop and start, same ports and data: NATS keeps its file store).
cmd_chaos() {
  [ -d "$ROOT/bench/Bench" ] || die "bench/Bench does not exist, so there is no chaos harness to run."
  start_scratch_instance bench
  mkdir -p "$ROOT/bench/results"
  export HH_SCRIPT="$ROOT/hh"
  say "NATS JetStream sync: ${NATS_SYNC} (HH_NATS_SYNC); servers restart through ./hh _restart"
  dotnet run -c Release --project "$ROOT/bench/Bench" -- chaos "$@"
}

# Hidden, for ./hh chaos: stop and start one server of the running bench instance in place. A
# server the harness killed (its pid is dead) is just started again.
cmd_restart_server() {
  [ $# -eq 1 ] || die "Usage: ./hh _restart <nats|redis|postgres> (used by ./hh chaos)."
  use_instance bench
  [ -f "$RUN/ports.env" ] || die "No bench instance is running (no $RUN/ports.env)."
  load_saved_ports
  ensure_tools
  case $1 in
    nats) stop_component nats; start_nats ;;
    redis) stop_component redis; start_redis ;;
    postgres) stop_postgres; start_postgres ;;
    *) die "Unknown server '$1'; use nats, redis or postgres." ;;
  esac
}
