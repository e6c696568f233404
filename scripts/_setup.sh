# shellcheck shell=bash
# Sourced by scripts/test and scripts/demo: installs, on a fresh machine, what the project
# needs, and skips what is already there. Defines functions; running them is up to the caller.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CHROMIUM=/usr/bin/chromium

say() { printf '\n==> %s\n' "$*" >&2; }
warn() { printf '\n!!! %s\n' "$*" >&2; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian's Chromium (and chromedriver, for pytest-pyodide's chrome runtime). Playwright drives it;
# it never downloads a browser of its own.
ensure_chromium() {
  if [ -x "$CHROMIUM" ] && command -v chromedriver >/dev/null; then return; fi
  say "installing chromium and chromium-driver (apt)"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
  [ -x "$CHROMIUM" ] || die "apt-get installed chromium, but $CHROMIUM is still missing"
}

# Debian's redis-server: the broker of server mode on several processes (tests/test_server_cluster.py
# starts its own on a free loopback port; nothing here runs it as a service).
ensure_redis() {
  if command -v redis-server >/dev/null; then return; fi
  say "installing redis-server (apt)"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server
  command -v redis-server >/dev/null || die "apt-get installed redis-server, but redis-server is still missing"
}

# A Python 3.11+ for the venv: FHAW_PYTHON if set, else python3.
pick_python() {
  local candidate
  for candidate in ${FHAW_PYTHON:-} python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  die "no Python 3.11+ found: install python3 and python3-venv, or set FHAW_PYTHON"
}

# .venv with this package and its test extras; reinstalled when pyproject.toml changes.
ensure_venv() {
  if [ ! -x "$PY" ]; then
    local base
    base=$(pick_python)
    say "creating $VENV with $base ($("$base" --version 2>&1))"
    "$base" -m venv "$VENV"
    "$PY" -m pip install -q --disable-pip-version-check --upgrade pip
  fi
  local stamp="$VENV/.fh-anywidget-installed" want
  want=$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "pip install -e '.[test]'"
    "$PY" -m pip install -q --disable-pip-version-check -e "$ROOT[test]"
    echo "$want" >"$stamp"
  fi
}

# node_modules from package.json (if the project has one): `npm ci` when a lock file exists,
# else `npm install` without writing a lock into the work tree. Redone when either file changes.
ensure_node_modules() {
  [ -f "$ROOT/package.json" ] || return 0
  command -v npm >/dev/null || die "package.json needs npm (and node): apt-get install -y nodejs npm"
  local stamp="$ROOT/node_modules/.fh-anywidget-installed" want
  want=$(cat "$ROOT/package.json" "$ROOT/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  if [ -f "$ROOT/package-lock.json" ]; then
    say "npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  else
    say "npm install (no package-lock.json)"
    (cd "$ROOT" && npm install --no-audit --no-fund --no-package-lock)
  fi
  echo "$want" >"$stamp"
}

# The offline Pyodide distributions. Cheap when nothing changed: downloads are cached in build/.cache.
build_demo_dist() {
  say "fh-anywidget dist examples.demo.app:app -> build/pyodide"
  (cd "$ROOT" && "$VENV/bin/fh-anywidget" dist examples.demo.app:app)
}

build_test_dist() {
  say "fh-anywidget dist -> build/pyodide-test (for pytest-pyodide)"
  (cd "$ROOT" && "$VENV/bin/fh-anywidget" dist --no-snapshot --out build/pyodide-test --package pytest==8.4.2 --package tblib)
}

# A small app whose widget needs a compiled wheel from PyPI built for this Pyodide (ast-serialize,
# 0.9 MB; tests/browser/test_compiled_wheels.py): its wheel is downloaded once, into build/.cache.
build_compiled_dist() {
  say "fh-anywidget dist examples.compiled.app:app -> build/pyodide-compiled"
  (cd "$ROOT" && "$VENV/bin/fh-anywidget" dist examples.compiled.app:app --out build/pyodide-compiled)
}

# The pinned htmx and Pico CSS that `fh-anywidget build` ships in exported sites (npm,
# integrity-checked, cached).
fetch_export_vendored() {
  say "htmx and Pico for static exports -> build/.cache"
  (cd "$ROOT" && "$PY" -c 'from fh_anywidget.vendor import fetch_vendored; fetch_vendored()')
}

# Run a command with no network but loopback, when this machine lets us make a network namespace.
run_offline() {
  if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
    say "running with no network but loopback (unshare -n): $*"
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
  else
    warn "#####################################################################"
    warn "unshare -n is not available here: the tests run WITH network access,"
    warn "so they do NOT prove that nothing is fetched from the internet."
    warn "(The browser suite's network guard still fails on outside requests.)"
    warn "#####################################################################"
    "$@"
  fi
}
