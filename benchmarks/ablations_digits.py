"""SimCLR's ablations on the embedded digits: the figures the `ablations` notebook states.

    nice python benchmarks/ablations_digits.py            # every ablation, BUDGET
    nice python benchmarks/ablations_digits.py --fast     # FAST_BUDGET (a smoke test)

Runs the five ablations of `ssl_keras.experiments.ablations` (the loss and the L2 norm,
temperature x norm, the projection head, the batch size, MoCo against SimCLR) with the
notebook's budget and writes `benchmarks/results/ablations_digits_<backend>.json` (rows,
budget, command, machine, wall time). Resumable: the ablations already in the file are kept.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="the notebook's FAST budget")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import dataclasses

    import keras

    import ssl_keras
    from ssl_keras.experiments import ablations

    budget = ablations.FAST_BUDGET if args.fast else ablations.BUDGET
    name = "ablations_digits" + ("_fast" if args.fast else "")
    path = _common.result_path(name, keras.backend.backend())
    record = _common.read_json(path, {"results": {}, "seconds": {}})
    if record.get("budget") not in (None, dataclasses.asdict(budget)):
        record = {"results": {}, "seconds": {}}
    (x_train, y_train), (x_test, y_test) = ssl_keras.load_digits(seed=args.seed)
    if "random_init" not in record:
        # The floor every row should be read against: the same encoder, never trained.
        record["random_init"] = _random_init(ablations, budget, x_train, y_train, x_test,
                                             y_test, args.seed)
        _common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        _common.write_json(path, record, sort_keys=True)
        print("random init: linear probe {linear_probe:.3f}, kNN {knn:.3f}".format(
            **record["random_init"]))
    cache = {}
    for ablation, settings in ablations.ABLATIONS.items():
        if ablation in record["results"]:
            continue
        started = time.perf_counter()
        rows = budget.run(settings, x_train, y_train, x_test, y_test, seed=args.seed,
                          projection_features=ablation == "head", cache=cache)
        record["results"][ablation] = rows
        record["seconds"][ablation] = round(time.perf_counter() - started, 1)
        record.update({
            "budget": dataclasses.asdict(budget),
            "seed": args.seed,
            "wall_seconds": round(sum(record["seconds"].values()), 1),
            "command": "nice python benchmarks/ablations_digits.py " + " ".join(sys.argv[1:]),
            "machine": _common.machine(),
        })
        _common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        _common.write_json(path, record, sort_keys=True)
        print(f"{ablation} ({record['seconds'][ablation]} s)")
        print(ablations.format_ablation_table(rows))
    return record


def _random_init(ablations, budget, x_train, y_train, x_test, y_test, seed) -> dict:
    """Linear probe and kNN of the ablations' encoder at its initial weights."""
    from ssl_keras.evaluation import extract_features, knn_accuracy, linear_probe

    if budget.train_limit is not None:
        x_train, y_train = x_train[:budget.train_limit], y_train[:budget.train_limit]
    model = ablations.build_model(ablations.LOSS_TABLE[0], x_train.shape[1:],
                                  width=budget.width, seed=seed,
                                  standardize=budget.standardize)
    model.build((None, *x_train.shape[1:]))
    train = extract_features(model.encoder, x_train, verbose=0)
    test = extract_features(model.encoder, x_test, verbose=0)
    probe = linear_probe(train, y_train, test, y_test, epochs=budget.probe_epochs, seed=seed,
                         verbose=0)
    return {"linear_probe": float(probe.accuracy),
            "knn": float(knn_accuracy(train, y_train, test, y_test, k=20))}


if __name__ == "__main__":
    main()
