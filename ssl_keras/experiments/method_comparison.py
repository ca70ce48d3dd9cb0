"""The methods side by side: every method trains the same encoder with the same budget.

`compare_methods(config, methods)` trains, for each method of `ssl_keras.models.METHODS`
(SimCLR, MoCo, BYOL, SimSiam, Barlow Twins, VICReg), a fresh copy of the encoder of
`config` from the same initial weights, on the same views (`SimCLRAugmentation` with the
config's crop scale), with the same optimizer, batch size and number of epochs
(`train_method`); then judges the frozen encoder as the main job does (linear probe,
weighted kNN, t-SNE) beside the same encoder at random initialisation. Every finished
method is kept in `OUT/partial.json` at once, so an interrupted run resumes where it
stopped when the same command is run again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import keras

from ssl_keras.experiments.pretrain import (
    PretrainConfig,
    build_encoder,
    evaluate_encoder,
    load_data,
    train_method,
    write_json,
)
from ssl_keras.validation import check_one_of

logger = logging.getLogger(__name__)

BASELINE = "random_init"
# The settings that make two runs comparable: a folder holding another run is refused.
_SETTINGS = ("dataset", "encoder", "width", "epochs", "batch_size", "learning_rate",
             "weight_decay", "temperature", "probe_epochs", "knn_k", "train_limit",
             "image_size", "crop_min_scale", "seed")


def compare_methods(config: PretrainConfig, methods=None, resume: bool = True) -> dict:
    """Trains every method with the same encoder and budget; returns and writes the table.

    Args:
        config: the job's settings (`config_for(dataset, ...)`); `config.method` is
            ignored, `config.out` is the output folder.
        methods: names of `ssl_keras.models.METHODS`, in the table's order; default: all.
        resume: keep the methods already finished in `config.out` (same settings only).

    Returns:
        `{"settings": ..., "order": [names], "results": {name: metrics}}`, where
        `order` (and `results`) starts with `random_init` and each entry holds
        `linear_probe_accuracy`, `knn_accuracy`, `linear_probe_train_accuracy`,
        `feature_dim`, `train_time_s` and `epochs`.
        Writes `comparison.json`, `comparison.md`, `comparison.png` (bars) and
        `tsne_<name>.png` for each row to `config.out`.

    Raises:
        ValueError: for an unknown method, or if `config.out` holds a run with other
            settings and `resume` is true.
    """
    from ssl_keras.models import METHODS

    methods = tuple(METHODS) if methods is None else tuple(methods)
    if not methods:
        raise ValueError("`methods` should name at least one method. Received: methods=()")
    for method in methods:
        check_one_of(method, "method", tuple(METHODS))
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {key: getattr(config, key) for key in _SETTINGS}
    settings["backend"] = keras.backend.backend()
    partial_path = out / "partial.json"
    done = {}
    if resume and partial_path.exists():
        previous = json.loads(partial_path.read_text())
        if previous["settings"] != settings:
            raise ValueError(
                f"{out} holds a comparison with other settings ({previous['settings']}); "
                "pass another output folder, or resume=False to start over"
            )
        done = previous["results"]
        if done:
            logger.info("resuming: %s already done", ", ".join(done))

    data, class_names = load_data(config)
    x_train, y_train = data[0]
    input_shape = tuple(x_train.shape[1:])
    for name in (BASELINE, *methods):
        if name in done:
            continue
        start = time.perf_counter()
        if name == BASELINE:
            keras.utils.set_random_seed(config.seed)  # the weights every method starts from
            encoder, epochs = build_encoder(config, input_shape), 0
            start = time.perf_counter()  # building is not training
        else:
            logger.info("[%s] training: %d epochs, batch %d", name, config.epochs,
                        config.batch_size)
            model, _ = train_method(dataclasses.replace(config, method=name), x_train)
            encoder, epochs = model.encoder, config.epochs
        train_time = time.perf_counter() - start
        metrics = evaluate_encoder(encoder, data, config, class_names, out, name)
        done[name] = {**metrics, "train_time_s": round(train_time, 2), "epochs": epochs}
        logger.info("[%s] linear probe %.4f, kNN %.4f (%.0f s training)", name,
                    metrics["linear_probe_accuracy"], metrics["knn_accuracy"], train_time)
        write_json(partial_path, {"settings": settings, "results": done})

    order = [name for name in (BASELINE, *methods) if name in done]
    record = {"settings": settings, "order": order,
              "results": {name: done[name] for name in order}}
    write_json(out / "comparison.json", record)
    (out / "comparison.md").write_text(format_method_table(record["results"]) + "\n")
    plot_methods(record["results"], out / "comparison.png",
                 title=f"{config.dataset}: same encoder, {config.epochs} epochs each")
    return record


def format_method_table(results: dict) -> str:
    """The comparison as a Markdown table: probe, kNN, training time.

    Example:
    >>> print(format_method_table({"byol": {"linear_probe_accuracy": 0.5,
    ...     "knn_accuracy": 0.25, "train_time_s": 12.0}}))
    | method | linear probe | kNN | training time |
    |---|---|---|---|
    | byol | 50.0% | 25.0% | 12 s |
    """
    lines = ["| method | linear probe | kNN | training time |", "|---|---|---|---|"]
    for name, metrics in results.items():
        lines.append(f"| {name} | {metrics['linear_probe_accuracy']:.1%} | "
                     f"{metrics['knn_accuracy']:.1%} | {metrics['train_time_s']:.0f} s |")
    return "\n".join(lines)


def plot_methods(results: dict, path=None, title: str = "Linear probe and kNN accuracy"):
    """Bars of each method's linear-probe and kNN accuracy (the pretext table's plot)."""
    from ssl_keras.experiments.pretext_comparison import plot_comparison

    return plot_comparison(results, path=path, title=title)
