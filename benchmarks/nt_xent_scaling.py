"""Time and peak memory of NT-Xent and its gradient as the batch grows, for `nt_xent`
(the whole 2N x 2N similarity matrix) and `chunked_nt_xent` (row blocks, recomputed in a
custom backward pass).

For each batch N (images; 2N embeddings of dimension --dim, 128 by default as SimCLR's
projection) the benchmark times `loss, d loss / d z` compiled the backend's way (jax:
`jax.jit(jax.value_and_grad)`; tensorflow: `tf.function(jit_compile=True)` around a
`GradientTape`; torch: eager autograd), median of --repeats calls after one warm-up
call, and measures the peak memory of one call:

- jax: XLA's own plan of the compiled function (`compiled.memory_analysis()`: temporary
  buffers + outputs, arguments excluded); on a GPU also the device's `peak_bytes_in_use`.
- torch: on CUDA `torch.cuda.max_memory_allocated` minus the memory before the call; on
  CPU the largest resident set size seen during the call minus the one before it.
- tensorflow: `tf.config.experimental.get_memory_info(device)["peak"]` minus the current
  memory before the call (after `reset_memory_stats`), on "CPU:0" or "GPU:0": the TF
  allocator's own count, which XLA's buffers go through.

The torch-on-CPU RSS growth is sampled by a thread reading /proc/self/statm every
0.5 ms during a call made after the warm-up call; large buffers are mmap-ed and returned to the OS
when freed, so RSS follows the live memory. It is an estimate (a peak shorter than the
sampling interval is missed, and allocator caches can hide growth), good to a few MiB.
Each variant runs in its own process (`--variant`, set by the driver). The reference
column is the size of one float32 2N x 2N matrix, `16 N^2` bytes; autodiff of `nt_xent`
keeps a few of them alive at once.

Usage:
    nice python benchmarks/nt_xent_scaling.py --backends jax,tensorflow,torch --max-batch 4096
    python benchmarks/nt_xent_scaling.py --backends jax,tensorflow,torch --max-batch 65536  # GPU

Writes benchmarks/results/nt_xent_scaling_<backend>.json.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

NAME = "nt_xent_scaling"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
VARIANTS = ("nt_xent", "chunked_nt_xent")
COLUMNS = [
    ("backend", "backend"), ("batch", "N"), ("matrix_mib", "2N x 2N f32 MiB"),
    ("nt_xent_ms", "nt_xent ms"), ("nt_xent_mib", "nt_xent peak MiB"),
    ("chunked_nt_xent_ms", "chunked ms"), ("chunked_nt_xent_mib", "chunked peak MiB"),
    ("max_abs_difference", "max |loss diff|"), ("memory_method", "memory method"),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default=None)
    parser.add_argument("--min-batch", type=int, default=256)
    parser.add_argument("--max-batch", type=int, default=8192)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--chunk-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--variant", choices=VARIANTS, default=None,
                        help="internal: measure one variant in this process")
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.backends:
        results = _common.run_per_backend(
            __file__, args.backends.split(","), _common.strip_backends_flag(argv)
        )
        print("\n=== all backends ===")
        print(_common.format_table([row for r in results for row in r["rows"]], COLUMNS))
        return
    if args.variant:
        print(json.dumps(measure_variant(args)))
        return
    # One process per variant: peak-RSS growth is only meaningful within one process.
    import keras

    backend = keras.backend.backend()
    by_variant = {}
    for variant in VARIANTS:
        command = [sys.executable, __file__, *_common.strip_backends_flag(argv),
                   "--variant", variant]
        # glibc returns a freed block to the OS only if it was mmap-ed; a fixed 1 MiB
        # threshold (glibc's adapts upwards) keeps the torch-on-CPU RSS growth honest.
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(2**20)}
        completed = subprocess.run(command, capture_output=True, text=True, env=env)
        if completed.returncode != 0:
            sys.stderr.write(completed.stderr[-3000:])
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        by_variant[variant] = json.loads(lines[-1]) if lines else {"points": []}
    rows = combine(backend, by_variant)
    payload = {"benchmark": NAME, "machine": _common.machine(), "settings": vars(args),
               "rows": rows, "raw": by_variant, "memory_method": memory_method(backend)}
    path = _common.write_result(NAME, backend, payload)
    print(_common.format_table(rows, COLUMNS))
    print(f"memory: {memory_method(backend)}\nwrote {path}")


def combine(backend, by_variant) -> list[dict]:
    rows = {}
    for variant, result in by_variant.items():
        for point in result.get("points", []):
            row = rows.setdefault(point["batch"], {
                "backend": backend, "batch": point["batch"],
                "matrix_mib": 16 * point["batch"] ** 2 / 2**20,
                "memory_method": result.get("memory_short"),
            })
            row[f"{variant}_ms"] = point.get("time_ms")
            row[f"{variant}_mib"] = point.get("peak_mib")
            row[f"{variant}_loss"] = point.get("loss")
            row[f"{variant}_error"] = point.get("error")
    for row in rows.values():
        if row.get("nt_xent_loss") is not None and row.get("chunked_nt_xent_loss") is not None:
            row["max_abs_difference"] = abs(row["nt_xent_loss"] - row["chunked_nt_xent_loss"])
    return [rows[batch] for batch in sorted(rows)]


def memory_method(backend) -> str:
    gpu = _common.accelerator_name() != "cpu"
    if backend == "jax":
        return "XLA compiled memory_analysis (temp + output bytes)" + (
            "; device peak_bytes_in_use" if gpu else "")
    if backend == "tensorflow":
        return "tf.config.experimental.get_memory_info peak growth (TF allocator)"
    if gpu:
        return "torch.cuda.max_memory_allocated growth"
    return "sampled RSS growth during the call (0.5 ms)"


def measure_variant(args) -> dict:
    import keras
    import numpy as np

    from ssl_keras.losses import nt_xent
    from ssl_keras.losses.chunked_nt_xent import chunked_nt_xent

    backend = keras.backend.backend()
    if args.variant == "nt_xent":
        def loss_fn(z_a, z_b):
            return nt_xent(z_a, z_b, args.temperature)
    else:
        def loss_fn(z_a, z_b):
            return chunked_nt_xent(z_a, z_b, args.temperature, chunk_size=args.chunk_size)
    value_and_grad, memory = _compiled(backend, loss_fn)
    points = []
    batch = args.min_batch
    while batch <= args.max_batch:
        rng = np.random.default_rng(batch)
        z_a, z_b = (rng.normal(size=(batch, args.dim)).astype("float32") for _ in range(2))
        point = {"batch": batch}
        try:
            z_a, z_b = keras.ops.convert_to_tensor(z_a), keras.ops.convert_to_tensor(z_b)
            point["peak_mib"], loss = memory(value_and_grad, z_a, z_b)
            point["loss"] = float(loss)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                loss, grads = value_and_grad(z_a, z_b)
                float(loss), float(keras.ops.convert_to_numpy(grads[0][0, 0]))
                times.append(time.perf_counter() - start)
            point["time_ms"] = 1000 * float(np.median(times))
        except Exception as error:  # out of memory ends the sweep, reported as such
            point["error"] = f"{type(error).__name__}: {str(error)[:200]}"
            points.append(point)
            break
        points.append(point)
        print(f"[{backend} {args.variant}] N={batch}: {point}", file=sys.stderr, flush=True)
        batch *= 2
    return {"variant": args.variant, "points": points,
            "memory_short": memory_method(backend).split(" (")[0]}


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE_SIZE / 2**20


def _rss_growth(call):
    """(largest RSS during `call()` minus RSS before it, in MiB; call's result)."""
    before = _rss_mib()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.0005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = call()
    finally:
        done.set()
        sampler.join()
    peak[0] = max(peak[0], _rss_mib())
    return peak[0] - before, result


def _compiled(backend, loss_fn):
    """(value_and_grad(z_a, z_b) -> (loss, (g_a, g_b)), memory(fn, z_a, z_b) -> (MiB, loss))."""
    gpu = _common.accelerator_name() != "cpu"
    if backend == "jax":
        import jax

        value_and_grad = jax.jit(jax.value_and_grad(loss_fn, argnums=(0, 1)))

        def memory(fn, z_a, z_b):
            analysis = fn.lower(z_a, z_b).compile().memory_analysis()
            planned = (analysis.temp_size_in_bytes + analysis.output_size_in_bytes) / 2**20
            loss, _ = fn(z_a, z_b)
            if gpu:
                stats = jax.devices()[0].memory_stats() or {}
                planned = max(planned, stats.get("peak_bytes_in_use", 0) / 2**20)
            return planned, loss

        return value_and_grad, memory
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=True)
        def value_and_grad(z_a, z_b):
            with tf.GradientTape() as tape:
                tape.watch([z_a, z_b])
                loss = loss_fn(z_a, z_b)
            return loss, tape.gradient(loss, [z_a, z_b])

        def memory(fn, z_a, z_b):
            fn(z_a, z_b)  # compile first: compilation memory is not the loss's
            device = "GPU:0" if gpu else "CPU:0"
            before = tf.config.experimental.get_memory_info(device)["current"]
            tf.config.experimental.reset_memory_stats(device)
            loss, grads = fn(z_a, z_b)
            float(loss), grads[0].numpy()
            peak = tf.config.experimental.get_memory_info(device)["peak"]
            return (peak - before) / 2**20, loss

        return value_and_grad, memory
    import torch

    def value_and_grad(z_a, z_b):
        z_a = z_a.detach().requires_grad_(True)
        z_b = z_b.detach().requires_grad_(True)
        loss = loss_fn(z_a, z_b)
        loss.backward()
        return loss.detach(), (z_a.grad, z_b.grad)

    def memory(fn, z_a, z_b):
        if gpu:
            torch.cuda.synchronize()
            before = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            loss, _ = fn(z_a, z_b)
            torch.cuda.synchronize()
            return (torch.cuda.max_memory_allocated() - before) / 2**20, loss
        fn(z_a, z_b)  # warm-up, as for the other backends
        return _rss_growth(lambda: fn(z_a, z_b)[0])

    return value_and_grad, memory


if __name__ == "__main__":
    main()
