"""The course's SimCLR run on real CIFAR-10, with the baselines beside it, resumable.

The course setting (`ssl_keras.experiments.pretrain` preset `cifar10`): the small CNN (width 64,
256-d), batch 256, AdamW with warm-up and cosine decay, SimCLR's CIFAR augmentation,
10 epochs. Three encoders of the same architecture and initial weights are judged the
same way:

- `simclr`: pretrained with SimCLR on the training images (no labels);
- `random_init`: never trained (the floor);
- `supervised`: the encoder and a `Dense(10)` head trained on the labels with the same
  optimizer, batch and epochs (the ceiling of this budget), no augmentation;
- `supervised_scratch` (opt-in): the same network trained from scratch on only the 1% and
  10% labelled subsets (the supervised baseline of a few-label course question: what the
  labels alone give, without the unlabelled images), same optimizer and batch, for the
  run's epochs and at least `--scratch-min-steps` steps (1,000, the probe's floor: 10
  epochs of 500 images are 20 steps, too few even for BatchNorm's moving statistics,
  and such a network scored 10.0%, chance); judged by its own head's test accuracy.

Each frozen encoder gets a linear probe trained on 1%, 10% and 100% of the training
labels (class-stratified subsets, `ssl_keras.evaluation.stratified_subset`; standardised
features, Adam 1e-2 with cosine decay, `--probe-epochs` epochs and at least
`--probe-min-steps` steps, so the 500-label probe is trained to convergence too), a
weighted kNN (k=200, T=0.1, all labels) and a t-SNE plot of 1,000 test features.
`--monitor-every N` adds a kNN accuracy of the SimCLR encoder every N epochs.

Nothing is lost on failure: training saves its state after every epoch
(`keras.callbacks.BackupAndRestore` in `--out`), every finished stage is kept in
`--out/partial.json`, and running the same command again resumes where it stopped.

Data: the official CIFAR-10 python release (`--data-dir`, else
`$SSL_KERAS_CIFAR10_DIR`, else Keras's download). The course's JPEG copy can be turned
into that folder with `python3 ../shared/data/cifar10/build.py /tmp/cifar`: its pixels
differ slightly from the official release (JPEG), so say so beside any accuracy from it.

Usage:
    # the course run (~20 min per SimCLR epoch with torch on the 2-core CPU; about a
    # minute in all on one GPU):
    python benchmarks/course_accuracy.py --data-dir /tmp/cifar
    # a shorter check, 1 epoch, SimCLR only:
    python benchmarks/course_accuracy.py --data-dir /tmp/cifar --epochs 1 --encoders simclr
    # with the supervised network trained on the 1% and 10% subsets only, too:
    python benchmarks/course_accuracy.py --data-dir /tmp/cifar \
        --encoders simclr random_init supervised supervised_scratch
    # a variant of the defaults (written under its own tag):
    python benchmarks/course_accuracy.py --data-dir /tmp/cifar --temperature 0.2 --tag t0.2
    # ResNet-18, longer budget, GPU:
    python benchmarks/course_accuracy.py --data-dir /tmp/cifar --model resnet18 --epochs 100

Writes benchmarks/results/course_accuracy_<model>[_<tag>]_<backend>.json and, in `--out`,
the t-SNE plots and the per-epoch history.
"""

import argparse
import dataclasses
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

ENCODERS = ("simclr", "random_init", "supervised", "supervised_scratch")
DEFAULT_ENCODERS = ENCODERS[:3]
LABEL_FRACTIONS = (0.01, 0.1, 1.0)
COLUMNS = [
    ("encoder", "encoder"), ("probe_1", "probe 1%"), ("probe_10", "probe 10%"),
    ("probe_100", "probe 100%"), ("knn", "kNN"), ("head", "own head"),
    ("train_time_s", "training (s)"),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--model", choices=["small_cnn", "resnet18"], default="small_cnn")
    parser.add_argument("--encoders", nargs="+", choices=ENCODERS,
                        default=list(DEFAULT_ENCODERS))
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's (10)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--weight-decay", type=float, default=None)
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--crop-min-scale", type=float, default=None)
    parser.add_argument("--train-limit", type=int, default=None)
    parser.add_argument("--test-limit", type=int, default=None)
    parser.add_argument("--probe-epochs", type=int, default=None)
    parser.add_argument("--probe-min-steps", type=int, default=1000)
    parser.add_argument("--knn-k", type=int, default=None)
    parser.add_argument("--scratch-min-steps", type=int, default=1000,
                        help="supervised_scratch trains at least this many steps")
    parser.add_argument("--monitor-every", type=int, default=0,
                        help="kNN of the SimCLR encoder every N epochs (0: only at the end)")
    parser.add_argument("--tsne-points", type=int, default=1000)
    parser.add_argument("--jit-compile", default="auto", choices=["auto", "true", "false"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tag", default="", help="suffix of the result file's name")
    parser.add_argument("--out", default=None,
                        help="work folder (checkpoints, plots); default runs/course_<name>")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2,
                        help="1: a progress bar per epoch; 0 and 2: one line per epoch")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "train_limit", "test_limit", "probe_epochs",
                 "knn_k", "tsne_points", "probe_min_steps", "scratch_min_steps"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f"--{name.replace('_', '-')} should be a positive integer, got {value}")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import keras
    import numpy as np

    from ssl_keras import evaluation
    from ssl_keras.data import load_dataset
    from ssl_keras.experiments.pretrain import build_encoder, config_for, train_simclr

    config = config_for(
        "cifar10", data_dir=args.data_dir, encoder=args.model, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate,
        weight_decay=args.weight_decay, temperature=args.temperature,
        crop_min_scale=args.crop_min_scale, train_limit=args.train_limit,
        probe_epochs=args.probe_epochs, knn_k=args.knn_k, seed=args.seed,
        verbose=args.verbose,
    )
    name = f"course_accuracy_{args.model}" + (f"_{args.tag}" if args.tag else "")
    backend = keras.backend.backend()
    out = Path(args.out or f"runs/{name}_{backend}")
    out.mkdir(parents=True, exist_ok=True)
    partial_path = out / "partial.json"
    partial = _common.read_json(partial_path, {})
    if partial.get("settings") not in (None, _settings(args, config)):
        raise SystemExit(f"{out} holds a run with other settings; pass another --out or "
                         "delete it")
    partial["settings"] = _settings(args, config)

    def save_partial():
        _common.write_json(partial_path, partial, sort_keys=True)

    ((x_train, y_train), (x_test, y_test)), class_names = load_dataset(
        "cifar10", path=config.data_dir
    )
    # The JPEG copy's test images are sorted by class: limits take seeded random subsets.
    if config.train_limit:
        x_train, y_train = _random_subset(x_train, y_train, config.train_limit, config.seed)
    if args.test_limit:
        x_test, y_test = _random_subset(x_test, y_test, args.test_limit, config.seed)
    print(f"CIFAR-10: {len(x_train)} training, {len(x_test)} test images; {config.encoder}, "
          f"batch {config.batch_size}, {config.epochs} epochs, temperature "
          f"{config.temperature}, lr {config.learning_rate}, crop >= {config.crop_min_scale}, "
          f"backend {backend}; work folder {out}", flush=True)
    subsets = {fraction: evaluation.stratified_subset(y_train, fraction, seed=config.seed)
               for fraction in LABEL_FRACTIONS}

    def judge(tag, encoder):
        start = time.perf_counter()
        train = evaluation.extract_features(encoder, x_train, verbose=0)
        test = evaluation.extract_features(encoder, x_test, verbose=0)
        probes = {}
        for fraction, indices in subsets.items():
            steps_per_epoch = math.ceil(len(indices) / 256)
            epochs = max(config.probe_epochs, math.ceil(args.probe_min_steps / steps_per_epoch))
            result = evaluation.linear_probe(
                train[indices], y_train[indices], test, y_test, num_classes=len(class_names),
                epochs=epochs, seed=config.seed, verbose=0)
            probes[f"{fraction:g}"] = {"accuracy": float(result.accuracy),
                                       "train_accuracy": float(result.train_accuracy),
                                       "labels": int(len(indices)), "epochs": epochs}
        knn = evaluation.knn_accuracy(train, y_train, test, y_test, k=config.knn_k)
        evaluation.plot_tsne(test, y_test, path=out / f"tsne_{tag}.png",
                             class_names=class_names, seed=config.seed,
                             max_points=args.tsne_points,
                             title=f"t-SNE of {tag} features, CIFAR-10 test (JPEG copy)")
        metrics = {"linear_probe": probes, "knn": float(knn),
                   "eval_time_s": round(time.perf_counter() - start, 1)}
        print(f"[{tag}] probe " + ", ".join(
            f"{float(f):.0%} labels {p['accuracy']:.1%}" for f, p in probes.items())
            + f"; kNN {knn:.1%}", flush=True)
        return metrics

    history_path = out / "history.json"

    class EpochLog(keras.callbacks.Callback):
        """Per-epoch logs and wall time, appended to history.json (kept across resumes)."""

        def __init__(self, tag, encoder=None):
            super().__init__()
            self.tag, self.encoder = tag, encoder
            self.history = _common.read_json(history_path, {})

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1, "time_s": round(time.perf_counter() - self.start, 2),
                   **{k: float(v) for k, v in (logs or {}).items()}}
            if (self.encoder is not None and args.monitor_every
                    and (epoch + 1) % args.monitor_every == 0):
                train = evaluation.extract_features(self.encoder, x_train, verbose=0)
                test = evaluation.extract_features(self.encoder, x_test, verbose=0)
                row["knn"] = float(evaluation.knn_accuracy(train, y_train, test, y_test,
                                                           k=config.knn_k))
            rows = [r for r in self.history.get(self.tag, []) if r["epoch"] != epoch + 1]
            self.history[self.tag] = rows + [row]
            _common.write_json(history_path, self.history, sort_keys=True)
            print(f"[{self.tag}] epoch {epoch + 1}/{config.epochs}: "
                  + ", ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch"),
                  flush=True)

    def train_time(tag):
        history = _common.read_json(history_path, {})
        return round(sum(row["time_s"] for row in history.get(tag, [])), 1)

    def supervised_from_scratch():
        """The network trained on each labelled subset only (< 100%), judged by its head."""
        from ssl_keras.experiments.pretrain import make_optimizer

        results = partial.get("supervised_scratch_subsets", {})
        for fraction, indices in subsets.items():
            if fraction >= 1 or f"{fraction:g}" in results:
                continue
            keras.utils.set_random_seed(config.seed)
            encoder = build_encoder(config, x_train.shape[1:])
            outputs = keras.layers.Dense(len(class_names), name="classifier")(encoder.output)
            classifier = keras.Model(encoder.input, outputs, name="supervised_scratch")
            batch_size = min(config.batch_size, len(indices))
            steps_per_epoch = math.ceil(len(indices) / batch_size)
            epochs = max(config.epochs, math.ceil(args.scratch_min_steps / steps_per_epoch))
            classifier.compile(
                optimizer=make_optimizer(dataclasses.replace(config, epochs=epochs),
                                         steps_per_epoch * config.batch_size),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"], jit_compile=_jit(args))
            start = time.perf_counter()
            history = classifier.fit(x_train[indices], y_train[indices], batch_size=batch_size,
                                     epochs=epochs, shuffle=True,
                                     verbose=int(args.verbose == 1))
            logits = classifier.predict(x_test, batch_size=512, verbose=0)
            accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
            results[f"{fraction:g}"] = {
                "head_accuracy": accuracy, "labels": int(len(indices)),
                "steps": steps_per_epoch * epochs, "epochs": epochs,
                "train_accuracy": float(history.history["accuracy"][-1]),
                "time_s": round(time.perf_counter() - start, 1)}
            print(f"[supervised_scratch] {fraction:.0%} labels ({len(indices)} images, "
                  f"{steps_per_epoch * epochs} steps): test accuracy {accuracy:.1%}", flush=True)
            partial["supervised_scratch_subsets"] = results  # a cut run keeps this subset
            save_partial()
        partial.pop("supervised_scratch_subsets", None)
        return {"from_scratch": results, "min_steps": args.scratch_min_steps,
                "train_time_s": round(sum(r["time_s"] for r in results.values()), 1)}

    for tag in args.encoders:
        if tag in partial:
            print(f"[{tag}] done in an earlier run: {partial[tag]}", flush=True)
            continue
        if tag == "supervised_scratch":
            partial[tag] = supervised_from_scratch()
            save_partial()
            continue
        weights = out / f"{tag}_encoder.weights.h5"
        keras.utils.set_random_seed(config.seed)
        encoder = build_encoder(config, x_train.shape[1:])
        backup = keras.callbacks.BackupAndRestore(str(out / f"backup_{tag}"))
        extra = {}
        if tag == "simclr" and not weights.exists():
            train_simclr(config, x_train, encoder=encoder, verbose=int(args.verbose == 1),
                         callbacks=[backup, EpochLog(tag, encoder)], jit_compile=_jit(args))
            encoder.save_weights(weights)
        elif tag == "supervised":
            outputs = keras.layers.Dense(len(class_names), name="classifier")(encoder.output)
            classifier = keras.Model(encoder.input, outputs, name="supervised")
            if not weights.exists():
                from ssl_keras.experiments.pretrain import make_optimizer

                classifier.compile(
                    optimizer=make_optimizer(config, len(x_train)),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"], jit_compile=_jit(args))
                classifier.fit(x_train, y_train, batch_size=config.batch_size,
                               epochs=config.epochs, shuffle=True,
                               verbose=int(args.verbose == 1),
                               callbacks=[backup, EpochLog(tag)])
                classifier.save_weights(weights)
            classifier.load_weights(weights)
            logits = classifier.predict(x_test, batch_size=512, verbose=0)
            extra["head_accuracy"] = float(np.mean(np.argmax(logits, axis=1) == y_test))
        if tag == "simclr":
            encoder.load_weights(weights)
        partial[tag] = {**judge(tag, encoder), **extra, "train_time_s": train_time(tag)}
        save_partial()

    history = _common.read_json(history_path, {})
    rows = [_row(tag, partial[tag]) for tag in args.encoders]
    payload = {
        "benchmark": "course_accuracy",
        "machine": _common.machine(),
        "command": "python benchmarks/course_accuracy.py " + " ".join(
            sys.argv[1:] if argv is None else argv),
        "settings": partial["settings"],
        "data": {"train": int(len(x_train)), "test": int(len(x_test)),
                 "source": "CIFAR-10 (course's JPEG copy via ../shared/data/cifar10/build.py, "
                           "if --data-dir points at it)",
                 "data_dir": args.data_dir or os.environ.get("SSL_KERAS_CIFAR10_DIR")},
        "results": {tag: partial[tag] for tag in args.encoders},
        "history": history,
    }
    path = _common.write_result(name, backend, payload)
    print(f"\n{_common.format_table(rows, COLUMNS)}\nwrote {path}", flush=True)
    return payload


def _settings(args, config) -> dict:
    keys = ("encoder", "width", "epochs", "batch_size", "learning_rate", "weight_decay",
            "temperature", "probe_epochs", "knn_k", "crop_min_scale", "seed", "train_limit")
    return {**{key: getattr(config, key) for key in keys},
            "test_limit": args.test_limit, "probe_min_steps": args.probe_min_steps,
            "label_fractions": list(LABEL_FRACTIONS)}


def _random_subset(images, labels, limit, seed):
    import numpy as np

    indices = np.sort(np.random.default_rng(seed).permutation(len(images))[:limit])
    return images[indices], labels[indices]


def _jit(args):
    return {"auto": "auto", "true": True, "false": False}[args.jit_compile]


def _row(tag, metrics) -> dict:
    if "from_scratch" in metrics:  # trained on the subsets only: its head, no probe
        scratch = metrics["from_scratch"]
        return {"encoder": f"{tag} (own head, trained on the subset)",
                "probe_1": f"{scratch['0.01']['head_accuracy']:.1%}",
                "probe_10": f"{scratch['0.1']['head_accuracy']:.1%}",
                "probe_100": "-", "knn": "-", "head": "-",
                "train_time_s": metrics["train_time_s"]}
    probes = metrics["linear_probe"]
    return {"encoder": tag, "probe_1": f"{probes['0.01']['accuracy']:.1%}",
            "probe_10": f"{probes['0.1']['accuracy']:.1%}",
            "probe_100": f"{probes['1']['accuracy']:.1%}", "knn": f"{metrics['knn']:.1%}",
            "head": (f"{metrics['head_accuracy']:.1%}" if "head_accuracy" in metrics
                     else "-"),
            "train_time_s": metrics["train_time_s"]}


if __name__ == "__main__":
    main()
