#!/usr/bin/env bash
# hh: the one entry point of the single-node platform. It installs what is missing, starts NATS
# (JetStream), Redis, PostgreSQL and services/Host on loopback with data under .data/, stops
# exactly what it started, and runs the tests and benchmarks against instances of their own.
#
#   ./hh up [-d]        install, start everything, wait for /health (-d: return instead of tailing)
#   ./hh down           stop the processes `up` started (pid files under .data/run/)
#   ./hh status         each component: running or not, pid, port; health of the Host
#   ./hh logs [svc]     tail .data/logs/<svc>.log (nats, redis, postgres, host, build)
#   ./hh install        install what is missing (apt packages, nats-server, libchdb.so); start nothing
#   ./hh test [proj] [opts]  fresh servers on the test ports, `dotnet test HoneyHive.sln` (or proj, opts), stop them
#   ./hh test --fast [proj] [opts]  only tests marked [Trait("Servers", "None")]; no server, no install
#   ./hh bench <name>   the same servers (data under .data/bench), then bench/Bench <name>
#                       (load: sustained rate, ramp to saturation, ceilings; see bench/README.md)
#   ./hh chaos [opts]   the bench servers, then load while each fault happens in turn (Host kill -9,
#                       also during large uploads, NATS kill -9 and restarts, Redis/PostgreSQL restarts,
#                       analytics outages, redelivery, object store disk full): lost must be 0
#   ./hh dlq list|replay  the Writer's dead letters in .data/objects; replay re-inserts them
#   ./hh archive restore --project P --from D1 --to D2  archived days (UTC, inclusive) back into ClickHouse, once
#
# The work is done by scripts/hh/*.sh, one concern each; ports are defined in scripts/hh/ports.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/hh/common.sh
. "$ROOT/scripts/hh/common.sh"
# shellcheck source=scripts/hh/ports.sh
. "$ROOT/scripts/hh/ports.sh"
# shellcheck source=scripts/hh/install.sh
. "$ROOT/scripts/hh/install.sh"
# shellcheck source=scripts/hh/process.sh
. "$ROOT/scripts/hh/process.sh"
# shellcheck source=scripts/hh/tls.sh
. "$ROOT/scripts/hh/tls.sh"
# shellcheck source=scripts/hh/servers.sh
. "$ROOT/scripts/hh/servers.sh"
# shellcheck source=scripts/hh/postgres.sh
. "$ROOT/scripts/hh/postgres.sh"
# shellcheck source=scripts/hh/host.sh
. "$ROOT/scripts/hh/host.sh"
# shellcheck source=scripts/hh/web.sh
. "$ROOT/scripts/hh/web.sh"
# shellcheck source=scripts/hh/platform.sh
. "$ROOT/scripts/hh/platform.sh"
# shellcheck source=scripts/hh/test.sh
. "$ROOT/scripts/hh/test.sh"
# shellcheck source=scripts/hh/bench.sh
. "$ROOT/scripts/hh/bench.sh"

usage() {
  sed -n '2,19p' "$ROOT/hh" | sed 's/^# \{0,1\}//'
  exit 2
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1; shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    install) cmd_install ;;
    test) cmd_test "$@" ;;
    bench) cmd_bench "$@" ;;
    dlq) cmd_dlq "$@" ;;
    archive) cmd_archive "$@" ;;
    chaos) cmd_chaos "$@" ;;
    _restart) cmd_restart_server "$@" ;;
    -h|--help|help) usage ;;
    *) die "Unknown command '$cmd'; use up, down, status, logs, install, test, bench, chaos, dlq or archive." ;;
  esac
}

main "$@"
