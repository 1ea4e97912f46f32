#!/usr/bin/env bash
# Prepares a fresh machine (only Node 20+ and npm needed) and builds the workspace.
# Run by `npm start` and `npm test` before anything else. Idempotent, and silent when there is
# nothing to do; a failing step prints its full output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PNPM_VERSION=10.34.8

# Runs a command with its output captured; shows the output only when it fails.
quiet() {
  local log status=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "bootstrap: '$*' failed (exit $status):" >&2
    cat "$log" >&2
  fi
  rm -f "$log"
  return "$status"
}

# pnpm (corepack's signature check fails on these machines, so install it with npm).
if ! command -v pnpm >/dev/null 2>&1; then
  echo "bootstrap: installing pnpm@${PNPM_VERSION}…"
  quiet npm install --global "pnpm@${PNPM_VERSION}" --no-fund --no-audit
  hash -r
fi

# Installs Debian package $1 with apt-get (as root; otherwise says how) unless one of the
# programs $3... is installed; $2 says what it is for.
need_package() {
  local package="$1" purpose="$2" program
  shift 2
  for program in "$@"; do
    if command -v "$program" >/dev/null 2>&1; then return 0; fi
  done
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: $package is required ($purpose) but not installed. Install it with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $package" >&2
    exit 1
  fi
  echo "bootstrap: installing $package (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  quiet apt-get update
  quiet apt-get install -y --no-install-recommends "$package"
}

# No npm package ships nats-server; Debian's package does.
need_package nats-server "NATS JetStream for the platform and the tests" nats-server /usr/sbin/nats-server
# The browser tests drive Debian's build through playwright-core (never `playwright install`).
need_package chromium "the browser tests" /usr/bin/chromium
# psql 15+: the test of compose's and Kubernetes' PostgreSQL init script runs it as the postgres image does.
need_package postgresql-client "the PostgreSQL init script test" psql

quiet pnpm install --frozen-lockfile --reporter=append-only

# Prisma's CLI downloads a schema engine from a host that is unreachable here; `prisma generate`
# never runs it but needs the variable to point at an existing file.
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
export TURBO_TELEMETRY_DISABLED=1
# turbo.json passes these variables through to the tasks (globalPassThroughEnv).
quiet pnpm exec turbo run build --output-logs=errors-only --no-update-notifier
