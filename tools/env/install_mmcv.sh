#!/usr/bin/env bash
# Install mmcv 2.1.0 (full, with compiled ops) into the active Python.
#
# Order of preference:
#   1. already installed and `mmcv._ext` imports -> nothing to do;
#   2. a prebuilt wheel: $USSL_MMCV_WHEEL (a file), $USSL_WHEEL_DIR/<wheel>
#      (a folder of prebuilt wheels, e.g. one shared by several checkouts on
#      a machine; the wheel there must have the sha256 below; default: a
#      wheels/ folder of a shared/ folder beside the checkout), or our cache;
#   3. build from the PyPI sdist, patched for torch 2.14 (C++20), and cache
#      the wheel in ${USSL_CACHE:-~/.cache/ussl_mm}/wheels for the next time.
#
# Usage: PYTHON=.venv/bin/python bash tools/env/install_mmcv.sh
set -euo pipefail

PYTHON=${PYTHON:-python}
# absolute path: the build below runs from another directory
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')
CACHE=${USSL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ussl_mm}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# A machine-wide folder of prebuilt wheels next to the checkout (the
# development and CI machines keep the mmcv wheel there), unless
# USSL_WHEEL_DIR names another one.
if [ -z "${USSL_WHEEL_DIR:-}" ] && [ -d "$ROOT/../shared/wheels" ]; then
    USSL_WHEEL_DIR=$(cd "$ROOT/../shared/wheels" && pwd)
fi
VERSION=2.1.0
# sha256 of the cp311 x86_64 wheel we built from the sdist as below: a wheel
# found in $USSL_WHEEL_DIR must be that one.
WHEEL_DIR_SHA=aa8865739ab383bcfa380c9ce8865aa3233758c72aedd8f62825f50ef2ebfb87

log() { echo "[install_mmcv] $*"; }

if "$PYTHON" - <<PYEOF 2>/dev/null
import mmcv, mmcv._ext  # noqa: F401
assert mmcv.__version__ == '$VERSION', mmcv.__version__
PYEOF
then
    log "mmcv $VERSION with ops already installed"
    exit 0
fi

PYTAG=$("$PYTHON" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
ARCH=$(uname -m)
WHEEL_NAME="mmcv-$VERSION-$PYTAG-$PYTAG-linux_$ARCH.whl"

candidates=()
[ -n "${USSL_MMCV_WHEEL:-}" ] && candidates+=("$USSL_MMCV_WHEEL")
[ -n "${USSL_WHEEL_DIR:-}" ] && candidates+=("$USSL_WHEEL_DIR/$WHEEL_NAME")
candidates+=("$CACHE/wheels/$WHEEL_NAME")

for whl in "${candidates[@]}"; do
    [ -f "$whl" ] || continue
    if [ -n "${USSL_WHEEL_DIR:-}" ] && [ "$whl" = "$USSL_WHEEL_DIR/$WHEEL_NAME" ]; then
        got=$(sha256sum "$whl" | cut -d' ' -f1)
        if [ "$got" != "$WHEEL_DIR_SHA" ]; then
            log "WARNING: $whl has sha256 $got, expected $WHEEL_DIR_SHA; ignoring it"
            continue
        fi
    fi
    log "installing prebuilt wheel $whl"
    "$PYTHON" -m pip install --no-deps "$whl"
    exit 0
done

log "no prebuilt wheel for $PYTAG/$ARCH; building mmcv $VERSION from the sdist"
log "(about 12 minutes on 2 cores; the wheel is cached in $CACHE/wheels)"
TORCH=$("$PYTHON" -c 'import torch; print(torch.__version__)') || {
    log "ERROR: torch must be installed before mmcv (run tools/env/setup.sh)"; exit 1; }
log "building against torch $TORCH"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m pip download --no-deps --no-binary :all: "mmcv==$VERSION" -d "$WORK"
tar xzf "$WORK/mmcv-$VERSION.tar.gz" -C "$WORK"
SRC="$WORK/mmcv-$VERSION"
# torch >= 2.14 headers require C++20; mmcv 2.1.0 hard-codes c++14/c++17.
sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
# mmcv's setup.py imports pkg_resources (setuptools<81) and torch, so the
# build must see the venv's packages: --no-build-isolation.
"$PYTHON" -m pip install -q 'setuptools>=77,<81' wheel ninja
mkdir -p "$CACHE/wheels"
(cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    CFLAGS=-g0 CXXFLAGS=-g0 \
    "$PYTHON" -m pip wheel --no-build-isolation --no-deps -w "$WORK/dist" .)
built=$(ls "$WORK"/dist/mmcv-$VERSION-*.whl | head -1)
cp "$built" "$CACHE/wheels/$WHEEL_NAME"
"$PYTHON" -m pip install --no-deps "$CACHE/wheels/$WHEEL_NAME"
log "built and cached $CACHE/wheels/$WHEEL_NAME"
