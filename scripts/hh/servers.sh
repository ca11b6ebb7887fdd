# shellcheck shell=bash
# NATS (JetStream) and Redis: one process each, data under $DATA, loopback only.

nats_supports_sync_interval() {
  local v major minor
  v=$("$NATS_BIN" --version | sed -n 's/.*v\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p')
  read -r major minor <<<"$v"
  [ "${major:-0}" -gt 2 ] || { [ "${major:-0}" -eq 2 ] && [ "${minor:-0}" -ge 10 ]; }
}

write_nats_conf() {
  local sync_line="# this nats-server predates sync_interval: it fsyncs on its own schedule"
  if nats_supports_sync_interval; then sync_line="sync_interval: \"$NATS_SYNC\""; fi
  # Encryption at rest of the file store (README, "Encryption at rest"). The key is read from the environment at
  # start, so it is never written into this file; blocks stored before it was set stay readable, unencrypted.
  local cipher_lines="# no HH_NATS_JS_KEY: the JetStream store is not encrypted"
  if [ -n "${HH_NATS_JS_KEY:-}" ]; then cipher_lines="cipher: chachapoly
  key: \$HH_NATS_JS_KEY"; fi
  cat >"$RUN/nats.conf" <<CONF
# Written by ./hh on every start; edit HH_NATS_SYNC instead (see README, "Durability").
listen: 127.0.0.1:$NATS_PORT
$(nats_monitor_line)
jetstream {
  store_dir: "$DATA/nats"
  $sync_line
  $cipher_lines
}
$(nats_tls_block)
CONF
}

start_nats() {
  local pid
  if pid=$(running_pid nats); then say "NATS is already running (pid $pid)"; return; fi
  require_ports_of nats
  mkdir -p "$DATA/nats"
  write_nats_conf
  say "Starting NATS $("$NATS_BIN" --version | awk '{print $2}') on 127.0.0.1:$NATS_PORT (JetStream store $DATA/nats$(tls_on && echo ", TLS only"))"
  # nats-server parses a variable's value as config: quoted, a hex key is always a string (unquoted, "78e25…"
  # reads as a number and the server does not start).
  HH_NATS_JS_KEY="\"${HH_NATS_JS_KEY:-}\"" spawn nats "$NATS_BIN" -c "$RUN/nats.conf"
  wait_ready nats "$DATA/nats" 60 curl_own -fsS "$(scheme)://127.0.0.1:$NATS_MON_PORT/healthz?js-enabled-only=true"
}

start_redis() {
  local pid
  if pid=$(running_pid redis); then say "Redis is already running (pid $pid)"; return; fi
  require_ports_of redis
  mkdir -p "$DATA/redis"
  redis_tls_args
  say "Starting Redis on 127.0.0.1:$REDIS_PORT (append-only file in $DATA/redis, fsync every second$(tls_on && echo "; TLS only"))"
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" \
    --appendonly yes --appendfsync everysec --daemonize no --logfile "" "${REDIS_TLS_ARGS[@]}"
  wait_ready redis "$DATA/redis" 60 redis_ping
}

redis_ping() { [ "$(redis_cli_own ping 2>/dev/null)" = PONG ]; }

start_servers() {
  start_nats
  start_redis
  start_postgres
}
