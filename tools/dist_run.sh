#!/usr/bin/env bash
# torchrun for mmlt's tools: tools/dist_run.sh SCRIPT NPROC [args of SCRIPT]
# (dist_train.sh, dist_test.sh and dist_kfold_train.sh call it). Multi-node:
# NNODES, NODE_RANK, MASTER_ADDR and PORT are honoured. Without CUDA, the
# processes run on CPU with gloo.
set -e
SCRIPT=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

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
