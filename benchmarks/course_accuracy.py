"""SimCLR on real CIFAR-10 at the course budget: accuracy against wall time, per epoch.

The course setting (`ssl_keras.pretrain` preset `cifar10`): the small CNN (width 64,
256-d), batch 256, Adam(W) 1e-3 with warm-up and cosine decay, temperature 0.5,
SimCLR's CIFAR augmentation, 10 epochs; then a linear probe (50 epochs, standardised
features) and a weighted kNN (k=200, T=0.1) on the frozen encoder. The course expects
about 60-70% linear-probe accuracy. `--model resnet18 --epochs N` gives the CIFAR
ResNet-18 at a longer budget (published SimCLR ResNet-18 kNN: 83.2% at 100 epochs,
84.8% at 200, 90.3% at 500).

After every `--eval-every` epochs (and at initialisation with --eval-at-init) the
encoder is evaluated, and a row gives the cumulative *training* wall time (evaluation
excluded), the linear-probe and kNN accuracies, and the last epoch's loss; the time to
reach `--target-knn` kNN accuracy is reported when reached.

Data: the official CIFAR-10 python release (`--data-dir`, else
`$SSL_KERAS_CIFAR10_DIR`, else Keras's download). The course's JPEG copy can be turned
into that folder with `python3 ../shared/data/cifar10/build.py /tmp/cifar`: its pixels
differ slightly from the official release (JPEG), so say so beside any accuracy from it.

Usage:
    # the course run (about 100 min of training on a 2-core CPU; minutes on a GPU):
    python benchmarks/course_accuracy.py --data-dir /tmp/cifar
    # ResNet-18, longer budget, GPU:
    python benchmarks/course_accuracy.py --data-dir /tmp/cifar --model resnet18 \\
        --epochs 100 --eval-every 10 --target-knn 0.9
    # CPU smoke run (what RESULTS.md reports for this machine):
    nice python benchmarks/course_accuracy.py --data-dir /tmp/cifar --train-limit 5000 \\
        --test-limit 2000 --epochs 1 --eval-at-init

Writes benchmarks/results/course_accuracy_<backend>_<model>.json.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

COLUMNS = [
    ("epoch", "epoch"), ("train_time_s", "training wall time (s)"),
    ("epoch_time_s", "last epoch (s)"), ("loss", "NT-Xent"),
    ("linear_probe", "linear probe"), ("knn", "kNN"), ("eval_time_s", "eval (s)"),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--model", choices=["small_cnn", "resnet18"], default="small_cnn")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="default: the cifar10 preset's (1e-3)")
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--train-limit", type=int, default=None)
    parser.add_argument("--test-limit", type=int, default=None)
    parser.add_argument("--probe-epochs", type=int, default=None)
    parser.add_argument("--knn-k", type=int, default=None)
    parser.add_argument("--eval-every", type=int, default=1)
    parser.add_argument("--eval-at-init", action="store_true")
    parser.add_argument("--target-knn", type=float, default=0.9)
    parser.add_argument("--jit-compile", default="auto", choices=["auto", "true", "false"])
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import keras

    from ssl_keras import evaluation
    from ssl_keras.data import load_dataset
    from ssl_keras.layers import SimCLRAugmentation
    from ssl_keras.models import SimCLR
    from ssl_keras.pretrain import build_encoder, config_for

    config = config_for(
        "cifar10", data_dir=args.data_dir, encoder=args.model, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate,
        temperature=args.temperature, train_limit=args.train_limit,
        probe_epochs=args.probe_epochs, knn_k=args.knn_k, seed=args.seed, verbose=0,
    )
    ((x_train, y_train), (x_test, y_test)), class_names = load_dataset(
        "cifar10", path=config.data_dir
    )
    if config.train_limit:
        x_train, y_train = x_train[: config.train_limit], y_train[: config.train_limit]
    if args.test_limit:
        x_test, y_test = x_test[: args.test_limit], y_test[: args.test_limit]
    print(f"CIFAR-10: {len(x_train)} training, {len(x_test)} test images; {config.encoder}, "
          f"batch {config.batch_size}, {config.epochs} epochs, backend "
          f"{keras.backend.backend()}", flush=True)

    keras.utils.set_random_seed(config.seed)
    encoder = build_encoder(config, x_train.shape[1:])
    model = SimCLR(
        encoder,
        augmentation=SimCLRAugmentation(preset="cifar", crop_scale=(config.crop_min_scale, 1.0),
                                        seed=config.seed),
        temperature=config.temperature,
    )
    steps_per_epoch = max(1, len(x_train) // config.batch_size)
    steps = steps_per_epoch * config.epochs
    # The schedule of `ssl_keras.pretrain.run_pretraining`.
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps, alpha=0.01, warmup_target=config.learning_rate,
        warmup_steps=max(1, steps // 20),
    )
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
                  jit_compile={"auto": "auto", "true": True, "false": False}[args.jit_compile])

    def evaluate(epoch, train_time, epoch_time, loss):
        start = time.perf_counter()
        train = evaluation.extract_features(encoder, x_train, verbose=0)
        test = evaluation.extract_features(encoder, x_test, verbose=0)
        probe = evaluation.linear_probe(train, y_train, test, y_test,
                                        num_classes=len(class_names),
                                        epochs=config.probe_epochs, seed=config.seed, verbose=0)
        knn = evaluation.knn_accuracy(train, y_train, test, y_test, k=config.knn_k)
        row = {"epoch": epoch, "train_time_s": train_time, "epoch_time_s": epoch_time,
               "loss": loss, "linear_probe": float(probe.accuracy), "knn": float(knn),
               "eval_time_s": time.perf_counter() - start}
        print(_common.format_table([row], COLUMNS), flush=True)
        return row

    rows = []
    if args.eval_at_init:
        rows.append(evaluate(0, 0.0, None, None))
    train_time, time_to_target = 0.0, None
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        history = model.fit(x_train, batch_size=config.batch_size, epochs=epoch,
                            initial_epoch=epoch - 1, shuffle=True, verbose=0)
        epoch_time = time.perf_counter() - start
        train_time += epoch_time
        if epoch % args.eval_every == 0 or epoch == config.epochs:
            rows.append(evaluate(epoch, train_time, epoch_time,
                                 float(history.history["loss"][-1])))
            if time_to_target is None and rows[-1]["knn"] >= args.target_knn:
                time_to_target = train_time

    payload = {
        "benchmark": "course_accuracy",
        "machine": _common.machine(),
        "settings": {**vars(args), "config": {k: getattr(config, k) for k in (
            "encoder", "width", "epochs", "batch_size", "learning_rate", "weight_decay",
            "temperature", "probe_epochs", "knn_k", "crop_min_scale", "seed")}},
        "data": {"train": int(len(x_train)), "test": int(len(x_test)),
                 "source": args.data_dir or os.environ.get("SSL_KERAS_CIFAR10_DIR")
                 or "keras.datasets download"},
        "rows": rows,
        "time_to_target_knn_s": time_to_target,
    }
    name = f"course_accuracy_{args.model}"
    path = _common.write_result(name, keras.backend.backend(), payload)
    print(f"\n{_common.format_table(rows, COLUMNS)}")
    target = (f"{time_to_target:.0f} s" if time_to_target is not None
              else "not reached")
    print(f"time to {args.target_knn:.0%} kNN: {target}\nwrote {path}")


if __name__ == "__main__":
    main()
