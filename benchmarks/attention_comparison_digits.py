"""Self-supervised against supervised ViT attention on the embedded digits: the full setting of
Part C of the foundation_models notebook, over several seeds.

Per seed, ViTs of the notebook's architecture (`ssl_keras.foundation.vit_encoder`: 4x4
patches, width 64, 4 blocks, 4 heads) from the same initial weights:
- never trained (the floor);
- SimCLR (`ssl_keras.models.SimCLR`: crops of at least 30% of the digit, CIFAR-strength
  colour jitter, a 256-64 projection head, temperature 0.2; labels never used);
- supervised (a `Dense(10)` on the class token, cross-entropy on the labels);
both trained with the same AdamW schedule (warm-up, cosine decay, weight decay 0.05) for
the same number of steps. `--byol` adds a BYOL ViT (the package's self-distillation method,
the closest to DINO's), `--mae` the notebook's MAE encoder (Part A's full setting), on the
first seed only.

For each model, on all the test digits: the share of the last layer's class-token
attention (`last_block_attention`, `cls_attention_maps`) that falls on the digit
(`attention_mass_inside`, with `bright_object_masks` put on the 4x4 grid by
`patch_mask_fractions`), for the mean map over heads and for the best head, against the
chance level (the mask's area); the kNN accuracy of the class token (k=20, T=0.07); and the
supervised model's test accuracy.

Usage (about 7 minutes a seed, plus 8 for --byol --mae, on 2 busy CPU cores):
    KERAS_BACKEND=jax python benchmarks/attention_comparison_digits.py --byol --mae
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from ssl_keras.data import load_digits  # noqa: E402
from ssl_keras.evaluation import knn_accuracy  # noqa: E402
from ssl_keras.foundation import (  # noqa: E402
    MaskedAutoencoder,
    attention_mass_inside,
    bright_object_masks,
    cls_attention_maps,
    last_block_attention,
    patch_mask_fractions,
    vit_encoder,
)
from ssl_keras.layers import ProjectionHead, SimCLRAugmentation  # noqa: E402
from ssl_keras.models import BYOL, SimCLR  # noqa: E402

GRID = (4, 4)


def schedule(epochs: int, num_images: int, batch_size: int, learning_rate: float):
    steps = epochs * int(np.ceil(num_images / batch_size))
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(steps - steps // 10, 1), warmup_target=learning_rate,
        warmup_steps=steps // 10)


def build_vit(seed: int, args):
    keras.utils.set_random_seed(seed)  # the same initial weights for every objective
    return vit_encoder((16, 16, 3), patch_size=4, hidden_dim=args.hidden_dim,
                       num_layers=args.num_layers, num_heads=4)


def augmentation(seed: int):
    return SimCLRAugmentation(preset="cifar", height=16, width=16, crop_scale=(0.3, 1.0),
                              seed=seed)


def measure(model, images, labels, masks, train_images, train_labels) -> dict:
    maps = np.concatenate([
        cls_attention_maps(last_block_attention(model, images[start:start + 128]), GRID)
        for start in range(0, len(images), 128)])
    on_grid = patch_mask_fractions(masks, GRID)
    mean_map = attention_mass_inside(maps.mean(axis=1), on_grid)
    per_head = attention_mass_inside(maps, np.repeat(on_grid[:, None], maps.shape[1], axis=1))
    train = np.asarray(model.predict(train_images, batch_size=256, verbose=0))
    test = np.asarray(model.predict(images, batch_size=256, verbose=0))
    return {
        "mass_on_digit": round(float(mean_map.mean()), 4),
        "mass_on_digit_per_head": [round(float(v), 4) for v in per_head.mean(axis=0)],
        "mass_on_digit_best_head": round(float(per_head.mean(axis=0).max()), 4),
        "cls_attention_on_patches": round(float(maps.sum(axis=(2, 3)).mean()), 4),
        "knn": round(float(knn_accuracy(train, train_labels, test, labels, k=20,
                                        temperature=0.07)), 4),
    }


def run_seed(seed: int, args, data, with_extras: bool) -> dict:
    (x_train, y_train), (x_test, y_test), masks = data
    fit = dict(batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    results = {"random_init": measure(build_vit(seed, args), x_test, y_test, masks, x_train,
                                      y_train)}
    print(seed, "random_init", results["random_init"], flush=True)

    encoder = build_vit(seed, args)
    simclr = SimCLR(encoder, projection_head=ProjectionHead((256,), 64),
                    augmentation=augmentation(seed), temperature=0.2)
    simclr.compile(optimizer=keras.optimizers.AdamW(
        schedule(args.epochs, len(x_train), args.batch_size, args.learning_rate),
        weight_decay=0.05))
    start = time.perf_counter()
    history = simclr.fit(x_train, **fit)
    results["simclr"] = {**measure(encoder, x_test, y_test, masks, x_train, y_train),
                         "train_seconds": round(time.perf_counter() - start, 1),
                         "final_loss": round(float(history.history["loss"][-1]), 4)}
    print(seed, "simclr", results["simclr"], flush=True)

    encoder = build_vit(seed, args)
    inputs = keras.Input((16, 16, 3))
    classifier = keras.Model(inputs, keras.layers.Dense(10)(encoder(inputs)))
    classifier.compile(
        optimizer=keras.optimizers.AdamW(
            schedule(args.epochs, len(x_train), args.batch_size, args.learning_rate),
            weight_decay=0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    start = time.perf_counter()
    classifier.fit(x_train, y_train, **fit)
    seconds = time.perf_counter() - start
    _, accuracy = classifier.evaluate(x_test, y_test, verbose=0)
    results["supervised"] = {**measure(encoder, x_test, y_test, masks, x_train, y_train),
                             "train_seconds": round(seconds, 1),
                             "test_accuracy": round(float(accuracy), 4)}
    print(seed, "supervised", results["supervised"], flush=True)

    if with_extras and args.byol:
        encoder = build_vit(seed, args)
        steps = args.epochs * int(np.ceil(len(x_train) / args.batch_size))
        byol = BYOL(encoder, projector=ProjectionHead((256,), 64),
                    predictor=ProjectionHead((256,), 64), augmentation=augmentation(seed),
                    base_momentum=0.99, total_steps=steps)
        byol.compile(optimizer=keras.optimizers.AdamW(
            schedule(args.epochs, len(x_train), args.batch_size, args.learning_rate),
            weight_decay=0.05))
        start = time.perf_counter()
        byol.fit(x_train, **fit)
        results["byol"] = {**measure(encoder, x_test, y_test, masks, x_train, y_train),
                           "train_seconds": round(time.perf_counter() - start, 1)}
        print(seed, "byol", results["byol"], flush=True)
    if with_extras and args.mae:
        # Part A's full setting, as the notebook trains it.
        keras.utils.set_random_seed(0)
        mae = MaskedAutoencoder(image_shape=(16, 16, 3), patch_size=4, num_heads=4,
                                decoder_num_heads=4, mask_ratio=0.75, seed=0,
                                hidden_dim=64, num_layers=4, decoder_hidden_dim=32,
                                decoder_num_layers=2)
        steps = 60 * int(np.ceil(len(x_train) / 64))
        mae.compile(optimizer=keras.optimizers.AdamW(keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(steps - steps // 10, 1), warmup_target=1e-3,
            warmup_steps=steps // 10), weight_decay=0.05, beta_2=0.95))
        start = time.perf_counter()
        mae.fit(x_train, batch_size=64, epochs=60, verbose=0)
        seconds = time.perf_counter() - start
        results["mae"] = {**measure(mae.encoder, x_test, y_test, masks, x_train, y_train),
                          "train_seconds": round(seconds, 1)}
        print(seed, "mae", results["mae"], flush=True)
    return results


def summary(per_seed: dict) -> dict:
    out = {}
    methods = {method for results in per_seed.values() for method in results}
    for method in sorted(methods):
        runs = [results[method] for results in per_seed.values() if method in results]
        out[method] = {"seeds": len(runs)}
        for key in ("mass_on_digit", "mass_on_digit_best_head", "knn", "test_accuracy"):
            values = [run[key] for run in runs if key in run]
            if values:
                out[method][key] = {"mean": round(float(np.mean(values)), 4),
                                    "min": round(float(np.min(values)), 4),
                                    "max": round(float(np.max(values)), 4)}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--hidden-dim", type=int, default=64)
    parser.add_argument("--num-layers", type=int, default=4)
    parser.add_argument("--byol", action="store_true", help="a BYOL ViT too (first seed)")
    parser.add_argument("--mae", action="store_true", help="the notebook's MAE too (first seed)")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_digits(seed=0)
    masks = bright_object_masks(x_test)
    chance = float(patch_mask_fractions(masks, GRID).mean())
    data = ((x_train, y_train), (x_test, y_test), masks)
    per_seed = {}
    for index, seed in enumerate(args.seeds):
        per_seed[str(seed)] = run_seed(seed, args, data, with_extras=index == 0)
    record = {
        "backend": keras.backend.backend(),
        "chance": round(chance, 4),
        "test_images": len(x_test),
        "seeds": per_seed,
        "summary": summary(per_seed),
        "args": vars(args),
        "machine": _common.machine(),
        "command": "python benchmarks/attention_comparison_digits.py " + " ".join(
            sys.argv[1:] if argv is None else argv),
    }
    print(json.dumps(record["summary"], indent=2))
    # The foundation_models notebook states these figures: keep them with the machine.
    _common.write_result("attention_comparison_digits", record["backend"], record)
    return record


if __name__ == "__main__":
    main()
