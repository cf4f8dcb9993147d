#!/usr/bin/env bash
# The main job: set up the environment if needed, generate the synthetic knee
# ultrasound set if data/knee_us is absent, pretrain DenseCL (CPU-scale),
# fine-tune FCN from scratch and from DenseCL at 5 % and 100 % of the labels,
# test each, and write work_dirs/quickstart/results.{md,csv,png}.
#
# Usage: bash tools/quickstart.sh [extra tools/study.py args]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=$(bash tools/env/setup.sh)
exec "$PY" tools/study.py configs/study/quickstart_knee_us.py "$@"
