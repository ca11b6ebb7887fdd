# shellcheck shell=bash
# Processes: one pid file per component under $RUN; a pid counts as ours only while its program
# name still matches, so a reused pid is never signalled and a dead one is simply forgotten.

program_of() {
  case $1 in
    nats) echo nats-server ;; redis) echo redis-server ;; postgres) echo postgres ;;
    host) echo HoneyHive.Host ;;
    # Next's server renames its process; the name is cut to the kernel's 15 characters.
    web) echo next-server ;;
  esac
}

running_pid() {
  local file="$RUN/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(head -n 1 "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in "$(program_of "$1")"*) ;; *) return 1 ;; esac
  echo "$pid"
}

any_running() {
  local name
  for name in web host "${COMPONENTS[@]}"; do running_pid "$name" >/dev/null && return 0; done
  return 1
}

# Detached from our session, so Ctrl-C on `./hh up` reaches only the script, which then stops
# everything in order.
spawn() {
  local name=$1; shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
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
  local name=$1 folder=$2 timeout=$3 pid i; shift 3
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
  local name=$1 pid=$2 i
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

# Harmless when the component is not running or its process died (a SIGKILL in ./hh chaos):
# the stale pid file is removed and nothing is signalled.
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
  stop_component web
  stop_component host
  stop_component nats
  stop_component redis
  stop_component postgres
}
