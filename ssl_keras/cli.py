"""`ssl-keras` command line: `ssl-keras pretrain --out DIR`, `ssl-keras compare --out DIR`."""

import argparse
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _method_names() -> list[str]:
    # The registry's names: a method added there is a choice here with no other change.
    from ssl_keras.models.registry import METHODS

    return list(METHODS)


def _add_job_arguments(parser: argparse.ArgumentParser, default_out: str) -> None:
    parser.add_argument("--dataset", default="digits", choices=["digits", "cifar10"],
                        help="digits: embedded, no download (default); cifar10: the "
                        "course setting (small CNN, batch 256, 10 epochs)")
    parser.add_argument("--out", default=default_out, help="output folder")
    parser.add_argument("--data-dir", help="CIFAR-10 folder (cifar-10-batches-py or its "
                        "parent); default: $SSL_KERAS_CIFAR10_DIR, else Keras's download")
    parser.add_argument("--encoder", choices=["small_cnn", "resnet18"])
    parser.add_argument("--width", type=int, help="small CNN's first-block channels")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--temperature", type=float, help="SimCLR's NT-Xent temperature")
    parser.add_argument("--probe-epochs", type=int)
    parser.add_argument("--train-limit", type=int, help="use only the first N training "
                        "images (quick runs)")
    parser.add_argument("--crop-min-scale", type=float, help="smallest crop area fraction")
    parser.add_argument("--standardize-images", action=argparse.BooleanOptionalAction,
                        default=None, help="standardize each image (zero mean, unit "
                        "variance) first in the encoder (default: on for digits)")
    parser.add_argument("--tsne-points", type=int, help="test points in the t-SNE plots")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--verbose", type=int, choices=[0, 1, 2],
                        help="0 silent, 1 progress bars, 2 one line per epoch")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssl-keras",
        description="Self-supervised learning with Keras 3 on jax, tensorflow or torch "
        "(choose with the KERAS_BACKEND environment variable).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    pretrain = commands.add_parser(
        "pretrain",
        help="pretrain a method (SimCLR by default), evaluate it against random init, "
        "write metrics and plots",
        description="Pretrain a self-supervised method (SimCLR by default), evaluate it "
        "(linear probe, kNN, t-SNE, similarity plots), compare with the same encoder at "
        "random initialization, and write the model, the plots and metrics.json to --out. "
        "Defaults come from the dataset's preset; every flag overrides it.",
    )
    pretrain.add_argument("--method", default="simclr", choices=_method_names(),
                          help="the self-supervised method (default: simclr)")
    _add_job_arguments(pretrain, "runs/pretrain")
    compare = commands.add_parser(
        "compare",
        help="train every method with the same encoder and budget, write one table",
        description="Train each method (default: all) from the same initial weights, on "
        "the same views, with the same optimizer and budget; evaluate each frozen encoder "
        "(linear probe, kNN, t-SNE) beside random init, and write comparison.json, "
        "comparison.md, comparison.png and one t-SNE per method to --out. An interrupted "
        "run resumes when the same command is run again.",
    )
    compare.add_argument("--methods", nargs="+", choices=_method_names(),
                         help="methods to compare, in the table's order (default: all)")
    _add_job_arguments(compare, "runs/compare")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    from ssl_keras.experiments.pretrain import config_for, run_pretraining, summary_table

    options = vars(arguments)
    command = options.pop("command")
    dataset = options.pop("dataset")
    methods = options.pop("methods", None)
    try:
        config = config_for(dataset, **options)
        if command == "compare":
            from ssl_keras.experiments.method_comparison import (
                compare_methods,
                format_method_table,
            )

            record = compare_methods(config, methods)
            sys.stdout.write(format_method_table(record["results"])
                             + f"\nResults in {config.out}/comparison.json\n")
            return 0
        metrics = run_pretraining(config)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        sys.stderr.write(f"ssl-keras: error: {error}\n")
        return 2
    sys.stdout.write(summary_table(metrics) + f"\nResults in {config.out}/metrics.json\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
