#!/usr/bin/env bash
# Multi-process testing through torchrun (torch.distributed.run): the test
# split is sharded over NPROC processes and the metrics are computed once on
# the gathered results (the same numbers as one process; docs/distributed.md).
#
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args...]
# Environment: as tools/dist_train.sh (NNODES, NODE_RANK, MASTER_ADDR, PORT,
#   PYTHON).
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "Usage: bash $0 CONFIG CHECKPOINT NPROC [test.py args...]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
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
    "$(dirname "$0")/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
