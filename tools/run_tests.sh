#!/usr/bin/env bash
# The test suite: set up the environment if needed, then run pytest.
#
# Usage: bash tools/run_tests.sh [pytest args]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=$(bash tools/env/setup.sh)
exec "$PY" -m pytest tests -q -p no:cacheprovider "$@"
