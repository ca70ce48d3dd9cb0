#!/usr/bin/env bash
# Sets up .venv and runs the main job: SimCLR on the embedded dataset vs random init.
#   bash scripts/pretrain.sh                         # KERAS_BACKEND defaults to jax
#   KERAS_BACKEND=torch bash scripts/pretrain.sh --dataset cifar10 --out runs/cifar
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export KERAS_BACKEND=${KERAS_BACKEND:-jax} TF_CPP_MIN_LOG_LEVEL=3
.venv/bin/ssl-keras pretrain "$@"
