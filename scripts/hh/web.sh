# shellcheck shell=bash
# The web UI (web/, Next.js): Node.js from Debian, its npm packages, a production build made once per change
# of its sources (cached by a hash), served by Node on 127.0.0.1:$WEB_PORT in front of the CP and DP APIs.
# Tests and benchmarks also need Debian's chromium, which Playwright drives (no browser download).

WEB_DIR="$ROOT/web"

ensure_node() {
  local major
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 20 ] || die "The web UI (Next.js 16) needs Node.js 20 or newer; this machine has $(node --version 2>/dev/null || echo none). Install a newer nodejs package and retry."
}

ensure_chromium() {
  command -v chromium >/dev/null || apt_install chromium
  CHROMIUM_BIN=$(command -v chromium) || die "chromium is missing even after 'apt-get install chromium'."
}

web_source_hash() {
  local paths=() path
  for path in app components lib public package.json package-lock.json next.config.ts tsconfig.json; do
    [ -e "$WEB_DIR/$path" ] && paths+=("$path")
  done
  (cd "$WEB_DIR" && find "${paths[@]}" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-64)
}

# npm ci when the lock file changed since the last install; next build when any source changed since the
# last build. WEB_SERVER is the standalone server to run.
build_web() {
  ensure_node
  local log="$LOGS/web-build.log" lock_hash hash stamp="$WEB_DIR/.next/hh-source-hash"
  mkdir -p "$LOGS"
  lock_hash=$(sha256sum "$WEB_DIR/package-lock.json" | cut -c1-64)
  if [ "$(cat "$WEB_DIR/node_modules/.hh-lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
    say "npm ci in web/ (log: $log)"
    (cd "$WEB_DIR" && npm ci --no-audit --no-fund) >"$log" 2>&1 || die "'npm ci' in web/ failed (log: $log)."
    echo "$lock_hash" >"$WEB_DIR/node_modules/.hh-lock-hash"
  fi
  WEB_SERVER="$WEB_DIR/.next/standalone/server.js"
  hash=$(web_source_hash)
  if [ -f "$WEB_SERVER" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
    say "Web UI build is current (web/.next)"
    return
  fi
  say "Building the web UI (next build; log: $log)"
  (cd "$WEB_DIR" && NEXT_TELEMETRY_DISABLED=1 npx --no-install next build) >>"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; die "'next build' in web/ failed (log: $log)."; }
  # The standalone server serves its static assets from beside itself.
  rm -rf "$WEB_DIR/.next/standalone/.next/static"
  cp -r "$WEB_DIR/.next/static" "$WEB_DIR/.next/standalone/.next/static"
  if [ -d "$WEB_DIR/public" ]; then rm -rf "$WEB_DIR/.next/standalone/public"; cp -r "$WEB_DIR/public" "$WEB_DIR/.next/standalone/public"; fi
  echo "$hash" >"$stamp"
}

web_healthy() { curl_own -fsS -m 5 -o /dev/null "$(scheme)://127.0.0.1:$WEB_PORT/login"; }

start_web() {
  local pid
  if pid=$(running_pid web); then say "Web UI is already running (pid $pid)"; return; fi
  require_port WEB_PORT
  build_web
  say "Starting the web UI on $(scheme)://127.0.0.1:$WEB_PORT"
  local server=$WEB_SERVER
  if tls_on; then
    # Next's own server.js speaks HTTP only: web/server-https.js serves the same build over TLS from beside it.
    server="$WEB_DIR/.next/standalone/server-https.js"
    cp "$WEB_DIR/server-https.js" "$server"
  fi
  (
    cd "$WEB_DIR/.next/standalone"
    export PORT="$WEB_PORT" HOSTNAME=127.0.0.1 NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
    local api_scheme; api_scheme=$(scheme)
    export HH_DP_URL="$api_scheme://127.0.0.1:$DP_PORT" HH_CP_URL="$api_scheme://127.0.0.1:$CP_PORT" HH_OTLP_URL="$api_scheme://127.0.0.1:$OTLP_HTTP_PORT"
    # The UI's server calls the APIs: over TLS it trusts HH_TLS_CA as well as Node's own roots.
    if tls_on && [ -n "${HH_TLS_CA:-}" ]; then export NODE_EXTRA_CA_CERTS="$HH_TLS_CA"; fi
    if tls_on; then export HH_TLS_CERT HH_TLS_KEY; fi
    spawn web node "$server"
  )
  wait_ready web "" 60 web_healthy
}
