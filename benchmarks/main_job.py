"""The main job, `ssl-keras pretrain`, with its metrics kept among the benchmarks' results.

Runs `ssl_keras.cli` with the given arguments (the embedded digits by default: the
README's first command) and copies the job's `metrics.json`, with the machine and the
command, to `benchmarks/results/main_job_<dataset>_<backend>.json`, from which the
`simclr` notebook takes the figures it states for the digits preset.

Usage:
    KERAS_BACKEND=jax python benchmarks/main_job.py --out runs/pretrain
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    import keras

    from ssl_keras import cli

    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("runs/pretrain")
    start = time.perf_counter()
    status = cli.main(["pretrain", *argv])
    if status:
        return status
    metrics = json.loads((out / "metrics.json").read_text())
    payload = {
        "benchmark": "main_job",
        "machine": _common.machine(),
        "command": "python benchmarks/main_job.py " + " ".join(argv),
        "wall_time_s": round(time.perf_counter() - start, 1),
        "metrics": metrics,
    }
    path = _common.write_result(f"main_job_{metrics['dataset']}", keras.backend.backend(),
                                payload)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
