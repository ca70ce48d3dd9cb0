"""Why the CIFAR-10 pretext table differs from the course: the probe and the input colour.

The course claims ~28% linear probe for a random encoder and ~45% for colorization on
CIFAR-10; the measured table (benchmarks/RESULTS.md, "Course-scale CIFAR-10") gives ~51%
and ~50%. This script measures, on a seeded random subset of CIFAR-10, the same small CNN:

- at random init, probed on colour and on grayscale images;
- after colorization training (gray input, colour target, `--epochs` epochs), probed on
  colour images (what `compare_pretext_tasks` does) and on the grayscale images it was
  trained on (what Zhang et al. do: their network only ever sees the L channel);

each with a linear probe on standardised features (the library's protocol) and on raw
features, and a weighted kNN (k=200, T=0.1).

Usage (about 35 minutes on the 2-core CPU machine with jax):
    KERAS_BACKEND=jax python benchmarks/pretext_probe_variants.py --data-dir /tmp/cifar

Writes benchmarks/results/pretext_probe_variants_<backend>.json.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--train-limit", type=int, default=10_000)
    parser.add_argument("--test-limit", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=3, help="colorization epochs")
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--probe-epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    import keras
    import numpy as np

    from ssl_keras import evaluation
    from ssl_keras.data import load_dataset
    from ssl_keras.models import small_cnn_encoder
    from ssl_keras.pretext import Colorization, colorization_dataset
    from ssl_keras.pretext.colorization import rgb_to_grayscale

    ((x_train, y_train), (x_test, y_test)), _ = load_dataset("cifar10", path=args.data_dir)
    rng = np.random.default_rng(args.seed)
    train = np.sort(rng.permutation(len(x_train))[: args.train_limit])
    test = np.sort(rng.permutation(len(x_test))[: args.test_limit])
    x_train, y_train, x_test, y_test = x_train[train], y_train[train], x_test[test], y_test[test]
    inputs = {"colour": (x_train, x_test),
              "gray": (rgb_to_grayscale(x_train), rgb_to_grayscale(x_test))}
    results = {}

    def judge(name, encoder):
        for colour, (images, test_images) in inputs.items():
            features = evaluation.extract_features(encoder, images, verbose=0)
            test_features = evaluation.extract_features(encoder, test_images, verbose=0)
            row = {}
            for standardize in (True, False):
                probe = evaluation.linear_probe(
                    features, y_train, test_features, y_test, epochs=args.probe_epochs,
                    standardize=standardize, seed=args.seed, verbose=0)
                row["probe_standardised" if standardize else "probe_raw"] = float(
                    probe.accuracy)
            row["knn"] = float(evaluation.knn_accuracy(features, y_train, test_features,
                                                       y_test, k=200))
            results[f"{name}, {colour} input"] = row
            print(f"{name}, {colour} input: " + ", ".join(
                f"{key} {value:.1%}" for key, value in row.items()), flush=True)

    keras.utils.set_random_seed(args.seed)
    encoder = small_cnn_encoder(x_train.shape[1:], width=args.width)
    judge("random init", encoder)
    model = Colorization(encoder, decoder_filters=(2 * args.width, args.width,
                                                   max(1, args.width // 2)))
    gray, targets = colorization_dataset(x_train)
    steps = args.epochs * int(np.ceil(len(x_train) / 256))
    model.compile(optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(1e-3, steps)))
    start = time.perf_counter()
    history = model.fit(gray, targets, batch_size=256, epochs=args.epochs, verbose=2)
    train_time = time.perf_counter() - start
    judge("colorization", encoder)
    payload = {
        "benchmark": "pretext_probe_variants",
        "machine": _common.machine(),
        "command": "python benchmarks/pretext_probe_variants.py " + " ".join(argv),
        "settings": vars(args),
        "data": {"train": int(len(x_train)), "test": int(len(x_test)),
                 "source": "CIFAR-10 from --data-dir (the course's JPEG copy here)"},
        "colorization": {"train_time_s": round(train_time, 1),
                         "loss": [float(v) for v in history.history["loss"]]},
        "results": results,
    }
    path = _common.write_result("pretext_probe_variants", keras.backend.backend(), payload)
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
