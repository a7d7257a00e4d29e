#!/usr/bin/env bash
# Distributed stratified k-fold training with torchrun:
#   tools/dist_kfold_train.sh CONFIG NPROC [args of tools/kfold_train.py]
# Every fold trains on all NPROC processes in turn. Multi-node: NNODES,
# NODE_RANK, MASTER_ADDR and PORT are honoured. Without CUDA, the processes
# train on CPU with gloo.
set -e
exec bash "$(dirname "$0")/dist_run.sh" "$(dirname "$0")/kfold_train.py" \
    "$2" "$1" "${@:3}"
