"""The course's comparison table: random init, rotation, jigsaw, colorization, SimCLR, supervised.

Trains the same small CNN (fresh copy per method, same seed) with each method, freezes it,
and reports the test accuracy of a linear probe and of a weighted kNN classifier on its
features (`ssl_keras.experiments.compare_pretext_tasks`). Prints the Markdown table and writes
`results.json` (results, settings, backend, times) and `comparison.png` (bar plot) to
`--out`; a run on the whole training set also writes
`benchmarks/results/pretext_comparison_<dataset>_<backend>.json`.

Nothing is lost on failure: each method's result is kept in `--out/partial.json` as soon
as it is measured, and the same command run again skips the methods already done (every
method starts from the same seeded weights, so running them apart changes nothing).

Usage:
    # Embedded digits (16x16, 1,258 training images), about 3 minutes on 2 idle CPU
    # cores with JAX (the torch backend is several times slower on CPU here); figures in
    # benchmarks/RESULTS.md:
    KERAS_BACKEND=jax python benchmarks/pretext_comparison.py --dataset digits \
        --epochs 20 --width 16 --learning-rate 2e-3 --out runs/pretext_digits
    # CIFAR-10, the course's setting (width 64; a GPU is advised):
    python benchmarks/pretext_comparison.py --dataset cifar10 --data-dir DIR \
        --epochs 10 --width 64 --batch-size 256 --learning-rate 1e-3 --out runs/pretext_cifar10
"""

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

from ssl_keras.experiments.pretext_comparison import (  # noqa: E402
    METHODS,
    compare_pretext_tasks,
    format_comparison_table,
    plot_comparison,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("digits", "cifar10"), default="digits")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding CIFAR-10's cifar-10-batches-py (cifar10 only)")
    parser.add_argument("--epochs", type=int, default=20, help="training epochs per method")
    parser.add_argument("--probe-epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--width", type=int, default=16,
                        help="channels of the small CNN's first block (the course: 64)")
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--rotation-mode", choices=("random", "all"), default="random")
    parser.add_argument("--train-limit", type=int, default=None,
                        help="use at most this many training images")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2,
                        help="fit's verbosity (2: one line per epoch)")
    parser.add_argument("--out", default="runs/pretext_comparison")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    settings = {key: value for key, value in vars(args).items()
                if key not in ("methods", "out", "verbose")}
    partial_path = out / "partial.json"
    partial = _common.read_json(partial_path, {})
    if partial.get("settings", settings) != settings:
        raise SystemExit(f"{out} holds a run with other settings; pass another --out or "
                         "delete it")
    done = partial.setdefault("results", {})
    for method in args.methods:
        if method in done:
            logging.info("[%s] done in an earlier run", method)
            continue
        done.update(compare_pretext_tasks(
            args.dataset, epochs=args.epochs, methods=[method],
            probe_epochs=args.probe_epochs, batch_size=args.batch_size, width=args.width,
            learning_rate=args.learning_rate, rotation_mode=args.rotation_mode,
            data_dir=args.data_dir, train_limit=args.train_limit, seed=args.seed,
            verbose=args.verbose,
        ))
        partial["settings"] = settings
        _common.write_json(partial_path, partial)
    results = {method: done[method] for method in args.methods}
    wall_time = time.perf_counter() - start
    table = format_comparison_table(results, course_reference=args.dataset == "cifar10")
    record = {
        "results": results,
        "settings": vars(args),
        "backend": keras.backend.backend(),
        "keras_version": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "wall_time_s": round(wall_time, 1),
        "table": table,
    }
    (out / "results.json").write_text(json.dumps(record, indent=2))
    if args.train_limit is None:  # a full run: kept with the benchmarks' results
        record["machine"] = _common.machine()
        record["command"] = "python benchmarks/pretext_comparison.py " + " ".join(
            sys.argv[1:] if argv is None else argv)
        record["data"] = (
            "CIFAR-10, the course's JPEG copy (../shared/data/cifar10/build.py) if --data-dir "
            "points at it" if args.dataset == "cifar10" else "the embedded digits")
        _common.write_result(f"pretext_comparison_{args.dataset}", record["backend"], record)
    plot_comparison(results, path=out / "comparison.png",
                    title=f"{args.dataset}: linear probe and kNN test accuracy")
    print(table)
    print(f"\nbackend={record['backend']} dataset={args.dataset} epochs={args.epochs} "
          f"width={args.width} wall_time={wall_time:.0f}s -> {out}")
    return record


if __name__ == "__main__":
    main()
