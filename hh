#!/usr/bin/env bash
# hh: the one entry point of the single-node platform. It installs what is missing, starts NATS
# (JetStream), Redis, PostgreSQL and services/Host on loopback with data under .data/, stops
# exactly what it started, and runs the tests and benchmarks against instances of their own.
#
#   ./hh up [-d]        install, start everything, wait for /health (-d: return instead of tailing)
#   ./hh down           stop the processes `up` started (pid files under .data/run/)
#   ./hh status         each component: running or not, pid, port; health of the Host
#   ./hh logs [svc]     tail .data/logs/<svc>.log (nats, redis, postgres, host, build)
#   ./hh test [proj] [opts]  fresh servers on the test ports, `dotnet test HoneyHive.sln` (or proj, opts), stop them
#   ./hh bench <name>   the same servers (data under .data/bench), then bench/Bench <name>
#                       (load: sustained rate, ramp to saturation, ceilings; see bench/README.md)
#   ./hh chaos [opts]   the bench servers, then load while each fault happens in turn (Host kill -9,
#                       NATS/Redis/PostgreSQL restarts, analytics outages, redelivery): lost must be 0
#   ./hh dlq list|replay  the Writer's dead letters in .data/objects; replay re-inserts them
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/honeyhive-cs"
CHDB_VERSION=26.5.3
CHDB_PACKAGE="@chdb/lib-linux-x64-gnu"
# Debian bookworm's nats-server is 2.9.10, which has no `sync_interval` (it rejects the field):
# we take the nats-server package of the next Debian release, unpacked into the cache.
NATS_SUITE=trixie
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

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

# ---------------------------------------------------------------------------------------------
# Instances: `up` is the user's; `test` and `bench` have their own ports and data folders so
# they never touch the user's data.
# ---------------------------------------------------------------------------------------------
use_instance() {
  INSTANCE=$1
  case $INSTANCE in
    up)
      DATA="$ROOT/.data"; RUN="$DATA/run"; ENV_PREFIX=HH_
      NATS_PORT=${HH_NATS_PORT:-14222}; NATS_MON_PORT=${HH_NATS_MONITOR_PORT:-18222}
      REDIS_PORT=${HH_REDIS_PORT:-16379}; PG_PORT=${HH_PG_PORT:-15432}
      DP_PORT=${HH_DP_API_PORT:-8080}; CP_PORT=${HH_CP_API_PORT:-8081}
      CONTROLLER_PORT=${HH_CONTROLLER_PORT:-8091}
      OTLP_GRPC_PORT=${HH_OTLP_GRPC_PORT:-4317}; OTLP_HTTP_PORT=${HH_OTLP_HTTP_PORT:-4318}
      PG_HOST_AUTH=scram-sha-256 ;;
    test|bench)
      # .data/test/run is the tests' own scratch folder (HH_TEST_DATA), so pid files go to pids/.
      DATA="$ROOT/.data/$INSTANCE"; RUN="$DATA/pids"; ENV_PREFIX=HH_TEST_
      NATS_PORT=${HH_TEST_NATS_PORT:-24222}; NATS_MON_PORT=${HH_TEST_NATS_MONITOR_PORT:-28222}
      REDIS_PORT=${HH_TEST_REDIS_PORT:-26379}; PG_PORT=${HH_TEST_PG_PORT:-25432}
      # Tests connect as the superuser without a password (HH_TEST_PG); loopback only.
      PG_HOST_AUTH=trust ;;
  esac
  LOGS="$DATA/logs"
}

# While an instance runs, the ports it was started with win over a later command's environment.
load_saved_ports() {
  if [ -f "$RUN/ports.env" ]; then
    # shellcheck disable=SC1091
    . "$RUN/ports.env"
  fi
}

any_running() {
  local name
  for name in host "${COMPONENTS[@]}"; do running_pid "$name" >/dev/null && return 0; done
  return 1
}

save_ports() {
  cat >"$RUN/ports.env" <<EOF
NATS_PORT=$NATS_PORT
NATS_MON_PORT=$NATS_MON_PORT
REDIS_PORT=$REDIS_PORT
PG_PORT=$PG_PORT
DP_PORT=${DP_PORT:-}
CP_PORT=${CP_PORT:-}
OTLP_GRPC_PORT=${OTLP_GRPC_PORT:-}
OTLP_HTTP_PORT=${OTLP_HTTP_PORT:-}
CONTROLLER_PORT=${CONTROLLER_PORT:-}
EOF
}

make_dirs() {
  mkdir -p "$DATA" "$RUN" "$LOGS"
  # The postgres user has to walk through these folders to reach its cluster.
  chmod 755 "$ROOT/.data" "$DATA"
}

# ---------------------------------------------------------------------------------------------
# Installation (idempotent; nothing is downloaded when everything is there)
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  is_root || die "Installing $* needs root: run 'sudo apt-get install -y $*' and then retry."
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    apt-get update -qq || die "'apt-get update' failed, so $* cannot be installed."
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "'apt-get install -y $*' failed; install it by hand and retry."
}

find_pg_bin() {
  PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ]
}

ensure_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  find_pg_bin || missing+=(postgresql)
  command -v curl >/dev/null || missing+=(curl)
  command -v ss >/dev/null || missing+=(iproute2)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  find_pg_bin || die "PostgreSQL server binaries (initdb, pg_ctl) are missing under /usr/lib/postgresql/*/bin even after 'apt-get install postgresql'."
  PG_MAJOR=$(basename "$(dirname "$PG_BIN")")
  command -v dotnet >/dev/null || die "The .NET SDK (dotnet) is not on PATH; install the .NET 10 SDK first."
}

# The main Debian archive this machine already uses, so no mirror is written down here.
debian_archive_uri() {
  # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders, not shell expansions
  apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 2>/dev/null \
    | awk '$2 !~ /-/ { print $1; exit }'
}

fetch_nats_server() {
  local dir="$CACHE/nats-server" uri tmp deb version
  uri=$(debian_archive_uri)
  [ -n "$uri" ] || return 1
  mkdir -p "$dir/apt/lists/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $NATS_SUITE main" >"$dir/apt/sources.list"
  # A private sources list and lists folder: the system's apt state stays as it was.
  local opts=(-q -o "Dir::Etc::SourceList=$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$dir/apt/lists" -o APT::Sandbox::User=root)
  say "Fetching nats-server from Debian $NATS_SUITE (once) into $dir"
  apt-get "${opts[@]}" update >"$dir/fetch.log" 2>&1 || return 1
  tmp=$(mktemp -d "$dir/download.XXXXXX")
  if ! (cd "$tmp" && apt-get "${opts[@]}" download nats-server) >>"$dir/fetch.log" 2>&1; then
    rm -rf "$tmp"; return 1
  fi
  deb=$(find "$tmp" -name 'nats-server_*.deb' | head -n 1)
  version=$(dpkg-deb -f "$deb" Version)
  rm -rf "${dir:?}/$version"
  dpkg-deb -x "$deb" "$dir/$version" && rm -rf "$tmp"
  ln -sfn "$version" "$dir/current"
}

ensure_nats_server() {
  if [ -n "${HH_NATS_SERVER:-}" ]; then
    [ -x "$HH_NATS_SERVER" ] || die "HH_NATS_SERVER=$HH_NATS_SERVER is not an executable file."
    NATS_BIN=$HH_NATS_SERVER; return
  fi
  NATS_BIN="$CACHE/nats-server/current/usr/sbin/nats-server"
  [ -x "$NATS_BIN" ] && return
  fetch_nats_server && [ -x "$NATS_BIN" ] && return
  warn "could not fetch nats-server from Debian $NATS_SUITE (see $CACHE/nats-server/fetch.log); using Debian's own nats-server, whose JetStream cannot be told when to fsync."
  command -v nats-server >/dev/null || apt_install nats-server
  NATS_BIN=$(command -v nats-server)
}

ensure_chdb() {
  if [ -n "${HH_CHDB_LIB:-}" ] && [ -f "$HH_CHDB_LIB" ]; then CHDB_LIB=$HH_CHDB_LIB; return; fi
  local dir="$CACHE/chdb/$CHDB_VERSION" tmp
  CHDB_LIB="$dir/package/libchdb.so"
  [ -f "$CHDB_LIB" ] && return
  say "Fetching $CHDB_PACKAGE@$CHDB_VERSION (about 166 MB, once) for libchdb.so into $dir"
  mkdir -p "$CACHE/chdb"
  tmp=$(mktemp -d "$CACHE/chdb/download.XXXXXX")
  (cd "$tmp" && npm pack --silent "$CHDB_PACKAGE@$CHDB_VERSION") >"$tmp/pack.log" 2>&1 \
    || die "'npm pack $CHDB_PACKAGE@$CHDB_VERSION' failed (see $tmp/pack.log), so libchdb.so is missing."
  tar -xzf "$tmp"/*.tgz -C "$tmp" && [ -f "$tmp/package/libchdb.so" ] \
    || die "The tarball of $CHDB_PACKAGE@$CHDB_VERSION in $tmp holds no package/libchdb.so."
  rm -f "$tmp"/*.tgz
  rm -rf "$dir" && mv "$tmp" "$dir"
}

ensure_tools() {
  ensure_packages
  ensure_nats_server
  ensure_chdb
}

# ---------------------------------------------------------------------------------------------
# Processes: one pid file per component; a pid counts as ours only while its program name
# still matches, so a reused pid is never signalled.
# ---------------------------------------------------------------------------------------------
program_of() {
  case $1 in
    nats) echo nats-server ;; redis) echo redis-server ;; postgres) echo postgres ;;
    host) echo HoneyHive.Host ;;
  esac
}

running_pid() {
  local file="$RUN/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(head -n 1 "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(program_of "$1")" ] || return 1
  echo "$pid"
}

# Detached from our session, so Ctrl-C on `./hh up` reaches only the script, which then stops
# everything in order.
spawn() {
  local name=$1; shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

port_in_use() { ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q .; }

require_port() { # port, what, env var that moves it
  if port_in_use "$1"; then
    die "Port $1 ($2) is already in use by another process; set $3 to a free port and retry."
  fi
}

# Startup failed: show why and name the folder to reset when its data is the cause.
startup_failed() { # name, data folder (empty: the component keeps no data of its own)
  local log="$LOGS/$1.log"
  # A Host that never became healthy is stopped, so the next `./hh up` starts it again.
  if [ "$1" = host ]; then stop_component host; fi
  printf -- '--- last lines of %s ---\n' "$log" >&2
  tail -n 25 "$log" >&2 2>/dev/null || true
  [ -n "$2" ] || die "$1 did not start or did not become healthy (log: $log)."
  die "$1 did not start (log: $log). If its data folder $2 is damaged, './hh down && rm -rf $2' starts it afresh (its data is lost)."
}

wait_ready() { # name, data folder, timeout, probe command...
  local name=$1 folder=$2 timeout=$3 pid; shift 3
  pid=$(head -n 1 "$RUN/$name.pid")
  for ((i = 0; i < timeout * 4; i++)); do
    # Only liveness here: right after spawn the program name may still be setsid's.
    kill -0 "$pid" 2>/dev/null || startup_failed "$name" "$folder"
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  startup_failed "$name" "$folder"
}

stop_pid() { # name, pid
  local name=$1 pid=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 120; i++)); do
    [ -d "/proc/$pid" ] || return 0
    # A zombie is gone in all but name.
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
    sleep 0.25
  done
  warn "$name (pid $pid) did not stop within 30 s; sending SIGKILL."
  kill -KILL "$pid" 2>/dev/null || true
}

stop_component() {
  local name=$1 pid
  if [ "$name" = postgres ]; then stop_postgres; return; fi
  if pid=$(running_pid "$name"); then
    say "Stopping $name (pid $pid)"
    stop_pid "$name" "$pid"
  fi
  rm -f "$RUN/$name.pid"
}

stop_all() {
  [ -d "$RUN" ] || return 0
  stop_component host
  stop_component nats
  stop_component redis
  stop_component postgres
}

# ---------------------------------------------------------------------------------------------
# NATS with JetStream
# ---------------------------------------------------------------------------------------------
nats_supports_sync_interval() {
  local v major minor
  v=$("$NATS_BIN" --version | sed -n 's/.*v\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p')
  read -r major minor <<<"$v"
  [ "${major:-0}" -gt 2 ] || { [ "${major:-0}" -eq 2 ] && [ "${minor:-0}" -ge 10 ]; }
}

write_nats_conf() {
  local sync_line="# this nats-server predates sync_interval: it fsyncs on its own schedule"
  if nats_supports_sync_interval; then sync_line="sync_interval: \"$NATS_SYNC\""; fi
  cat >"$RUN/nats.conf" <<EOF
# Written by ./hh on every start; edit HH_NATS_SYNC instead (see README, "Durability").
listen: 127.0.0.1:$NATS_PORT
http: 127.0.0.1:$NATS_MON_PORT
jetstream {
  store_dir: "$DATA/nats"
  $sync_line
}
EOF
}

start_nats() {
  local pid
  if pid=$(running_pid nats); then say "NATS is already running (pid $pid)"; return; fi
  require_port "$NATS_PORT" NATS "${ENV_PREFIX}NATS_PORT"
  require_port "$NATS_MON_PORT" "NATS monitoring" "${ENV_PREFIX}NATS_MONITOR_PORT"
  mkdir -p "$DATA/nats"
  write_nats_conf
  say "Starting NATS $("$NATS_BIN" --version | awk '{print $2}') on 127.0.0.1:$NATS_PORT (JetStream store $DATA/nats)"
  spawn nats "$NATS_BIN" -c "$RUN/nats.conf"
  wait_ready nats "$DATA/nats" 60 curl -fsS "http://127.0.0.1:$NATS_MON_PORT/healthz?js-enabled-only=true"
}

# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
start_redis() {
  local pid
  if pid=$(running_pid redis); then say "Redis is already running (pid $pid)"; return; fi
  require_port "$REDIS_PORT" Redis "${ENV_PREFIX}REDIS_PORT"
  mkdir -p "$DATA/redis"
  say "Starting Redis on 127.0.0.1:$REDIS_PORT (append-only file in $DATA/redis, fsync every second)"
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" \
    --appendonly yes --appendfsync everysec --daemonize no --logfile ""
  wait_ready redis "$DATA/redis" 60 redis_ping
}

redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# ---------------------------------------------------------------------------------------------
# PostgreSQL: its own cluster, run as the postgres user (the server refuses root).
# ---------------------------------------------------------------------------------------------
# From /, because the postgres user may not be allowed into the current folder.
as_pg() { if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

locate_pg() {
  local link="$DATA/pg"
  if [ -L "$link" ]; then
    PG_HOME=$(readlink -f "$link")
  elif [ -d "$link" ] || ! is_root || runuser -u postgres -- test -x "$DATA"; then
    PG_HOME=$link
    mkdir -p "$PG_HOME"
  else
    # The postgres user cannot reach $DATA (a parent folder such as /root is 0700), and
    # PostgreSQL refuses to run as root. So the cluster lives under /var/lib/honeyhive-cs/<hash
    # of this data folder>/pg, and .data/.../pg is a symlink to it: the data stays per checkout.
    local hash
    hash=$(printf '%s' "$DATA" | sha256sum | cut -c1-16)
    PG_HOME="$PG_OUTSIDE_ROOT/$hash/pg"
    if [ -e "$PG_HOME" ]; then remove_orphan_cluster; fi
    mkdir -p "$PG_HOME"
    ln -sfn "$PG_HOME" "$link"
  fi
  PGDATA_DIR="$PG_HOME/data"
  # A Unix socket path has at most 107 bytes; a deep checkout falls back to /tmp (the port keeps
  # the name apart from other clusters').
  PG_SOCKET_DIR="$PG_HOME"
  if [ $((${#PG_HOME} + 20)) -gt 100 ]; then PG_SOCKET_DIR=/tmp; fi
}

# A cluster outside the checkout whose .data/.../pg link is gone: the link was deleted to start
# afresh (rm -rf on the link leaves its target), or this is a new clone in the same folder.
# Either way no checkout owns it any more.
remove_orphan_cluster() {
  PGDATA_DIR="$PG_HOME/data"
  if pg_is_running; then as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null; fi
  say "Removing the PostgreSQL cluster $PG_HOME, left behind by a deleted $DATA/pg"
  rm -rf "$PG_HOME"
}

pg_is_running() { [ -f "$PGDATA_DIR/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; }

init_pg() {
  if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
    local have; have=$(cat "$PGDATA_DIR/PG_VERSION")
    [ "$have" = "$PG_MAJOR" ] || die "PostgreSQL data folder $DATA/pg was made by PostgreSQL $have but this machine has $PG_MAJOR; './hh down && rm -rf $DATA/pg' starts afresh (its databases are lost)."
    return
  fi
  if [ -d "$PGDATA_DIR" ]; then
    die "PostgreSQL data folder $PGDATA_DIR has no PG_VERSION (damaged or not a cluster); './hh down && rm -rf $DATA/pg' starts afresh (its databases are lost)."
  fi
  say "Creating the PostgreSQL $PG_MAJOR cluster in $PGDATA_DIR"
  is_root && chown postgres: "$PG_HOME"
  # initdb into a side folder and rename on success, so an interrupted initdb never leaves a
  # half-made cluster where the next start would look for one.
  as_pg rm -rf "$PG_HOME/data.initdb"
  as_pg "$PG_BIN/initdb" -D "$PG_HOME/data.initdb" -U postgres --auth-local=trust \
    --auth-host="$PG_HOST_AUTH" -E UTF8 --no-locale >"$LOGS/initdb.log" 2>&1 \
    || { tail -n 20 "$LOGS/initdb.log" >&2; die "initdb failed (log: $LOGS/initdb.log)."; }
  as_pg mv "$PG_HOME/data.initdb" "$PGDATA_DIR"
}

start_postgres() {
  locate_pg
  if pg_is_running; then
    head -n 1 "$PGDATA_DIR/postmaster.pid" >"$RUN/postgres.pid"
    say "PostgreSQL is already running (pid $(cat "$RUN/postgres.pid"))"; return
  fi
  require_port "$PG_PORT" PostgreSQL "${ENV_PREFIX}PG_PORT"
  init_pg
  is_root && chown postgres: "$PG_HOME"
  ln -sfn "$PG_HOME/postgres.log" "$LOGS/postgres.log"
  say "Starting PostgreSQL $PG_MAJOR on 127.0.0.1:$PG_PORT (cluster $DATA/pg)"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_HOME/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1" start >/dev/null \
    || startup_failed postgres "$DATA/pg"
  head -n 1 "$PGDATA_DIR/postmaster.pid" >"$RUN/postgres.pid"
}

stop_postgres() {
  locate_pg_if_present || { rm -f "$RUN/postgres.pid"; return 0; }
  if pg_is_running; then
    say "Stopping postgres (pid $(head -n 1 "$PGDATA_DIR/postmaster.pid"))"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null
  fi
  rm -f "$RUN/postgres.pid"
}

locate_pg_if_present() {
  [ -e "$DATA/pg" ] || return 1
  find_pg_bin || return 1
  locate_pg
}

psql_su() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres "$@"
}

# Role and database per plane, created once; the password is (re)applied on every start so
# .data/secrets.env stays the truth.
ensure_database() { # role, database, password
  psql_su -v role="$1" -v pass="$3" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'pass';
SQL
  psql_su -v role="$1" -v db="$2" >/dev/null <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
}

random_secret() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

ensure_secrets() {
  local file="$DATA/secrets.env"
  if [ ! -f "$file" ]; then
    (umask 077; printf 'HH_CP_DB_PASSWORD=%s\nHH_DP_DB_PASSWORD=%s\n' "$(random_secret)" "$(random_secret)" >"$file.tmp")
    mv "$file.tmp" "$file"
  fi
  # Added after the first release of this file: older .data/secrets.env files get it appended.
  if ! grep -q '^HH_SECRETS_MASTER_KEY=' "$file"; then
    (umask 077; printf 'HH_SECRETS_MASTER_KEY=%s\n' "$(head -c 32 /dev/urandom | base64)" >>"$file")
  fi
  chmod 600 "$file"
  # shellcheck disable=SC1090
  . "$file"
}

# ---------------------------------------------------------------------------------------------
# services/Host
# ---------------------------------------------------------------------------------------------
host_exe() { find "$ROOT/services/Host/bin/Release" -maxdepth 2 -name HoneyHive.Host -type f 2>/dev/null | sort | tail -n 1; }

build_host() {
  say "Building services/Host (Release; log: $LOGS/build.log)"
  if ! dotnet build -c Release "$ROOT/services/Host" -nologo >"$LOGS/build.log" 2>&1; then
    grep -E 'error|Error' "$LOGS/build.log" | tail -n 20 >&2 || true
    die "'dotnet build -c Release services/Host' failed (log: $LOGS/build.log)."
  fi
}

start_host() {
  local pid exe
  if pid=$(running_pid host); then say "Host is already running (pid $pid)"; return; fi
  require_port "$DP_PORT" "DP API" HH_DP_API_PORT
  require_port "$CP_PORT" "CP API" HH_CP_API_PORT
  require_port "$OTLP_GRPC_PORT" "OTLP gRPC" HH_OTLP_GRPC_PORT
  require_port "$OTLP_HTTP_PORT" "OTLP HTTP" HH_OTLP_HTTP_PORT
  require_port "$CONTROLLER_PORT" "CP controller gRPC" HH_CONTROLLER_PORT
  build_host
  exe=$(host_exe)
  [ -n "$exe" ] || die "The build produced no services/Host/bin/Release/*/HoneyHive.Host."
  mkdir -p "$DATA/clickhouse" "$DATA/objects"
  say "Starting services/Host"
  # Run from the repository root, so relative paths in configuration land in .data/, with the
  # build output as content root, where appsettings.json is. HH_INIT_* variables are inherited
  # as they are: the first-start bootstrap reads them.
  (
    cd "$ROOT"
    export ConnectionStrings__nats="nats://127.0.0.1:$NATS_PORT"
    export ConnectionStrings__redis="127.0.0.1:$REDIS_PORT"
    export ConnectionStrings__cpdb="Host=127.0.0.1;Port=$PG_PORT;Username=cp;Password=$HH_CP_DB_PASSWORD;Database=cpdb"
    export ConnectionStrings__dpdb="Host=127.0.0.1;Port=$PG_PORT;Username=dp;Password=$HH_DP_DB_PASSWORD;Database=dpdb"
    export Secrets__MasterKey="$HH_SECRETS_MASTER_KEY"
    export ClickHouse__ChdbLibrary="$CHDB_LIB"
    export ClickHouse__DataPath="$DATA/clickhouse"
    export ObjectStore__Path="$DATA/objects"
    export Bootstrap__OutputPath="$DATA/bootstrap.json"
    export Kestrel__Endpoints__DataPlaneApi__Url="http://127.0.0.1:$DP_PORT"
    export Kestrel__Endpoints__ControlPlaneApi__Url="http://127.0.0.1:$CP_PORT"
    export Kestrel__Endpoints__OtlpGrpc__Url="http://127.0.0.1:$OTLP_GRPC_PORT"
    export Kestrel__Endpoints__OtlpHttp__Url="http://127.0.0.1:$OTLP_HTTP_PORT"
    export Kestrel__Endpoints__ControllerGrpc__Url="http://127.0.0.1:$CONTROLLER_PORT"
    export Kestrel__Endpoints__ControllerGrpc__Protocols=Http2
    export Controller__ControlPlaneUrl="http://127.0.0.1:$CONTROLLER_PORT"
    export Controller__IdentityPath="$DATA/dp-identity.pem"
    spawn host "$exe" --contentRoot "$(dirname "$exe")"
  )
  wait_host_healthy
}

host_health() { curl -fsS -m 5 "http://127.0.0.1:$1/health" >/dev/null 2>&1; }

wait_host_healthy() {
  say "Waiting for /health on :$DP_PORT and :$CP_PORT (up to $HEALTH_TIMEOUT s)"
  wait_ready host "" "$HEALTH_TIMEOUT" host_both_healthy
}

host_both_healthy() { host_health "$DP_PORT" && host_health "$CP_PORT"; }

print_urls() {
  cat <<EOF

HoneyHive is up (data in $DATA):
  DP API (HoneyHive REST API)  http://127.0.0.1:$DP_PORT
  OTLP gRPC                    127.0.0.1:$OTLP_GRPC_PORT
  OTLP HTTP                    http://127.0.0.1:$OTLP_HTTP_PORT/v1/traces
  CP API                       http://127.0.0.1:$CP_PORT
  Web UI                       http://127.0.0.1:3000 (not built yet)
  NATS / Redis / PostgreSQL    127.0.0.1:$NATS_PORT / 127.0.0.1:$REDIS_PORT / 127.0.0.1:$PG_PORT
Bootstrap credentials (admin login, project API key): $DATA/bootstrap.json$([ -f "$DATA/bootstrap.json" ] || echo " (not written yet)")
Database passwords: $DATA/secrets.env
EOF
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
start_servers() {
  start_nats
  start_redis
  start_postgres
}

# Every port is checked before anything starts, so a clash never leaves half a platform running.
preflight_ports() {
  running_pid nats >/dev/null || {
    require_port "$NATS_PORT" NATS "${ENV_PREFIX}NATS_PORT"
    require_port "$NATS_MON_PORT" "NATS monitoring" "${ENV_PREFIX}NATS_MONITOR_PORT"
  }
  running_pid redis >/dev/null || require_port "$REDIS_PORT" Redis "${ENV_PREFIX}REDIS_PORT"
  running_pid postgres >/dev/null || require_port "$PG_PORT" PostgreSQL "${ENV_PREFIX}PG_PORT"
  [ "$INSTANCE" = up ] || return 0
  running_pid host >/dev/null && return 0
  require_port "$DP_PORT" "DP API" HH_DP_API_PORT
  require_port "$CP_PORT" "CP API" HH_CP_API_PORT
  require_port "$OTLP_GRPC_PORT" "OTLP gRPC" HH_OTLP_GRPC_PORT
  require_port "$OTLP_HTTP_PORT" "OTLP HTTP" HH_OTLP_HTTP_PORT
  require_port "$CONTROLLER_PORT" "CP controller gRPC" HH_CONTROLLER_PORT
}

cmd_up() {
  local detach=0
  while [ $# -gt 0 ]; do
    case $1 in -d|--detach) detach=1 ;; *) die "Unknown option for up: $1 (usage: ./hh up [-d])." ;; esac
    shift
  done
  use_instance up
  any_running && load_saved_ports
  preflight_ports
  ensure_tools
  make_dirs
  save_ports
  ensure_secrets
  start_servers
  ensure_database cp cpdb "$HH_CP_DB_PASSWORD"
  ensure_database dp dpdb "$HH_DP_DB_PASSWORD"
  start_host
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
  any_running && load_saved_ports
  local pid health
  pid=$(running_pid nats) || pid=""
  component_line nats "$pid" "127.0.0.1:$NATS_PORT (monitoring :$NATS_MON_PORT)"
  pid=$(running_pid redis) || pid=""
  component_line redis "$pid" "127.0.0.1:$REDIS_PORT"
  pid=""
  if find_pg_bin && [ -e "$DATA/pg" ]; then locate_pg; pg_is_running && pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid"); fi
  component_line postgres "$pid" "127.0.0.1:$PG_PORT"
  pid=$(running_pid host) || pid=""
  component_line host "$pid" "DP :$DP_PORT  CP :$CP_PORT  OTLP :$OTLP_GRPC_PORT/:$OTLP_HTTP_PORT"
  if [ -n "$pid" ]; then
    for port in "$DP_PORT" "$CP_PORT"; do
      health=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true)
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
  [ -e "$LOGS/$1.log" ] || die "No log for '$1'; there are: $(cd "$LOGS" && ls -- *.log | sed 's/\.log$//' | tr '\n' ' ')"
  exec tail -n 100 -F "$LOGS/$1.log"
}

# Fresh servers for test and bench: their data folder is wiped first (after stopping whatever
# a killed earlier run may have left), and they are stopped when the command exits.
start_scratch_instance() {
  use_instance "$1"
  ensure_tools
  stop_all
  # A cluster kept outside the checkout is removed with its link (see remove_orphan_cluster).
  rm -rf "$DATA"
  make_dirs
  save_ports
  trap 'stop_all' EXIT
  preflight_ports
  start_servers
  export HH_TEST_NATS_URL="nats://127.0.0.1:$NATS_PORT"
  export HH_TEST_NATS_MONITOR="http://127.0.0.1:$NATS_MON_PORT"
  export HH_TEST_REDIS="127.0.0.1:$REDIS_PORT"
  export HH_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
  export HH_CHDB_LIB="$CHDB_LIB"
  export HH_TEST_DATA="$DATA/run"
  export HH_NATS_SERVER="$NATS_BIN"   # the restart test starts its own server with the same binary
  mkdir -p "$HH_TEST_DATA"
  say "Test servers: HH_TEST_NATS_URL=$HH_TEST_NATS_URL HH_TEST_REDIS=$HH_TEST_REDIS HH_TEST_PG='$HH_TEST_PG' HH_CHDB_LIB=$HH_CHDB_LIB HH_TEST_DATA=$HH_TEST_DATA"
}

# Peers written in JavaScript (official SDKs, exporters) that tests drive, one package.json each.
install_test_peers() {
  local manifest dir
  while IFS= read -r manifest; do
    dir=$(dirname "$manifest")
    say "npm install in ${dir#"$ROOT"/}"
    (cd "$dir" && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }) >"$LOGS/npm-$(basename "$dir").log" 2>&1 \
      || die "'npm install' in $dir failed (log: $LOGS/npm-$(basename "$dir").log)."
  done < <(find "$ROOT/tests" -name package.json -not -path '*/node_modules/*' 2>/dev/null | sort)
}

# Sums the counters of every TRX file (one per test project) into the plain closing line.
print_totals() {
  local passed=0 failed=0 p f trx
  while IFS= read -r trx; do
    p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  done < <(find "$1" -name '*.trx' 2>/dev/null)
  echo "$passed passed, $failed failed"
}

# With no arguments: every test in HoneyHive.sln (what CI runs). With arguments, a developer's
# narrower run on the same fresh servers: `./hh test tests/Writer.Tests --filter Name~Update`.
cmd_test() {
  local target="$ROOT/HoneyHive.sln"
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then target=$1; shift; fi
  start_scratch_instance test
  install_test_peers
  local results="$DATA/results" rc=0
  say "dotnet test ${target#"$ROOT"/} $*"
  dotnet test "$target" --logger "console;verbosity=normal" --logger trx \
    --results-directory "$results" "$@" || rc=$?
  # Servers are stopped first so the totals are the last line, where CI looks for them.
  stop_all
  trap - EXIT
  echo
  [ "$rc" -eq 0 ] || printf 'hh: dotnet test failed (exit code %s).\n' "$rc" >&2
  print_totals "$results"
  return "$rc"
}

cmd_bench() {
  [ $# -ge 1 ] || die "Usage: ./hh bench <name> (for example ./hh bench limits)."
  [ -d "$ROOT/bench/Bench" ] || die "bench/Bench does not exist yet, so there is no benchmark to run."
  start_scratch_instance bench
  mkdir -p "$ROOT/bench/results"
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

# Hidden, for ./hh chaos: stop and start one server of the running bench instance in place.
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

# Dead letters of the Writer. With the Host running, replay hands the messages back to NATS for its
# Writer (chDB lets one process own .data/clickhouse); otherwise it inserts them itself.
cmd_dlq() {
  [ $# -ge 1 ] || die "Usage: ./hh dlq list | ./hh dlq replay"
  use_instance up
  load_saved_ports
  ensure_chdb
  local extra=()
  if [ "$1" = replay ] && running_pid host >/dev/null; then extra=(--publish); fi
  (
    cd "$ROOT"
    export ConnectionStrings__nats="nats://127.0.0.1:$NATS_PORT"
    export ClickHouse__ChdbLibrary="$CHDB_LIB"
    export ClickHouse__DataPath="$DATA/clickhouse"
    export ObjectStore__Path="$DATA/objects"
    dotnet run -c Release --project "$ROOT/services/Writer" -- dlq "$@" "${extra[@]}"
  )
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1; shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    test) cmd_test "$@" ;;
    bench) cmd_bench "$@" ;;
    dlq) cmd_dlq "$@" ;;
    chaos) cmd_chaos "$@" ;;
    _restart) cmd_restart_server "$@" ;;
    -h|--help|help) usage ;;
    *) die "Unknown command '$cmd'; use up, down, status, logs, test, bench, chaos or dlq." ;;
  esac
}

main "$@"
