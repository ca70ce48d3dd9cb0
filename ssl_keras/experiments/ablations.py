"""SimCLR's ablations at a small budget: the loss, the L2 norm, the temperature, the
projection head, the batch size, and MoCo against SimCLR.

Each ablation is a tuple of `AblationSetting`s, the shape of one table or figure of Chen et
al. (2020): `LOSS_TABLE` (Table 2: NT-Xent, NT-Logistic and margin triplet, with and
without L2 norm), `TEMPERATURE_TABLE` (Table 5: temperature x L2 norm), `HEAD_FIGURE`
(Figure 8: no, linear or MLP projection head, features read before and after it),
`BATCH_SIZE_FIGURE` (Figure 9: batch size) and `MOCO_VS_SIMCLR`. `run_ablation` pretrains
one encoder per setting from the same initial weights, then judges it with a linear probe
and a kNN classifier on frozen features; it returns one row (a dict) per setting.

Departures from the paper, all forced by the budget (minutes on a CPU, the embedded
digits rather than ImageNet): a small CNN, tens of epochs rather than hundreds, batch
sizes of tens to a few hundred rather than 256-8192, no LARS, and one seed. The NT-Logistic
and margin-triplet losses average over all negatives without the semi-hard negative
mining of Table 2's right-hand column. Expect the paper's orderings to show only where
the effects are large.

The encoder standardizes each image to zero mean and unit variance first
(`small_cnn_encoder(standardize=True)`, on by default): the embedded digits draw a
background and stroke gray level per image, and without it the encoders learn those gray
levels instead of the digits' shapes (at this budget every trained encoder then ended below
the untrained one by kNN). MoCo's queue holds 128 keys, at most an eighth of the 1,258
training digits (the cap of the jobs' `method_options`): a queue that holds most of the
training set gives nearly every query a key of its own image among its negatives. Its
key encoder's momentum is 0.99 rather than the paper's 0.999, made for 100,000+ steps.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import keras
import numpy as np

logger = logging.getLogger(__name__)

HEADS = ("none", "linear", "mlp")
METHODS = ("simclr", "moco")


@dataclasses.dataclass(frozen=True)
class AblationSetting:
    """One pretraining run of an ablation.

    Attributes:
        label: the row's name in tables and plots.
        method: `"simclr"` or `"moco"` (`ssl_keras.MoCo`, a queue of `queue_size` keys
            from a momentum encoder; NT-Xent-like InfoNCE, always L2-normalised).
        objective: SimCLR's `objective`: a loss name (`"nt_xent"`, `"nt_logistic"`,
            `"margin_triplet"`) or a callable `(z_a, z_b) -> loss`.
        normalize: SimCLR's `normalize`: cosine (True) or dot-product similarities.
        temperature: the temperature of NT-Xent, NT-Logistic and MoCo.
        head: the projection head `g`: `"none"` (identity), `"linear"` (one Dense) or
            `"mlp"` (Dense-BN-ReLU-Dense, SimCLR's).
        batch_size: images per batch (two views each).
        queue_size: MoCo's number of negatives (ignored by SimCLR); keep it at most an
            eighth of the training set, so that few queries meet a key of their own image
            among the negatives.
        momentum: MoCo's key-encoder momentum (ignored by SimCLR). 0.99, as in the jobs'
            `method_options`: MoCo's 0.999 is for runs of 100,000+ steps; over the 400
            steps of a 10-epoch run at batch 32 it moves the key encoder only a third of
            the way from its initial weights.
    """

    label: str
    method: str = "simclr"
    objective: str | Callable = "nt_xent"
    normalize: bool = True
    temperature: float = 0.2
    head: str = "mlp"
    batch_size: int = 128
    queue_size: int = 128
    momentum: float = 0.99

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"`method` should be one of {METHODS}. Received: "
                             f"method={self.method!r}")
        if self.head not in HEADS:
            raise ValueError(f"`head` should be one of {HEADS}. Received: head={self.head!r}")

    def describe(self) -> dict:
        """The setting as plain values (a callable objective by its name)."""
        values = dataclasses.asdict(self)
        if callable(self.objective):
            values["objective"] = getattr(self.objective, "__name__", repr(self.objective))
        return values


# SimCLR's Table 2: the loss, with and without L2 norm (temperature 0.2: the digits preset's).
LOSS_TABLE = tuple(
    AblationSetting(f"{name} {'with' if normalize else 'without'} l2 norm", objective=objective,
                    normalize=normalize)
    for normalize in (True, False)
    for name, objective in (("NT-Xent", "nt_xent"), ("NT-Logistic", "nt_logistic"),
                            ("margin triplet", "margin_triplet"))
)
# Table 5: temperature x L2 norm, NT-Xent.
TEMPERATURE_TABLE = tuple(
    AblationSetting(f"tau={temperature:g} {'with' if normalize else 'without'} l2 norm",
                    temperature=temperature, normalize=normalize)
    for normalize in (True, False)
    for temperature in (0.05, 0.2, 1.0)
)
# Figure 8: the projection head (evaluate with `projection_features=True`).
HEAD_FIGURE = tuple(AblationSetting(f"{head} head", head=head) for head in HEADS)
# Figure 9: the batch size (same number of epochs, hence fewer steps for larger batches).
BATCH_SIZE_FIGURE = tuple(AblationSetting(f"batch {size}", batch_size=size)
                          for size in (32, 128, 512))
# MoCo's queue decouples the number of negatives from the batch size. 128 keys: at most an
# eighth of the 1,258 training digits (1,258 // 8 = 157), a multiple of the batch.
MOCO_QUEUE_SIZE = 128
MOCO_VS_SIMCLR = (
    AblationSetting("SimCLR, batch 32", batch_size=32),
    AblationSetting(f"MoCo, batch 32, queue {MOCO_QUEUE_SIZE}", method="moco", batch_size=32,
                    queue_size=MOCO_QUEUE_SIZE),
)
ABLATIONS = {
    "loss": LOSS_TABLE,
    "temperature": TEMPERATURE_TABLE,
    "head": HEAD_FIGURE,
    "batch_size": BATCH_SIZE_FIGURE,
    "moco": MOCO_VS_SIMCLR,
}


def projection_head(kind: str, hidden_dim: int = 128, output_dim: int = 64):
    """The projection head of Figure 8: `"none"`, `"linear"` or `"mlp"`."""
    from ssl_keras.layers import ProjectionHead

    if kind == "none":
        return keras.layers.Identity(name="projection_head")
    if kind == "linear":
        return ProjectionHead(hidden_dims=(), output_dim=output_dim, name="projection_head")
    if kind == "mlp":
        return ProjectionHead(hidden_dims=(hidden_dim,), output_dim=output_dim,
                              name="projection_head")
    raise ValueError(f"`head` should be one of {HEADS}. Received: head={kind!r}")


def build_model(setting: AblationSetting, input_shape, width: int = 16,
                crop_min_scale: float = 0.3, seed: int = 0, standardize: bool = True):
    """The SimCLR (or MoCo) model of `setting`, with a fresh small CNN seeded by `seed`.

    The random state is reset to `seed` first, so every setting starts from the same
    encoder weights. With `standardize` (default) the encoder standardizes each image to
    zero mean and unit variance before its first convolution
    (`small_cnn_encoder(standardize=True)`): the embedded digits draw a background and
    stroke gray level per image, which the encoders otherwise learn instead of the shapes.
    """
    from ssl_keras.layers import SimCLRAugmentation
    from ssl_keras.models import MoCo, SimCLR, small_cnn_encoder

    keras.utils.set_random_seed(seed)
    input_shape = tuple(input_shape)
    encoder = small_cnn_encoder(input_shape=input_shape, width=width, output_dim=8 * width,
                                standardize=standardize)
    augmentation = SimCLRAugmentation(preset="cifar", height=input_shape[0],
                                      width=input_shape[1], crop_scale=(crop_min_scale, 1.0),
                                      seed=seed)
    head = projection_head(setting.head, hidden_dim=8 * width)
    if setting.method == "moco":
        return MoCo(encoder, head, augmentation, queue_size=setting.queue_size,
                    momentum=setting.momentum, temperature=setting.temperature, seed=seed)
    return SimCLR(encoder, head, augmentation, temperature=setting.temperature,
                  objective=setting.objective, normalize=setting.normalize)


def run_ablation(
    settings,
    x_train,
    y_train,
    x_test,
    y_test,
    epochs: int = 15,
    width: int = 16,
    learning_rate: float = 2e-3,
    probe_epochs: int = 50,
    knn_k: int = 20,
    projection_features: bool = False,
    crop_min_scale: float = 0.3,
    seed: int = 0,
    standardize: bool = True,
    verbose=0,
    jit_compile="auto",
    cache: dict | None = None,
) -> list[dict]:
    """Pretrains one encoder per setting and judges it by linear probe and kNN.

    Every setting starts from the same encoder weights (`seed`) and trains for `epochs`
    epochs with AdamW (warmup then cosine decay, `ssl_keras.experiments.make_optimizer`).
    The labels are used only to judge the frozen features.

    Args:
        settings: `AblationSetting`s, e.g. `LOSS_TABLE`.
        x_train, y_train: training images `(n, h, w, c)` in [0, 255] and labels.
        x_test, y_test: test images and labels.
        epochs: pretraining epochs per setting.
        width: the small CNN's width (features of dimension `8 * width`).
        learning_rate: peak learning rate.
        probe_epochs: epochs of the linear probe.
        knn_k: neighbours of the kNN classifier.
        projection_features: also judge the projection head's output `g(h)` (Figure 8).
        crop_min_scale: smallest crop area fraction of the augmentation.
        seed: seed of the initial weights, the augmentation and the probe.
        standardize: standardize each image in the encoder (`build_model`).
        verbose: `fit`'s verbosity.
        jit_compile: passed to `compile`.
        cache: a dict shared between calls: a setting identical to one already run (all
            fields but the label, with the same budget) reuses its row instead of training
            again (e.g. NT-Xent with L2 norm at tau 0.2 appears in four ablations).

    Returns:
        One dict per setting: the setting's fields (`AblationSetting.describe`), then
        `"linear_probe"` and `"knn"` (test accuracies of the encoder's features `h`),
        `"final_loss"` (the last epoch's self-supervised loss), `"seconds"` (pretraining
        and evaluation) and, with `projection_features`, `"linear_probe_projection"` and
        `"knn_projection"`.
    """
    from ssl_keras.evaluation import extract_features, knn_accuracy, linear_probe
    from ssl_keras.experiments.pretrain import PretrainConfig, make_optimizer

    rows = []
    budget = (len(x_train), epochs, width, learning_rate, probe_epochs, knn_k, crop_min_scale,
              seed, standardize)
    for setting in settings:
        key = None
        if cache is not None:
            described = {k: v for k, v in setting.describe().items() if k != "label"}
            key = repr((sorted(described.items()), budget, projection_features))
            if key in cache:
                rows.append({**cache[key], "label": setting.label})
                continue
        started = time.perf_counter()
        model = build_model(setting, x_train.shape[1:], width=width,
                            crop_min_scale=crop_min_scale, seed=seed, standardize=standardize)
        config = PretrainConfig(batch_size=setting.batch_size, epochs=epochs,
                                learning_rate=learning_rate)
        model.compile(optimizer=make_optimizer(config, len(x_train)), jit_compile=jit_compile)
        history = model.fit(x_train, batch_size=setting.batch_size, epochs=epochs,
                            shuffle=True, verbose=verbose)
        row = setting.describe()
        row["final_loss"] = float(history.history["ssl_loss"][-1])
        extractors = {"": model.encoder}
        if projection_features:
            extractors["_projection"] = keras.Sequential([model.encoder, model.projection_head])
        for suffix, extractor in extractors.items():
            train_features = extract_features(extractor, x_train, verbose=0)
            test_features = extract_features(extractor, x_test, verbose=0)
            probe = linear_probe(train_features, y_train, test_features, y_test,
                                 epochs=probe_epochs, seed=seed, verbose=0)
            row[f"linear_probe{suffix}"] = float(probe.accuracy)
            row[f"knn{suffix}"] = float(knn_accuracy(train_features, y_train, test_features,
                                                     y_test, k=knn_k))
        row["seconds"] = time.perf_counter() - started
        logger.info("%s: linear probe %.3f, kNN %.3f", setting.label, row["linear_probe"],
                    row["knn"])
        rows.append(row)
        if key is not None:
            cache[key] = row
    return rows


@dataclasses.dataclass(frozen=True)
class AblationBudget:
    """How much each ablation gets: `BUDGET` (minutes per ablation on a laptop CPU) or
    `FAST_BUDGET` (checks that the code runs; the numbers mean nothing).

    Attributes:
        epochs, width, probe_epochs: passed to `run_ablation`.
        train_limit: use at most this many training images (None: all).
        settings_per_ablation: run only the first settings of each ablation (None: all).
        standardize: standardize each image in the encoder (`build_model`; on by default,
            see the module's docstring).
    """

    epochs: int = 10
    width: int = 16
    probe_epochs: int = 30
    train_limit: int | None = None
    settings_per_ablation: int | None = None
    standardize: bool = True

    def run(self, settings, x_train, y_train, x_test, y_test, **kwargs) -> list[dict]:
        """`run_ablation` of (the first `settings_per_ablation` of) `settings`."""
        if self.train_limit is not None:
            x_train, y_train = x_train[:self.train_limit], y_train[:self.train_limit]
        return run_ablation(tuple(settings)[:self.settings_per_ablation], x_train, y_train,
                            x_test, y_test, epochs=self.epochs, width=self.width,
                            probe_epochs=self.probe_epochs, standardize=self.standardize,
                            **kwargs)


BUDGET = AblationBudget()
FAST_BUDGET = AblationBudget(epochs=1, width=8, probe_epochs=2, train_limit=256,
                             settings_per_ablation=1)


def format_ablation_table(rows: list[dict], columns=("linear_probe", "knn")) -> str:
    """The rows as a text table: one line per setting, accuracies in percent."""
    width = max(len(row["label"]) for row in rows)
    titles = {"linear_probe": "linear", "knn": "kNN",
              "linear_probe_projection": "linear g(h)", "knn_projection": "kNN g(h)",
              "final_loss": "final loss"}
    header = f"{'setting':{width}s}" + "".join(f"  {titles.get(c, c):>11s}" for c in columns)
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if value is None:
                cells.append(f"  {'-':>11s}")
            elif column == "final_loss":
                cells.append(f"  {value:11.4f}")
            else:
                cells.append(f"  {100 * value:10.1f}%")
        lines.append(f"{row['label']:{width}s}" + "".join(cells))
    return "\n".join(lines)


def plot_ablation(rows: list[dict], columns=("linear_probe", "knn"), title: str | None = None,
                  path: str | None = None):
    """Grouped horizontal bars of the rows' accuracies; returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    from ssl_keras.evaluation.plots import save_figure

    labels = [row["label"] for row in rows]
    positions = np.arange(len(rows))
    height = 0.8 / len(columns)
    figure, axis = plt.subplots(figsize=(7, 0.5 + 0.45 * len(rows) * max(1, len(columns) / 2)))
    for index, column in enumerate(columns):
        values = [100 * row.get(column, np.nan) for row in rows]
        axis.barh(positions + index * height, values, height=height, label=column)
    axis.set_yticks(positions + height * (len(columns) - 1) / 2, labels)
    axis.invert_yaxis()
    axis.set_xlabel("test accuracy (%)")
    axis.set_xlim(0, 100)
    axis.legend(loc="lower right")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    save_figure(figure, path)
    return figure
