#!/usr/bin/env bash
# Distributed stratified k-fold training with torchrun:
#   tools/dist_kfold_train.sh CONFIG NPROC [args of tools/kfold_train.py]
# Every fold trains on all NPROC processes in turn. Multi-node: NNODES,
# NODE_RANK, MASTER_ADDR and PORT are honoured. Without CUDA, the processes
# train on CPU with gloo.
set -e
CONFIG=$1
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
    "$(dirname "$0")/kfold_train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
