"""Shared plumbing of the speed benchmarks: timing, machine description, tables, JSON, and
the `--backends` driver that runs a benchmark once per Keras backend in a subprocess.

Not a benchmark itself. Each benchmark imports it *before* keras only for the driver
(which must not import any backend), then imports keras.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Where the JSON results go; `benchmarks/gpu_suite.sh` points it at `results/gpu/` so that
# GPU figures never mix with the CPU machine's.
RESULTS_DIR = Path(os.environ.get("SSL_KERAS_RESULTS_DIR")
                   or Path(__file__).resolve().parent / "results")
BACKENDS = ("jax", "tensorflow", "torch")

# Dense peak throughput in TFLOP/s of the accelerators these benchmarks target, used for
# the "share of the hardware's limit" column (vendor datasheets, SXM parts, no sparsity).
# float32 runs use TF32 tensor cores on these GPUs (XLA and cuDNN default), so their peak is
# the TF32 figure. CPUs have no entry: pass --peak-tflops to get the column there.
PEAK_TFLOPS = {
    "H100": {"mixed_bfloat16": 989.0, "float32": 494.7},
    "H200": {"mixed_bfloat16": 989.0, "float32": 494.7},
    "A100": {"mixed_bfloat16": 312.0, "float32": 156.0},
}


def run_per_backend(script: str, backends: list[str], argv: list[str]) -> list[dict]:
    """Runs `script argv` once per backend (KERAS_BACKEND set), one after the other.

    Each run writes its JSON and prints its table; returns the parsed JSON results of the
    runs that succeeded (a failing backend is reported, not fatal).
    """
    results = []
    for backend in backends:
        env = {**os.environ, "KERAS_BACKEND": backend}
        print(f"\n=== {Path(script).name} on {backend} ===", flush=True)
        completed = subprocess.run([sys.executable, script, *argv], env=env)
        if completed.returncode != 0:
            print(f"[{backend}] failed with exit code {completed.returncode}", flush=True)
            continue
        path = result_path(Path(script).stem, backend)
        if path.exists():
            results.append(json.loads(path.read_text()))
    return results


def strip_backends_flag(argv: list[str]) -> list[str]:
    """argv without `--backends X` / `--backends=X` (for the per-backend subprocesses)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--backends":
            skip = True
            continue
        if arg.startswith("--backends="):
            continue
        out.append(arg)
    return out


def result_path(name: str, backend: str) -> Path:
    return RESULTS_DIR / f"{name}_{backend}.json"


def write_result(name: str, backend: str, payload: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = result_path(name, backend)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))
    return path


def read_json(path: Path, default):
    """The JSON value in `path`, or `default` when there is no such file."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else default


def write_json(path: Path, value, sort_keys: bool = False) -> None:
    """`ssl_keras.experiments.write_json` (atomic: a run killed while writing never leaves
    a truncated file), with any value JSON cannot represent written as its `str`."""
    # Imported here: it imports keras, which the `--backends` driver must not.
    from ssl_keras.experiments.pretrain import write_json as write_json_atomically

    write_json_atomically(path, value, sort_keys=sort_keys, default=str)


def machine() -> dict:
    """What the numbers were measured on (versions, CPU, accelerator, load)."""
    import keras

    info = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "accelerator": accelerator_name(),
    }
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        info["jax"] = jax.__version__
    elif backend == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    elif backend == "torch":
        import torch

        info["torch"] = torch.__version__
    return info


def accelerator_name() -> str:
    """Name of the first GPU the current backend sees, or "cpu"."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            return "cpu" if device.platform == "cpu" else device.device_kind
        if backend == "torch":
            import torch

            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
    except Exception:  # a description, never a reason to fail a benchmark
        pass
    return "cpu"


def peak_tflops(precision: str, override: float | None = None) -> float | None:
    if override:
        return override
    name = accelerator_name()
    for key, peaks in PEAK_TFLOPS.items():
        if key in name:
            return peaks.get(precision)
    return None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def time_steps(step, synchronize, warmup: int, steps: int) -> dict:
    """Median (and spread) of the wall time of `step()`, after `warmup` untimed calls.

    `synchronize(result)` must block until the work of that step is done (asynchronous
    dispatch on jax, torch CUDA and tf would otherwise time only the launch).
    """
    for _ in range(warmup):
        synchronize(step())
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        synchronize(step())
        times.append(time.perf_counter() - start)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "steps": steps,
        "warmup": warmup,
    }


def synchronizer():
    """A function that blocks on a backend value (tensor, nested structure, float)."""
    import keras

    backend = keras.backend.backend()

    def sync(value):
        if value is None:
            return
        if backend == "jax":
            import jax

            jax.block_until_ready(value)
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                torch.cuda.synchronize()
        else:
            import tensorflow as tf

            for leaf in tf.nest.flatten(value):
                if hasattr(leaf, "numpy"):
                    leaf.numpy()

    return sync


def format_table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A Markdown table of `rows` with `columns` = [(key, header), ...]."""

    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = [
        "| " + " | ".join(header for _, header in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(key)) for key, _ in columns) + " |")
    return "\n".join(lines)
