# Sourced by scripts/up and scripts/test: install the web client's packages from the lock
# file and build it into web/dist when anything changed (the API server serves web/dist).

ensure_web() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "stocklab: npm is not on the PATH; the web client needs Node.js 20.19+ (apt-get install nodejs npm)" >&2
    exit 2
  fi
  local marker=web/node_modules/.package-lock.json
  if [ ! -f "$marker" ] || [ web/package-lock.json -nt "$marker" ]; then
    echo "stocklab: installing the web client's packages (npm ci)" >&2
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/public web/index.html web/package.json web/vite.config.ts web/tsconfig.json -newer web/dist/index.html -print -quit)" ]; then
    echo "stocklab: building the web client" >&2
    (cd web && npm run build --silent >/dev/null)
  fi
}
