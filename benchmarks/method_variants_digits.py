"""One method on the digits preset with one change of heads, optimiser or BatchNorm use:
why BYOL, SimSiam and MoCo fall behind random init in the method comparison.

    KERAS_BACKEND=jax nice python benchmarks/method_variants_digits.py simsiam sgd
    KERAS_BACKEND=jax nice python benchmarks/method_variants_digits.py moco keys_inference

The setting is `ssl-keras compare --dataset digits`'s (the main job's `digits` preset: the
small CNN, SimCLR's views with crops of 30-100%, batch 128, 40 epochs), with the changes
the VARIANT names, joined by `+`:

- `default`: nothing changed (AdamW 2e-3, warm-up and cosine decay; the method's heads);
- `sgd`: the SimSiam/BYOL papers' optimiser: SGD, learning rate 0.05 x batch / 256,
  momentum 0.9, weight decay 5e-4, cosine decay;
- `bn_output`: BatchNorm (no scale or offset) on the projector's output, as the SimSiam
  paper's CIFAR projector;
- `small_heads`: projector 256 -> 256 and predictor 64 -> 256 (the defaults are 512 wide);
- `keys_inference`: MoCo only, `MoCo(key_encoder_training=False)`: the key encoder runs in
  inference mode (its moving BatchNorm statistics), so the keys carry no statistics of the
  batch the queries share;
- `target_momentum_0.99`: BYOL or DINO with a base target momentum of 0.99 instead of
  0.996 (still rising to 1 on the cosine schedule): over a few hundred steps a target
  averaged at 0.996 keeps a large share of its random initialisation (0.996^360 = 24%);
  solo-learn's CIFAR configurations of BYOL start at 0.99;
- `raw_pixels`: the encoder without the preset's per-image standardization (the setting
  of the comparison before 2026-12-01; records without `standardize_images` are of it).

The training is the main job's own, `ssl_keras.experiments.train_method`; the changes are
its arguments (`optimizer=`, `projector=`, `predictor=`, `key_encoder_training=`). Each run
appends one line (weighted kNN with k=20 on the frozen encoder, the last epoch's
`ssl_loss` and `embedding_std`, the time `train_method` took, machine) to
`benchmarks/results/method_variants_digits_<backend>.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import keras

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, machine  # noqa: E402

VARIANTS = ("default", "sgd", "bn_output", "small_heads", "keys_inference",
            "target_momentum_0.99", "raw_pixels")


def _head(hidden, output_dim, batch_norm_output, name):
    from ssl_keras.layers import ProjectionHead

    if not batch_norm_output:
        return ProjectionHead(hidden_dims=hidden, output_dim=output_dim, name=name)
    head = ProjectionHead(hidden_dims=hidden, output_dim=output_dim, name=f"{name}_mlp")
    return keras.Sequential(
        [head, keras.layers.BatchNormalization(center=False, scale=False)], name=name)


def variant_options(method: str, changes: set[str], config, num_train: int) -> dict:
    """`train_method`'s arguments for the changes: heads, optimizer, key BatchNorm mode."""
    options = {}
    if changes & {"bn_output", "small_heads"}:
        if method not in ("simsiam", "byol"):
            raise ValueError("bn_output and small_heads are for simsiam and byol")
        width, predictor_hidden = (256, 64) if "small_heads" in changes else (512, 128)
        projector_hidden = (width,) if "small_heads" in changes else (512, 512)
        options["projector"] = _head(projector_hidden, width, "bn_output" in changes,
                                     "projector")
        options["predictor"] = _head((predictor_hidden,), width, False, "predictor")
    if "keys_inference" in changes:
        if method != "moco":
            raise ValueError("keys_inference is for moco")
        options["key_encoder_training"] = False
    if "target_momentum_0.99" in changes:
        if method not in ("byol", "dino"):
            raise ValueError("target_momentum_0.99 is for byol and dino")
        options["base_momentum"] = 0.99
    if "sgd" in changes:
        steps = (num_train // config.batch_size) * config.epochs
        schedule = keras.optimizers.schedules.CosineDecay(0.05 * config.batch_size / 256, steps)
        options["optimizer"] = keras.optimizers.SGD(schedule, momentum=0.9, weight_decay=5e-4)
    return options


def run(method: str, changes: set[str], epochs: int | None = None) -> dict:
    from ssl_keras.evaluation import extract_features, knn_accuracy, linear_probe
    from ssl_keras.experiments.pretrain import config_for, load_data, train_method

    config = config_for("digits", method=method, epochs=epochs,
                        standardize_images=False if "raw_pixels" in changes else None)
    ((x_train, y_train), (x_test, y_test)), _ = load_data(config)
    options = variant_options(method, changes, config, len(x_train))
    start = time.perf_counter()
    model, history = train_method(config, x_train, verbose=0, **options)
    seconds = time.perf_counter() - start
    history = history.history
    train = extract_features(model.encoder, x_train, verbose=0)
    test = extract_features(model.encoder, x_test, verbose=0)
    accuracy = knn_accuracy(train, y_train, test, y_test, k=config.knn_k)
    probe = linear_probe(train, y_train, test, y_test, num_classes=10,
                         epochs=config.probe_epochs, seed=config.seed, verbose=0)
    return {"method": method, "variant": "+".join(sorted(changes)), "epochs": config.epochs,
            "standardize_images": config.standardize_images,
            "knn_accuracy": round(float(accuracy), 4),
            "linear_probe_accuracy": round(float(probe.accuracy), 4),
            "embedding_std": round(float(history["embedding_std"][-1]), 4),
            "ssl_loss": round(float(history["ssl_loss"][-1]), 4),
            "train_time_s": round(seconds, 1)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("method", choices=("moco", "byol", "simsiam", "barlow_twins",
                                           "vicreg", "simclr", "dino"))
    parser.add_argument("variant", help=f"changes joined by '+': {', '.join(VARIANTS)}")
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's 40")
    args = parser.parse_args(argv)
    changes = set(args.variant.split("+")) - {"default"}
    unknown = changes - set(VARIANTS)
    if unknown:
        parser.error(f"unknown change(s) {sorted(unknown)}; choose from {VARIANTS}")
    record = run(args.method, changes, args.epochs)
    record["command"] = "python benchmarks/method_variants_digits.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    record["machine"] = machine()
    print(json.dumps(record))
    path = RESULTS_DIR / f"method_variants_digits_{keras.backend.backend()}.jsonl"
    with path.open("a") as file:
        file.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
