#!/usr/bin/env bash
# Distributed training with torchrun: tools/dist_train.sh CONFIG NPROC [args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT are honoured.
# Without CUDA, the processes train on CPU with gloo.
set -e
exec bash "$(dirname "$0")/dist_run.sh" "$(dirname "$0")/train.py" "$2" \
    "$1" "${@:3}"
