#!/usr/bin/env bash
# The main job: set up the environment if needed, generate the synthetic knee
# ultrasound set if data/knee_us is absent, and run the quickstart study
# preset (configs/study/quickstart_knee_us.py): pretrain DenseCL (CPU
# scale), fine-tune its rows at each label fraction, test the best
# checkpoint on validation of every run, and write one report,
# work_dirs/quickstart/results.md (tables, figures, every command).
#
# Usage: bash tools/quickstart.sh [extra tools/study.py args]
#        e.g. --data-root data/my_us, --seeds 0 1 2, --dry-run
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=$(bash tools/env/setup.sh)
exec "$PY" tools/study.py configs/study/quickstart_knee_us.py "$@"
