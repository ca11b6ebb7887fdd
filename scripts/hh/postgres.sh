# shellcheck shell=bash
# PostgreSQL: a cluster of our own, run as the postgres user (the server refuses root), kept
# outside the checkout when the postgres user cannot reach it; roles, databases and secrets.

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
  require_ports_of postgres
  init_pg
  is_root && chown postgres: "$PG_HOME"
  ln -sfn "$PG_HOME/postgres.log" "$LOGS/postgres.log"
  pg_tls_options
  say "Starting PostgreSQL $PG_MAJOR on 127.0.0.1:$PG_PORT (cluster $DATA/pg$(tls_on && echo "; TLS only"))"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_HOME/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 $PG_TLS_OPTIONS" start >/dev/null \
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
  # The control plane's own master key (seals its token signing keys); the planes share no secret.
  if ! grep -q '^HH_CP_MASTER_KEY=' "$file"; then
    (umask 077; printf 'HH_CP_MASTER_KEY=%s\n' "$(head -c 32 /dev/urandom | base64)" >>"$file")
  fi
  # JetStream's file-store key (nats.conf reads it from the environment). Never changed once made: nats-server cannot
  # read blocks written under another key.
  if ! grep -q '^HH_NATS_JS_KEY=' "$file"; then
    (umask 077; printf 'HH_NATS_JS_KEY=%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >>"$file")
  fi
  chmod 600 "$file"
  # shellcheck disable=SC1090
  . "$file"
}
