"""Experiment jobs: programs that load a dataset, train, evaluate and write results.

- `pretrain` (`ssl-keras pretrain`): the main job. Pretrains SimCLR, judges its encoder
  against the same encoder at random initialisation (linear probe, kNN, t-SNE) and writes
  metrics, plots and the model (`run_pretraining`, `train_simclr`, `config_for`).
- `method_comparison` (`ssl-keras compare`): every self-supervised method of
  `ssl_keras.models.METHODS` trained with the same encoder and budget, one table
  (`compare_methods`).
- `pretext_comparison`: the course's table. Trains the same encoder with rotation, jigsaw,
  colorization, SimCLR and labels, and compares them by linear probe and kNN
  (`compare_pretext_tasks`).

Seeds: the rest of the package (layers, losses, models, evaluation) never sets global
random state; every random layer owns a `keras.random.SeedGenerator`. A job is a program,
like a script or a notebook: it calls `keras.utils.set_random_seed(seed)` with its own
`seed` argument, so that its models start from reproducible weights (and, in the
comparisons, every method from the same ones). A test checks that no module outside
this package calls it.
"""

from ssl_keras.experiments.method_comparison import compare_methods, format_method_table
from ssl_keras.experiments.pretext_comparison import (
    COURSE_CIFAR10_REFERENCE,
    compare_pretext_tasks,
    format_comparison_table,
    plot_comparison,
)
from ssl_keras.experiments.pretrain import (
    PRESETS,
    PretrainConfig,
    build_encoder,
    config_for,
    evaluate_encoder,
    load_data,
    make_optimizer,
    method_options,
    run_pretraining,
    summary_table,
    train_method,
    train_simclr,
    write_json,
)

__all__ = [
    "COURSE_CIFAR10_REFERENCE",
    "PRESETS",
    "PretrainConfig",
    "build_encoder",
    "compare_methods",
    "compare_pretext_tasks",
    "config_for",
    "evaluate_encoder",
    "format_comparison_table",
    "format_method_table",
    "load_data",
    "make_optimizer",
    "method_options",
    "plot_comparison",
    "run_pretraining",
    "summary_table",
    "train_method",
    "train_simclr",
    "write_json",
]
