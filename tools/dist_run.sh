#!/usr/bin/env bash
# torchrun for mmlt's tools: tools/dist_run.sh SCRIPT NPROC [args of SCRIPT]
# (dist_train.sh, dist_test.sh and dist_kfold_train.sh call it). Multi-node:
# NNODES, NODE_RANK, MASTER_ADDR and PORT are honoured. Without CUDA, the
# processes run on CPU with gloo. PYTHON picks the interpreter; unset, it is
# `python` if that one has torch and mmlt, else the repository's .venv (what
# `make venv` creates), else the script stops saying how to get one.
set -e
SCRIPT=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
if [ -z "$PYTHON" ]; then
    VENV_PYTHON="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python"
    if python -c 'import importlib.util as u, sys
sys.exit(not all(u.find_spec(m) for m in ("torch", "mmlt")))' \
            >/dev/null 2>&1; then
        PYTHON=python
    elif [ -x "$VENV_PYTHON" ]; then
        echo "python has no torch/mmlt; using $VENV_PYTHON" \
            "(activate it to skip this: source .venv/bin/activate)" >&2
        PYTHON="$VENV_PYTHON"
    else
        echo "error: python has no torch/mmlt and there is no .venv:" \
            "create it with 'make venv' and activate it with" \
            "'source .venv/bin/activate', or set PYTHON=/path/to/python" >&2
        exit 1
    fi
fi

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$SCRIPT" \
    "${@:3}" \
    --launcher pytorch
