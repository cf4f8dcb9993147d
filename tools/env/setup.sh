#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment with the pinned stack.
#
# Idempotent and fast when nothing changed: a stamp in the venv records the
# hash of the requirement files; when it matches, nothing is installed.
#
# Environment:
#   USSL_VENV   where the venv lives            (default: <repo>/.venv)
#   PYTHON      interpreter that creates it     (default: python3.11 or python3)
#
# Usage: bash tools/env/setup.sh     (prints the venv's python path last)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${USSL_VENV:-$ROOT/.venv}
BASE_PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
STAMP="$VENV/.ussl_mm_stamp"

log() { echo "[setup] $*" >&2; }

want=$(cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT"/tools/env/*.sh \
       | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
    log "environment up to date: $VENV"
    echo "$VENV/bin/python"
    exit 0
fi

# The first install needs ~5.5 GB in the venv plus pip's unpacked copies in
# TMPDIR; a full disk otherwise fails deep inside pip ("[Errno 28] No space
# left on device") with no hint of where or how much. Checked before the
# venv is created, on the nearest existing folder of its path.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    need_gb=${USSL_MIN_FREE_GB:-8}
    venv_fs=$VENV
    while [ ! -d "$venv_fs" ]; do venv_fs=$(dirname "$venv_fs"); done
    for dir in "$venv_fs" "${TMPDIR:-/tmp}"; do
        free_gb=$(( $(df -Pk "$dir" | awk 'NR==2 {print $4}') / 1048576 ))
        if [ "$free_gb" -lt "$need_gb" ]; then
            log "ERROR: $free_gb GB free on the file system of $dir; the first"
            log "  install of torch + mmcv needs about $need_gb GB there. Free"
            log "  space (old venvs, work_dirs/ checkpoints), or put the venv"
            log "  (USSL_VENV=...) or pip's temporary files (TMPDIR=...) on"
            log "  another disk. USSL_MIN_FREE_GB=N changes the threshold."
            exit 1
        fi
    done
fi

start=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV with $BASE_PY"
    "$BASE_PY" -m venv "$VENV"
fi
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch/torchvision first: everything else is resolved against them.
log "installing torch (first time: ~5.5 GB, a few minutes)"
"$PY" -m pip install -q 'torch==2.14.1' 'torchvision==0.29.1' 'setuptools>=77,<81' wheel >&2
log "installing mmcv (full, with ops)"
PYTHON="$PY" bash "$ROOT/tools/env/install_mmcv.sh" >&2
log "installing the OpenMMLab stack and test tools"
"$PY" -m pip install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" >&2
log "installing ussl_mm (editable)"
"$PY" -m pip install -q --no-deps --no-build-isolation -e "$ROOT" >&2
"$PY" -c 'import mmcv._ext, mmseg.models, mmpretrain.models, ussl_mm; print("[setup] stack ok: ussl_mm", ussl_mm.__version__)' >&2
echo "$want" > "$STAMP"
log "done in $(( $(date +%s) - start )) s"
echo "$PY"
