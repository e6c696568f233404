# shellcheck shell=bash
# The test phase of scripts/test, run (by it) with no network but loopback.
# Fails at the first failing suite.
set -euo pipefail
# shellcheck source=scripts/_setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"
cd "$ROOT"
export PATH="$VENV/bin:$PATH"

if [ -d tests/js ]; then
  say "node --test tests/js/"
  node --test tests/js/
fi

if [ -f tsconfig.json ]; then
  say "tsc -p tsconfig.json"
  npx --no-install tsc -p tsconfig.json
fi

say "pytest tests/ $*"
status=0
"$PY" -m pytest tests/ "$@" || status=$?
if [ "$status" = 5 ]; then
  die "pytest collected no tests (exit 5): the suite must not be empty"
fi
exit "$status"
