#!/usr/bin/env bash
# The GPU suite: the course's CIFAR-10 figures and the training throughput, on one GPU, in
# about 8 minutes.
#
#   A. Accuracy, every run at once (the small CNN leaves the GPU mostly idle; the GPU's
#      memory holds all of them): the course run (`course_accuracy.py`: SimCLR 10 epochs,
#      batch 256; random init and supervised beside it), variants of the SimCLR defaults
#      (SUITE_VARIANTS), the course run on the other backends, and the pretext table
#      (`pretext_comparison.py`, one process per method, merged).
#      Measured on one H200 with 16 CPU cores (2026-11-30, 13 runs at once): a SimCLR run's
#      10 epochs took ~190 s, and judging one encoder (three probes, kNN, t-SNE) ~190 s,
#      because the probes and kNN run on the 16 shared CPU cores; hence one variant by
#      default. Each run keeps its trained encoder (`<run>/<encoder>_encoder.weights.h5`)
#      so that a run cut short can be judged later on any machine.
#   B. Training throughput (`training_throughput.py`), alone on the GPU: small CNN and
#      ResNet-18, batch 256 and 1024, float32 and bfloat16, jax then torch, one
#      configuration per process so that a stage cut short keeps what it measured.
#
# Usage:
#   python3 ../shared/data/cifar10/build.py /tmp/cifar      # the course's JPEG copy
#   bash benchmarks/gpu_suite.sh /tmp/cifar [WORK_DIR]
#   SUITE_TINY=1 bash benchmarks/gpu_suite.sh DIR WORK      # CPU smoke test, tiny settings
#
# Results: benchmarks/results/gpu/*.json (SSL_KERAS_RESULTS_DIR), never mixed with the CPU
# machine's; logs, t-SNE plots and checkpoints in WORK_DIR (default runs/gpu_suite).
# Time limits per stage: SUITE_ACCURACY_S (default 360), SUITE_THROUGHPUT_S (150).
# Backends missing on the machine (e.g. tensorflow) are skipped and said so in the log.
set -u
CIFAR=${1:?usage: bash benchmarks/gpu_suite.sh CIFAR_DIR [WORK_DIR]}
WORK=${2:-runs/gpu_suite}
PYTHON=${PYTHON:-python3}
BENCH=$(cd "$(dirname "$0")" && pwd)
export SSL_KERAS_RESULTS_DIR=${SSL_KERAS_RESULTS_DIR:-$BENCH/results/gpu}
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false TF_CPP_MIN_LOG_LEVEL=3
mkdir -p "$WORK/logs" "$SSL_KERAS_RESULTS_DIR"
ACCURACY_S=${SUITE_ACCURACY_S:-360}
THROUGHPUT_S=${SUITE_THROUGHPUT_S:-150}

if [ -n "${SUITE_TINY:-}" ]; then
  COURSE=(--train-limit 512 --test-limit 500 --epochs 1 --probe-epochs 1 --probe-min-steps 4
          --knn-k 10 --tsne-points 60 --verbose 0)
  PRETEXT=(--train-limit 256 --epochs 1 --width 8 --probe-epochs 1 --batch-size 64)
  THROUGHPUT=(--quick --models small_cnn --precisions float32)
  CONFIGS="small_cnn:32"
else
  COURSE=(--verbose 0)
  PRETEXT=(--epochs 10 --width 64 --batch-size 256 --learning-rate 1e-3)
  THROUGHPUT=(--steps 10 --warmup 2)
  CONFIGS="small_cnn:256 small_cnn:1024 resnet18:256 resnet18:1024"
fi

has_backend() {  # installed, and Keras runs an op on it
  KERAS_BACKEND=$1 "$PYTHON" -c "import keras; keras.ops.convert_to_numpy(keras.ops.ones(2) + 1)" \
    >/dev/null 2>&1
}
BACKENDS=""
for backend in jax torch tensorflow; do
  if has_backend "$backend"; then BACKENDS="$BACKENDS $backend"
  else echo "[suite] $backend: not installed here, or Keras cannot run on it: skipped"; fi
done
echo "[suite] backends:$BACKENDS; results -> $SSL_KERAS_RESULTS_DIR; work -> $WORK"
first=$(echo $BACKENDS | cut -d' ' -f1)

run() {  # run NAME BACKEND SCRIPT ARGS...: in the background, logged
  local name=$1 backend=$2 script=$3; shift 3
  KERAS_BACKEND=$backend "$PYTHON" "$BENCH/$script" "$@" >"$WORK/logs/$name.log" 2>&1 &
}

echo "[suite] A. accuracy, at most $ACCURACY_S s ($(date +%T))"
start=$SECONDS
run course_simclr "$first" course_accuracy.py --data-dir "$CIFAR" --encoders simclr \
    --out "$WORK/course_simclr" "${COURSE[@]}"
run course_baselines "$first" course_accuracy.py --data-dir "$CIFAR" \
    --encoders random_init supervised --tag baselines --out "$WORK/course_baselines" \
    "${COURSE[@]}"
# Variants of the SimCLR defaults, "tag:arguments;tag:arguments".
IFS=';' read -r -a VARIANTS <<< "${SUITE_VARIANTS:-t0.2_crop0.2:--temperature 0.2 --crop-min-scale 0.2}"
for variant in "${VARIANTS[@]}"; do
  tag=${variant%%:*}
  # shellcheck disable=SC2086
  run "course_$tag" "$first" course_accuracy.py --data-dir "$CIFAR" --encoders simclr \
      --tag "$tag" --out "$WORK/course_$tag" ${variant#*:} "${COURSE[@]}"
done
for backend in $BACKENDS; do
  [ "$backend" = "$first" ] && continue
  run "course_simclr_$backend" "$backend" course_accuracy.py --data-dir "$CIFAR" \
      --encoders simclr --out "$WORK/course_simclr_$backend" "${COURSE[@]}"
done
METHODS="random_init rotation jigsaw colorization simclr supervised"
for method in $METHODS; do
  run "pretext_$method" "$first" pretext_comparison.py --dataset cifar10 --data-dir "$CIFAR" \
      --methods "$method" --verbose 0 --out "$WORK/pretext_$method" "${PRETEXT[@]}"
done
( sleep "$ACCURACY_S"; echo "[suite] stage A: time is up, stopping what still runs";
  pkill -f "$BENCH/course_accuracy.py"; pkill -f "$BENCH/pretext_comparison.py" ) &
watchdog=$!
wait $(jobs -p | grep -v "^$watchdog$") 2>/dev/null
kill $watchdog 2>/dev/null
echo "[suite] A took $((SECONDS - start)) s"
# One pretext table from the per-method runs (each kept its result in partial.json).
"$PYTHON" - "$WORK" $METHODS <<'PY'
import json, sys
from pathlib import Path
work, methods = Path(sys.argv[1]), sys.argv[2:]
merged = {"results": {}}
for method in methods:
    path = work / f"pretext_{method}" / "partial.json"
    if path.exists():
        part = json.loads(path.read_text())
        merged["settings"] = part["settings"]
        merged["results"].update(part["results"])
    else:
        print(f"[suite] pretext {method}: no result")
(work / "pretext").mkdir(exist_ok=True)
(work / "pretext" / "partial.json").write_text(json.dumps(merged, indent=2))
print("[suite] pretext methods done:", ", ".join(merged["results"]) or "none")
PY
done_methods=$("$PYTHON" -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['results']))" \
    "$WORK/pretext/partial.json")
if [ -n "$done_methods" ]; then
  # shellcheck disable=SC2086
  KERAS_BACKEND=$first "$PYTHON" "$BENCH/pretext_comparison.py" --dataset cifar10 \
      --data-dir "$CIFAR" --methods $done_methods --verbose 0 --out "$WORK/pretext" \
      "${PRETEXT[@]}" >"$WORK/logs/pretext_table.log" 2>&1
  tail -n 12 "$WORK/logs/pretext_table.log"
fi
for log in "$WORK"/logs/course_*.log; do
  echo "--- $(basename "$log"):"; grep -E "^\[|^\|" "$log" | tail -n 8
done

echo "[suite] B. training throughput, at most $THROUGHPUT_S s ($(date +%T))"
start=$SECONDS
for backend in $BACKENDS; do
  for config in $CONFIGS; do
    left=$((THROUGHPUT_S - (SECONDS - start)))
    if [ "$left" -le 10 ]; then echo "[suite] B: no time left for $backend $config"; continue; fi
    KERAS_BACKEND=$backend timeout "$left" "$PYTHON" "$BENCH/training_throughput.py" \
        --models "${config%%:*}" --batch-sizes "${config#*:}" --merge "${THROUGHPUT[@]}" \
        >>"$WORK/logs/throughput_$backend.log" 2>&1 \
      || echo "[suite] B: $backend $config stopped (exit $?)"
  done
  grep -E "^\| $backend " "$WORK/logs/throughput_$backend.log" | sort -u
done
echo "[suite] done ($(date +%T)); results in $SSL_KERAS_RESULTS_DIR"
