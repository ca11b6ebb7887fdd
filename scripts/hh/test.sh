# shellcheck shell=bash
# ./hh test (fresh servers, then dotnet test) and ./hh test --fast (no servers at all).

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
  # The test servers run as `./hh up` does: JetStream encrypted under a key of their own (wiped with $DATA).
  ensure_secrets
  start_servers
  export HH_TEST_NATS_URL="nats://127.0.0.1:$NATS_PORT"
  export HH_TEST_NATS_MONITOR="http://127.0.0.1:$NATS_MON_PORT"
  export HH_TEST_REDIS="127.0.0.1:$REDIS_PORT"
  export HH_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
  export HH_CHDB_LIB="$CHDB_LIB"
  export HH_PYTHON_LIB="$PYTHON_LIB" HH_RESTRICTEDPYTHON="$RESTRICTEDPYTHON_PATH"
  export HH_TEST_DATA="$DATA/run"
  export HH_NATS_SERVER="$NATS_BIN"   # the restart test starts its own server with the same binary
  # The Hosts that tests and benchmarks start get their settings from them alone, never from the
  # machine's own file that `./hh up` writes.
  unset HH_LOCAL_SETTINGS
  mkdir -p "$HH_TEST_DATA"
  say "Test servers: HH_TEST_NATS_URL=$HH_TEST_NATS_URL HH_TEST_REDIS=$HH_TEST_REDIS HH_TEST_PG='$HH_TEST_PG' HH_CHDB_LIB=$HH_CHDB_LIB HH_PYTHON_LIB=$HH_PYTHON_LIB HH_RESTRICTEDPYTHON=$HH_RESTRICTEDPYTHON HH_TEST_DATA=$HH_TEST_DATA"
}

# The UI tests (tests/Web.Tests) run the production build of web/ with Debian's chromium.
prepare_web_tests() {
  build_web
  ensure_chromium
  export HH_WEB_SERVER="$WEB_SERVER" HH_CHROMIUM="$CHROMIUM_BIN"
}

# Sums the counters of every TRX file (one per test project) into TOTALS, the plain closing line;
# TOTAL_RUN is how many tests ran at all.
count_totals() {
  local passed=0 failed=0 total=0 p f t trx counters
  while IFS= read -r trx; do
    counters=$(grep -o '<Counters [^>]*' "$trx" || true)
    p=$(grep -o ' passed="[0-9]*"' <<<"$counters" | grep -o '[0-9]*' || echo 0)
    f=$(grep -o ' failed="[0-9]*"' <<<"$counters" | grep -o '[0-9]*' || echo 0)
    t=$(grep -o ' total="[0-9]*"' <<<"$counters" | grep -o '[0-9]*' || echo 0)
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
  done < <(find "$1" -name '*.trx' 2>/dev/null)
  TOTAL_RUN=$total
  TOTALS="$passed passed, $failed failed"
}

# Names every failed test (from the TRX files) with the first lines of its message, so a CI log
# whose tail is all that is kept still says which test failed and why.
list_failures() {
  local trx_files
  trx_files=$(find "$1" -name '*.trx' 2>/dev/null)
  [ -n "$trx_files" ] || return 0
  if command -v python3 >/dev/null; then
    # shellcheck disable=SC2086 # one path per TRX file, none with spaces (they are under .data)
    python3 - $trx_files <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
failed = []
for path in sys.argv[1:]:
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
        failed.append((result.get("testName"), message.splitlines()[:8]))
if failed:
    print("Failed tests:")
    for name, lines in failed:
        print("  " + name)
        for line in lines:
            print("      " + line[:300])
PY
    return 0
  fi
  local names
  # shellcheck disable=SC2086
  names=$(grep -ho '<UnitTestResult [^>]*outcome="Failed"[^>]*' $trx_files |
    grep -o ' testName="[^"]*"' | sed 's/^ testName="//; s/"$//' || true)
  [ -n "$names" ] || return 0
  echo "Failed tests:"
  while IFS= read -r name; do echo "  $name"; done <<<"$names"
}

# With no arguments: every test in HoneyHive.sln (what CI runs). With arguments, a developer's
# narrower run on the same fresh servers: `./hh test tests/Writer.Tests --filter Name~Update`.
cmd_test() {
  if [ "${1:-}" = --fast ]; then shift; cmd_test_fast "$@"; return; fi
  local target="$ROOT/HoneyHive.sln"
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then target=$1; shift; fi
  start_scratch_instance test
  install_test_peers "$LOGS"
  prepare_web_tests
  local results="$DATA/results" rc=0
  say "dotnet test ${target#"$ROOT"/} $*"
  # A test stuck for 15 minutes (none takes a third of that) is killed with its test host and named, so a hang
  # fails the run with its culprit instead of running into CI's limit with nothing said.
  dotnet test "$target" --logger "console;verbosity=normal" --logger trx \
    --blame-hang-timeout 15m --blame-hang-dump-type none \
    --results-directory "$results" "$@" || rc=$?
  # Servers are stopped first so the totals are the last line, where CI looks for them.
  stop_all
  trap - EXIT
  echo
  [ "$rc" -eq 0 ] || printf 'hh: dotnet test failed (exit code %s).\n' "$rc" >&2
  list_failures "$results"
  count_totals "$results"
  echo "$TOTALS"
  return "$rc"
}

# Tests marked [Trait("Servers", "None")] need no NATS, Redis, PostgreSQL, chDB or npm peers, so
# nothing is installed or started: `./hh test --fast [project] [dotnet test options]`.
cmd_test_fast() {
  local target="$ROOT/HoneyHive.sln"
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then target=$1; shift; fi
  command -v dotnet >/dev/null || die "The .NET SDK (dotnet) is not on PATH; install the .NET 10 SDK first."
  local results="$ROOT/.data/fast/results" rc=0 filter="Servers=None" rest=()
  # dotnet test takes one --filter: a filter of the caller's narrows Servers=None rather than replacing it.
  while [ $# -gt 0 ]; do
    if [ "$1" = --filter ] && [ $# -ge 2 ]; then filter="Servers=None&($2)"; shift 2; else rest+=("$1"); shift; fi
  done
  rm -rf "$results"
  mkdir -p "$results"
  say "dotnet test ${target#"$ROOT"/} --filter '$filter' ${rest[*]} (no servers)"
  dotnet test "$target" --filter "$filter" --logger "console;verbosity=normal" --logger trx \
    --results-directory "$results" "${rest[@]}" || rc=$?
  echo
  list_failures "$results"
  count_totals "$results"
  # A filter that matches nothing makes dotnet test succeed; that is no proof of anything.
  if [ "$rc" -eq 0 ] && [ "$TOTAL_RUN" -eq 0 ]; then
    printf 'hh: no test in %s is marked [Trait("Servers", "None")], so --fast ran nothing; failing rather than passing.\n' "${target#"$ROOT"/}" >&2
    rc=1
  elif [ "$rc" -ne 0 ]; then
    printf 'hh: dotnet test failed (exit code %s).\n' "$rc" >&2
  fi
  echo "$TOTALS"
  return "$rc"
}
