"""Experiment jobs: programs that load a dataset, train, evaluate and write results.

- `pretrain` (`ssl-keras pretrain`): the main job. Pretrains SimCLR, judges its encoder
  against the same encoder at random initialisation (linear probe, kNN, t-SNE) and writes
  metrics, plots and the model (`run_pretraining`, `train_simclr`, `config_for`).
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

from ssl_keras.experiments.pretext_comparison import (
    COURSE_CIFAR10_REFERENCE,
    METHODS,
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
    make_optimizer,
    run_pretraining,
    summary_table,
    train_simclr,
)

__all__ = [
    "COURSE_CIFAR10_REFERENCE",
    "METHODS",
    "PRESETS",
    "PretrainConfig",
    "build_encoder",
    "compare_pretext_tasks",
    "config_for",
    "evaluate_encoder",
    "format_comparison_table",
    "make_optimizer",
    "plot_comparison",
    "run_pretraining",
    "summary_table",
    "train_simclr",
]
