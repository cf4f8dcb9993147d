#!/usr/bin/env bash
# Multi-process training through torchrun (torch.distributed.run), one
# process per GPU, or per CPU process share on a machine without CUDA (gloo;
# see docs/distributed.md).
#
# Usage: bash tools/dist_train.sh CONFIG NPROC [train.py args...]
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
#   PORT (29500; use a free one when two jobs share a machine),
#   PYTHON (python: the interpreter whose torch launches the processes).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "Usage: bash $0 CONFIG NPROC [train.py args...]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
