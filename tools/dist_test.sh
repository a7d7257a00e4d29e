#!/usr/bin/env bash
# Distributed testing with torchrun: tools/dist_test.sh CONFIG CKPT NPROC [args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT are honoured.
set -e
exec bash "$(dirname "$0")/dist_run.sh" "$(dirname "$0")/test.py" "$3" \
    "$1" "$2" "${@:4}"
