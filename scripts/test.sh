#!/usr/bin/env bash
# Sets up .venv and runs the linter and the test suite once per Keras backend.
#   bash scripts/test.sh                  # jax, tensorflow and torch
#   BACKENDS=jax bash scripts/test.sh     # one backend
#   bash scripts/test.sh -m slow          # extra pytest arguments (here: the slow tests)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore::DeprecationWarning
.venv/bin/ruff check ssl_keras tests autograder assignments benchmarks
status=0
for backend in ${BACKENDS:-jax tensorflow torch}; do
  echo "=== KERAS_BACKEND=$backend ==="
  start=$(date +%s)
  KERAS_BACKEND=$backend .venv/bin/python -m pytest -q -p no:randomly "$@" || status=1
  echo "=== KERAS_BACKEND=$backend took $(( $(date +%s) - start )) s ==="
done
exit $status
