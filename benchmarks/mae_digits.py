"""Small masked autoencoder on the embedded digits: reconstructions and linear probe.

Trains `ssl_keras.foundation.MaskedAutoencoder` (16x16 images, 4x4 patches, 75% masking)
on the training digits with `model.fit`, under a wall-clock budget, then
- writes the reconstructions of test digits at 25/50/75/90% masking (PNG);
- reports the linear-probe accuracy (`ssl_keras.evaluation.linear_probe`) of the
  encoder's features (class token and mean of patch tokens) after pre-training, against
  the same encoder at its random initialisation (same seed, same architecture), plus
  the weighted kNN accuracy (k=20, T=0.07).

Usage (about 4 minutes on 2 busy CPU cores):
    KERAS_BACKEND=jax python benchmarks/mae_digits.py [--epochs 60] [--time-budget 130]
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
from ssl_keras.evaluation import knn_accuracy, linear_probe  # noqa: E402
from ssl_keras.foundation import (  # noqa: E402
    MaskedAutoencoder,
    plot_mae_reconstructions,
    vit_features,
)


class TimeBudget(keras.callbacks.Callback):
    """Stops training once `seconds` of training time have passed."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.start = None
        self.epochs_run = 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run = epoch + 1
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True


def build_model(args):
    keras.utils.set_random_seed(args.seed)  # same initial weights for both models
    return MaskedAutoencoder(
        image_shape=(16, 16, 3),
        patch_size=4,
        hidden_dim=args.hidden_dim,
        num_layers=args.num_layers,
        num_heads=4,
        decoder_hidden_dim=args.decoder_hidden_dim,
        decoder_num_layers=args.decoder_num_layers,
        decoder_num_heads=4,
        mask_ratio=args.mask_ratio,
        norm_pix_loss=args.norm_pix_loss,
        seed=args.seed,
    )


def evaluate(model, x_train, y_train, x_test, y_test, seed):
    results = {}
    for pooling in ("cls", "mean"):
        train = vit_features(model.token_encoder, x_train, pooling=pooling, batch_size=256)
        test = vit_features(model.token_encoder, x_test, pooling=pooling, batch_size=256)
        probe = linear_probe(train, y_train, test, y_test, epochs=100, seed=seed, verbose=0)
        results[f"linear_probe_{pooling}"] = round(probe.accuracy, 4)
        results[f"knn_{pooling}"] = round(
            knn_accuracy(train, y_train, test, y_test, k=20, temperature=0.07), 4
        )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--time-budget", type=float, default=130.0, help="training seconds")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--hidden-dim", type=int, default=64)
    parser.add_argument("--num-layers", type=int, default=4)
    parser.add_argument("--decoder-hidden-dim", type=int, default=32)
    parser.add_argument("--decoder-num-layers", type=int, default=2)
    parser.add_argument("--mask-ratio", type=float, default=0.75)
    parser.add_argument("--norm-pix-loss", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="benchmarks/results/mae_digits_reconstructions.png")
    parser.add_argument("--output", default=None, help="optional JSON file for the figures")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_digits(seed=args.seed)
    random_model = build_model(args)
    baseline = evaluate(random_model, x_train, y_train, x_test, y_test, args.seed)

    model = build_model(args)
    steps = args.epochs * int(np.ceil(len(x_train) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=max(steps - steps // 10, 1),
        warmup_target=args.learning_rate,
        warmup_steps=steps // 10,
    )
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay, beta_2=0.95)
    model.compile(optimizer=optimizer)
    budget = TimeBudget(args.time_budget)
    start = time.perf_counter()
    history = model.fit(
        x_train, batch_size=args.batch_size, epochs=args.epochs, callbacks=[budget], verbose=2
    )
    train_seconds = time.perf_counter() - start
    test_loss = float(model.evaluate(x_test, batch_size=256, verbose=0, return_dict=True)["loss"])
    pretrained = evaluate(model, x_train, y_train, x_test, y_test, args.seed)
    plot_mae_reconstructions(model, x_test[:8], path=args.plot)

    figures = {
        "backend": keras.backend.backend(),
        "epochs_run": budget.epochs_run,
        "train_seconds": round(train_seconds, 1),
        "final_train_loss": round(history.history["loss"][-1], 5),
        "test_masked_mse": round(test_loss, 5),
        "random_init": baseline,
        "mae": pretrained,
        "plot": args.plot,
        "args": vars(args),
    }
    print(json.dumps(figures, indent=2))
    # The foundation_models notebook states these figures: keep them with the machine.
    _common.write_result(name_of_result(args), figures["backend"], {
        **figures, "machine": _common.machine(),
        "command": "python benchmarks/mae_digits.py " + " ".join(sys.argv[1:])})
    if args.output:
        with open(args.output, "w") as file:
            json.dump(figures, file, indent=2)
    return figures


def name_of_result(args) -> str:
    return "mae_digits" + ("_norm_pix" if getattr(args, "norm_pix_loss", False) else "")


if __name__ == "__main__":
    main()
