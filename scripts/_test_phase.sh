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

for config in tsconfig.json tsconfig.worker.json; do
  if [ -f "$config" ]; then
    say "tsc -p $config"
    npx --no-install tsc -p "$config"
  fi
done

say "pytest tests/ $*"
status=0
"$PY" -m pytest tests/ "$@" || status=$?
if [ "$status" = 5 ]; then
  die "pytest collected no tests (exit 5): the suite must not be empty"
fi
exit "$status"
