# shellcheck shell=bash
# Installation, idempotent: nothing is downloaded when everything is there. Debian packages with
# apt, nats-server from Debian trixie through private apt lists, libchdb.so from npm, and the
# JavaScript peers the tests drive.

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
  # Not needed to run anything: .ci/run checks hh and scripts/hh with it.
  command -v shellcheck >/dev/null || missing+=(shellcheck)
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

# Unpacks one package of another Debian suite into $CACHE/<name>/<version> and points
# $CACHE/<name>/current at it, through a private sources list and lists folder: the system's apt
# state stays as it was.
fetch_debian_package() { # suite package cache-name
  local suite=$1 package=$2 dir="$CACHE/$3" uri tmp deb version
  uri=$(debian_archive_uri)
  [ -n "$uri" ] || return 1
  mkdir -p "$dir/apt/lists/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" >"$dir/apt/sources.list"
  local opts=(-q -o "Dir::Etc::SourceList=$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$dir/apt/lists" -o APT::Sandbox::User=root)
  say "Fetching $package from Debian $suite (once) into $dir"
  apt-get "${opts[@]}" update >"$dir/fetch.log" 2>&1 || return 1
  tmp=$(mktemp -d "$dir/download.XXXXXX")
  if ! (cd "$tmp" && apt-get "${opts[@]}" download "$package") >>"$dir/fetch.log" 2>&1; then
    rm -rf "$tmp"; return 1
  fi
  deb=$(find "$tmp" -name "${package}_*.deb" | head -n 1)
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
  fetch_debian_package "$NATS_SUITE" nats-server nats-server && [ -x "$NATS_BIN" ] && return
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
  if ! tar -xzf "$tmp"/*.tgz -C "$tmp" || [ ! -f "$tmp/package/libchdb.so" ]; then
    die "The tarball of $CHDB_PACKAGE@$CHDB_VERSION in $tmp holds no package/libchdb.so."
  fi
  rm -f "$tmp"/*.tgz
  rm -rf "$dir" && mv "$tmp" "$dir"
}

# Python metrics: Debian's libpython3.11 and scientific packages, and RestrictedPython 8.x from
# Debian sid (bookworm's 4.0b3 fails on every subscript under Python 3.11; see ENVIRONMENT-NOTES).
# RestrictedPython is pure Python, unpacked into the cache and put on sys.path by the workers.
ensure_python() {
  local missing=() package
  for package in libpython3.11 python3-numpy python3-pandas python3-sklearn python3-jsonschema; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  PYTHON_LIB=$(find /usr/lib -maxdepth 2 -name 'libpython3.11.so.1.0' 2>/dev/null | head -n 1)
  [ -n "$PYTHON_LIB" ] || die "libpython3.11.so.1.0 is missing under /usr/lib even after 'apt-get install libpython3.11'."
  RESTRICTEDPYTHON_PATH="$CACHE/restrictedpython/current/usr/lib/python3/dist-packages"
  [ -d "$RESTRICTEDPYTHON_PATH/RestrictedPython" ] && return
  fetch_debian_package "$RESTRICTEDPYTHON_SUITE" python3-restrictedpython restrictedpython \
    || die "could not fetch python3-restrictedpython from Debian $RESTRICTEDPYTHON_SUITE (see $CACHE/restrictedpython/fetch.log)."
  [ -d "$RESTRICTEDPYTHON_PATH/RestrictedPython" ] || die "python3-restrictedpython from Debian $RESTRICTEDPYTHON_SUITE holds no RestrictedPython package under $RESTRICTEDPYTHON_PATH."
}

ensure_tools() {
  ensure_packages
  ensure_nats_server
  ensure_chdb
  ensure_python
}

# Peers written in JavaScript (official SDKs, exporters) that tests drive, one package.json each.
install_test_peers() { # log folder
  local manifest dir log
  while IFS= read -r manifest; do
    dir=$(dirname "$manifest")
    log="$1/npm-$(basename "$dir").log"
    say "npm install in ${dir#"$ROOT"/}"
    (cd "$dir" && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }) >"$log" 2>&1 \
      || die "'npm install' in $dir failed (log: $log)."
  done < <(find "$ROOT/tests" -name package.json -not -path '*/node_modules/*' 2>/dev/null | sort)
}

# ./hh install: what `up` and `test` would install, without starting anything (.ci/run needs the
# linter before the tests).
cmd_install() {
  ensure_tools
  ensure_node
  ensure_chromium
  say "Installed: nats-server ($NATS_BIN), libchdb.so ($CHDB_LIB), libpython ($PYTHON_LIB), RestrictedPython ($RESTRICTEDPYTHON_PATH), PostgreSQL $PG_MAJOR, Redis, shellcheck, Node.js $(node --version), chromium ($CHROMIUM_BIN)."
}
