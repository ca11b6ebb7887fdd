# shellcheck shell=bash
# Sourced by ./hh: where things are kept, the versions hh installs, and the ways it speaks.

CACHE="${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/honeyhive-cs"
CHDB_VERSION=26.5.3
CHDB_PACKAGE="@chdb/lib-linux-x64-gnu"
# Debian bookworm's nats-server is 2.9.10, which has no `sync_interval` (it rejects the field):
# we take the nats-server package of the next Debian release, unpacked into the cache.
NATS_SUITE=trixie
# RestrictedPython 8.4 (sid) carries the guard-shadowing and string.Formatter fixes 8.0 (trixie) lacks.
RESTRICTEDPYTHON_SUITE=sid
NATS_SYNC="${HH_NATS_SYNC:-1s}"
# Under /var/lib, not /tmp: a PostgreSQL cluster must survive reboots like the rest of .data/.
PG_OUTSIDE_ROOT=/var/lib/honeyhive-cs
HEALTH_TIMEOUT="${HH_HEALTH_TIMEOUT:-120}"
COMPONENTS=(nats redis postgres)

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '==> %s\n' "$*"; }
warn() { printf 'hh: warning: %s\n' "$*" >&2; }
die() { printf 'hh: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# Instances: `up` is the user's; `test` and `bench` have their own ports (ports.sh) and data
# folders, so they never touch the user's data.
use_instance() {
  INSTANCE=$1
  case $INSTANCE in
    up)
      # HH_DATA moves the whole instance (a second platform beside the first, or a test of ./hh up itself).
      DATA="${HH_DATA:-$ROOT/.data}"; RUN="$DATA/run"
      case $DATA in /*) ;; *) die "HH_DATA=$DATA is not an absolute path." ;; esac
      PG_HOST_AUTH=scram-sha-256 ;;
    test|bench)
      # .data/test/run is the tests' own scratch folder (HH_TEST_DATA), so pid files go to pids/.
      DATA="$ROOT/.data/$INSTANCE"; RUN="$DATA/pids"
      # Tests connect as the superuser without a password (HH_TEST_PG); loopback only.
      PG_HOST_AUTH=trust ;;
  esac
  LOGS="$DATA/logs"
  set_ports "$INSTANCE"
}

make_dirs() {
  mkdir -p "$DATA" "$RUN" "$LOGS"
  # The postgres user has to walk through these folders to reach its cluster.
  chmod 755 "$DATA"
  if [ -d "$ROOT/.data" ]; then chmod 755 "$ROOT/.data"; fi
}
