"""`ssl-keras` command line: `ssl-keras pretrain --out DIR`."""

import argparse
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssl-keras",
        description="Self-supervised learning with Keras 3 on jax, tensorflow or torch "
        "(choose with the KERAS_BACKEND environment variable).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    pretrain = commands.add_parser(
        "pretrain",
        help="pretrain SimCLR, evaluate it against random init, write metrics and plots",
        description="Pretrain SimCLR, evaluate it (linear probe, kNN, t-SNE, similarity "
        "plots), compare with the same encoder at random initialization, and write the "
        "model, the plots and metrics.json to --out. Defaults come from the dataset's "
        "preset; every flag overrides it.",
    )
    pretrain.add_argument("--dataset", default="digits", choices=["digits", "cifar10"],
                          help="digits: embedded, no download (default); cifar10: the "
                          "course setting (small CNN, batch 256, 10 epochs)")
    pretrain.add_argument("--out", default="runs/pretrain", help="output folder")
    pretrain.add_argument("--data-dir", help="CIFAR-10 folder (cifar-10-batches-py or its "
                          "parent); default: $SSL_KERAS_CIFAR10_DIR, else Keras's download")
    pretrain.add_argument("--encoder", choices=["small_cnn", "resnet18"])
    pretrain.add_argument("--width", type=int, help="small CNN's first-block channels")
    pretrain.add_argument("--epochs", type=int)
    pretrain.add_argument("--batch-size", type=int)
    pretrain.add_argument("--learning-rate", type=float)
    pretrain.add_argument("--temperature", type=float)
    pretrain.add_argument("--probe-epochs", type=int)
    pretrain.add_argument("--train-limit", type=int, help="use only the first N training "
                          "images (quick runs)")
    pretrain.add_argument("--crop-min-scale", type=float, help="smallest crop area fraction")
    pretrain.add_argument("--tsne-points", type=int, help="test points in the t-SNE plots")
    pretrain.add_argument("--seed", type=int)
    pretrain.add_argument("--verbose", type=int, choices=[0, 1, 2],
                          help="0 silent, 1 progress bars, 2 one line per epoch")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    from ssl_keras.experiments.pretrain import config_for, run_pretraining, summary_table

    options = vars(arguments)
    options.pop("command")
    dataset = options.pop("dataset")
    try:
        config = config_for(dataset, **options)
        metrics = run_pretraining(config)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        sys.stderr.write(f"ssl-keras: error: {error}\n")
        return 2
    sys.stdout.write(summary_table(metrics) + f"\nResults in {config.out}/metrics.json\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
