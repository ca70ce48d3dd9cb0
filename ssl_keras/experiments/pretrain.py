"""The main job: pretrain a self-supervised method, judge it against random init.

The method is SimCLR by default; `method` picks any of `ssl_keras.models.METHODS`
(`simclr`, `moco`, `byol`, `simsiam`, `barlow_twins`, `vicreg`, `dino`), trained the same way:
same encoder, augmentation, optimizer and budget.
"""

import dataclasses
import json
import logging
import os
import time
from pathlib import Path

import keras

from ssl_keras.validation import check_one_of

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class PretrainConfig:
    """Settings of `run_pretraining`; `PRESETS` gives the defaults per dataset.

    Attributes:
        dataset: `"digits"` (embedded, no download) or `"cifar10"`.
        method: the self-supervised method, a key of `ssl_keras.models.METHODS`.
        out: output folder.
        data_dir: folder of CIFAR-10's `cifar-10-batches-py` (else the
            `SSL_KERAS_CIFAR10_DIR` variable, else Keras's download).
        encoder: `"small_cnn"` or `"resnet18"`.
        width: channels of the small CNN's first block (doubled per block).
        epochs: SimCLR epochs.
        batch_size: images per SimCLR batch (2x views).
        learning_rate: Adam's learning rate.
        weight_decay: AdamW's decoupled weight decay.
        temperature: NT-Xent temperature (SimCLR; MoCo keeps its own, 0.2).
        probe_epochs: epochs of the linear probe on frozen features.
        knn_k: neighbours of the weighted kNN classifier.
        train_limit: use at most this many training images (None: all).
        image_size: side of the embedded digits images (ignored for CIFAR-10).
        crop_min_scale: smallest area fraction of SimCLR's random resized crop (SimCLR:
            0.08; 16-pixel images need more, or a crop keeps a handful of pixels).
        standardize_images: standardize each image to zero mean and unit variance first
            in the encoder (`ssl_keras.layers.PerImageStandardization`): its features then
            cannot depend on an image's brightness or contrast.
        tsne_points: at most this many test points in the t-SNE plots.
        seed: seed of everything random in the job.
        verbose: Keras verbosity (0 silent, 1 progress bars, 2 one line per epoch).
    """

    dataset: str = "digits"
    method: str = "simclr"
    out: str = "runs/pretrain"
    data_dir: str | None = None
    encoder: str = "small_cnn"
    width: int = 32
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    temperature: float = 0.5
    probe_epochs: int = 50
    knn_k: int = 200
    train_limit: int | None = None
    image_size: int = 16
    crop_min_scale: float = 0.08
    standardize_images: bool = False
    tsne_points: int = 1000
    seed: int = 0
    verbose: int | str = "auto"


PRESETS = {
    # A few minutes on a 2-core CPU.
    # kNN with k=20: k=200 (the literature's value, for 5,000 images a class) would span
    # more than a whole class of the 1,258 training digits. Temperature 0.2: measured on
    # this preset (tensorflow, seed 0), 0.2 gave linear 87.9% / kNN 74.0% against 82-85% /
    # 63-66% at SimCLR's CIFAR value 0.5 (random init: 53-66% / 56-63%).
    # Each image standardized first in the encoder: the digits' background and stroke
    # gray levels (drawn per image) are otherwise the easiest thing to match between two
    # views; measured (jax, seed 0, kNN), MoCo's encoder fell to 12.6% and SimSiam's to
    # 13.7% against 62.7% for random init, and with the standardization MoCo reaches
    # 80.0%, SimCLR 85.0% (78.5% without), random init 76.3% (benchmarks/RESULTS.md).
    "digits": dict(encoder="small_cnn", width=32, epochs=40, batch_size=128,
                   crop_min_scale=0.3, knn_k=20, temperature=0.2, standardize_images=True),
    # The course setting: the small CNN, batch 256, 10 epochs (~60-70% linear probe).
    "cifar10": dict(encoder="small_cnn", width=64, epochs=10, batch_size=256,
                    learning_rate=1e-3, probe_epochs=50),
}


def config_for(dataset: str, **overrides) -> PretrainConfig:
    """The preset of `dataset` with `overrides` (None values are ignored) applied."""
    if dataset not in PRESETS:
        raise ValueError(
            f"`dataset` should be one of {sorted(PRESETS)}. Received: dataset={dataset!r}"
        )
    values = {**PRESETS[dataset], **{k: v for k, v in overrides.items() if v is not None}}
    if "method" in values:
        from ssl_keras.models import METHODS

        check_one_of(values["method"], "method", tuple(METHODS))
    return PretrainConfig(dataset=dataset, **values)


def build_encoder(config: PretrainConfig, input_shape) -> keras.Model:
    from ssl_keras.models import cifar_resnet18_encoder, small_cnn_encoder

    if config.encoder == "small_cnn":
        return small_cnn_encoder(input_shape=input_shape, width=config.width,
                                 standardize=config.standardize_images)
    if config.encoder == "resnet18":
        return cifar_resnet18_encoder(input_shape=input_shape,
                                      standardize=config.standardize_images)
    raise ValueError(
        "`encoder` should be 'small_cnn' or 'resnet18'. Received: "
        f"encoder={config.encoder!r}"
    )


def make_optimizer(config: PretrainConfig, num_train: int) -> keras.optimizers.Optimizer:
    """The SimCLR optimizer of the main job: AdamW, linear warmup then cosine decay.

    With `steps = max(1, num_train // config.batch_size) * config.epochs`, the learning
    rate rises linearly from 0 to `config.learning_rate` over `steps // 20` warmup steps,
    then follows a cosine decay towards 1% of it over `steps` further steps (Keras's
    `CosineDecay` counts its decay steps after the warmup, so training ends just short of
    the floor). The decoupled weight decay is `config.weight_decay`.

    Args:
        config: the settings (`learning_rate`, `weight_decay`, `batch_size`, `epochs`).
        num_train: number of training images.

    Returns:
        A fresh `keras.optimizers.AdamW`.
    """
    steps = max(1, num_train // config.batch_size) * config.epochs
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps, alpha=0.01, warmup_target=config.learning_rate,
        warmup_steps=max(1, steps // 20),
    )
    return keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay)


def method_options(config: PretrainConfig, num_train: int) -> dict:
    """The arguments of `config.method`'s model that depend on the job's budget.

    The model class says which (`SelfSupervisedModel.budget_options`): SimCLR takes the
    config's `temperature`; MoCo a queue and momentum scaled to the training set (see
    `MoCo.budget_options`); a method with a momentum schedule (BYOL, DINO) its
    `total_steps`; the others keep their defaults. An unknown method gets `{}` (building
    it raises).
    """
    from ssl_keras.models import METHODS

    if config.method not in METHODS:
        return {}
    return METHODS[config.method].model_class.budget_options(
        num_train, config.batch_size, config.epochs, seed=config.seed,
        temperature=config.temperature,
    )


def train_method(
    config: PretrainConfig,
    x_train,
    y_train=None,
    augmentation: keras.layers.Layer | None = None,
    num_classes: int | None = None,
    callbacks: list | None = None,
    verbose=None,
    encoder: keras.Model | None = None,
    jit_compile="auto",
    optimizer: keras.optimizers.Optimizer | None = None,
    **model_options,
):
    """Builds, compiles and fits the model of `config.method`, as the main job does.

    Seeds everything with `config.seed`, builds the encoder of `config`
    (`build_encoder`) and the method's model around it
    (`ssl_keras.models.build_method`, with `method_options(config, len(x_train))` and
    `model_options`), compiles it with `make_optimizer` (or `optimizer`) and fits it on
    `x_train` for
    `config.epochs` epochs of `config.batch_size` images, shuffled. The labels `y_train`,
    if given, only train the online linear probe (stop-gradient): the encoder never sees
    them.

    Args:
        config: the settings (see `PretrainConfig`; `config_for(dataset)` gives the
            presets).
        x_train: training images `(n, height, width, channels)` in [0, 255].
        y_train: optional integer labels `(n,)` for the online probe.
        augmentation: a layer returning two views; defaults to SimCLR's CIFAR pipeline
            (`SimCLRAugmentation(preset="cifar")`) with a crop scale of
            `(config.crop_min_scale, 1)`, seeded with `config.seed`: every method sees
            the same views.
        num_classes: classes of the online probe (None: no probe).
        callbacks: Keras callbacks passed to `fit`.
        verbose: `fit`'s verbosity; defaults to `config.verbose`.
        encoder: the encoder to train; defaults to a fresh `build_encoder(config, ...)`
            built after seeding.
        jit_compile: passed to `compile`.
        optimizer: the optimizer to train with; defaults to a fresh
            `make_optimizer(config, len(x_train))`.
        **model_options: more arguments of the method's model (they override
            `method_options`), e.g. its heads (`projector=`, `predictor=`) or MoCo's
            `key_encoder_training=False`.

    Returns:
        `(model, history)`: the trained model (its encoder is `model.encoder`) and the
        `keras.callbacks.History` of `fit`.
    """
    from ssl_keras.layers import SimCLRAugmentation
    from ssl_keras.models import build_method

    keras.utils.set_random_seed(config.seed)
    input_shape = tuple(x_train.shape[1:])
    if encoder is None:
        encoder = build_encoder(config, input_shape)
    if augmentation is None:
        height, width = input_shape[:2]
        augmentation = SimCLRAugmentation(preset="cifar", height=height, width=width,
                                          crop_scale=(config.crop_min_scale, 1.0),
                                          seed=config.seed)
    options = {**method_options(config, len(x_train)), **model_options}
    model = build_method(config.method, encoder, augmentation, num_classes=num_classes,
                         **options)
    if optimizer is None:
        optimizer = make_optimizer(config, len(x_train))
    model.compile(optimizer=optimizer, jit_compile=jit_compile)
    # Built before fit, on every backend (tensorflow builds lazily otherwise), so that a
    # callback such as `keras.callbacks.BackupAndRestore` can restore its weights.
    model.build((None, *input_shape))
    history = model.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
                        shuffle=True, callbacks=callbacks,
                        verbose=config.verbose if verbose is None else verbose)
    return model, history


def train_simclr(
    config: PretrainConfig,
    x_train,
    y_train=None,
    augmentation: keras.layers.Layer | None = None,
    objective="nt_xent",
    temperature: float | None = None,
    num_classes: int | None = None,
    callbacks: list | None = None,
    verbose=None,
    encoder: keras.Model | None = None,
    jit_compile="auto",
):
    """`train_method` with SimCLR, whatever `config.method` says.

    Args:
        objective: SimCLR's objective, `"nt_xent"` or another two-view loss (see
            `ssl_keras.models.SimCLR`), e.g. `"positives_only"` (the collapse
            experiment).
        temperature: NT-Xent temperature; defaults to `config.temperature`.
        The other arguments are `train_method`'s.

    Returns:
        `(model, history)`: the trained `SimCLR` model and the `History` of `fit`.
    """
    config = dataclasses.replace(config, method="simclr")
    return train_method(
        config, x_train, y_train, augmentation=augmentation, num_classes=num_classes,
        callbacks=callbacks, verbose=verbose, encoder=encoder, jit_compile=jit_compile,
        objective=objective,
        temperature=config.temperature if temperature is None else temperature,
    )


class _EpochCheckpoint(keras.callbacks.Callback):
    """Saves the model and the history after every epoch, so a crash loses one epoch."""

    def __init__(self, out: Path, name: str = "simclr"):
        super().__init__()
        self.out = out
        self.name = name
        self.history: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
        write_json(self.out / "history.json", self.history)
        self.model.save(self.out / f"{self.name}.keras")


def evaluate_encoder(encoder, data, config: PretrainConfig, class_names, out: Path, tag: str):
    """Linear probe, kNN and t-SNE of one encoder; returns its metrics."""
    from ssl_keras import evaluation

    (x_train, y_train), (x_test, y_test) = data
    # The job's verbosity: 0 silent, 1 progress bars, 2 one line per pass (logs).
    verbose = config.verbose
    logger.info("[%s] extracting features", tag)
    train = evaluation.extract_features(encoder, x_train, verbose=verbose)
    test = evaluation.extract_features(encoder, x_test, verbose=verbose)
    logger.info("[%s] linear probe (%d epochs)", tag, config.probe_epochs)
    probe = evaluation.linear_probe(
        train, y_train, test, y_test, num_classes=len(class_names),
        epochs=config.probe_epochs, seed=config.seed, verbose=0,
    )
    knn = evaluation.knn_accuracy(train, y_train, test, y_test, k=config.knn_k)
    evaluation.plot_tsne(test, y_test, path=out / f"tsne_{tag}.png", class_names=class_names,
                         seed=config.seed, max_points=config.tsne_points,
                         title=f"t-SNE of {tag} features (test set)")
    return {
        "linear_probe_accuracy": float(probe.accuracy),
        "linear_probe_train_accuracy": float(probe.train_accuracy),
        "knn_accuracy": float(knn),
        "feature_dim": int(train.shape[1]),
    }


def load_data(config: PretrainConfig):
    """The dataset of `config`, as the jobs use it.

    Seeds with `config.seed` first (the embedded digits are drawn at random positions),
    and keeps the first `config.train_limit` training images if set.

    Returns:
        `(((x_train, y_train), (x_test, y_test)), class_names)`.
    """
    from ssl_keras.data import load_dataset

    keras.utils.set_random_seed(config.seed)
    if config.dataset == "cifar10":
        kwargs = {"path": config.data_dir}
    else:
        kwargs = {"image_size": config.image_size,
                  "digit_size": max(8, round(config.image_size * 0.75))}
    ((x_train, y_train), (x_test, y_test)), class_names = load_dataset(config.dataset, **kwargs)
    if config.train_limit:
        x_train, y_train = x_train[: config.train_limit], y_train[: config.train_limit]
    logger.info("%s: %d training and %d test images of shape %s", config.dataset,
                len(x_train), len(x_test), x_train.shape[1:])
    return ((x_train, y_train), (x_test, y_test)), class_names


def run_pretraining(config: PretrainConfig) -> dict:
    """Pretrains `config.method`, evaluates it and a random-init twin, writes the results.

    Writes to `config.out` (`METHOD` is `config.method`, `simclr` by default):
    `metrics.json`, `history.json`, `METHOD.keras` (saved after every epoch),
    `encoder.keras`, `tsne_METHOD.png`, `tsne_random_init.png`, `similarity_matrix.png`,
    `similarity_histograms.png` (of the two views' projections), `training_curves.png`.
    `metrics.json` holds the method's and random init's metrics under their names.

    Returns:
        The metrics written to `metrics.json`.
    """
    from ssl_keras import evaluation

    start = time.perf_counter()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    data, class_names = load_data(config)
    (x_train, y_train), (x_test, y_test) = data
    input_shape = tuple(x_train.shape[1:])

    # The random-init twin: same architecture, same seed, never trained.
    keras.utils.set_random_seed(config.seed)
    random_encoder = build_encoder(config, input_shape)

    checkpoint = _EpochCheckpoint(out, config.method)
    logger.info("%s pretraining: %d epochs, batch %d", config.method, config.epochs,
                config.batch_size)
    train_start = time.perf_counter()
    model, _ = train_method(config, x_train, y_train, num_classes=len(class_names),
                            callbacks=[checkpoint])
    encoder = model.encoder
    train_time = time.perf_counter() - train_start
    encoder.save(out / "encoder.keras")

    metrics = {
        "backend": keras.backend.backend(),
        "dataset": config.dataset,
        "method": config.method,
        "epochs": config.epochs,
        "config": dataclasses.asdict(config),
        "num_train": int(len(x_train)),
        "num_test": int(len(x_test)),
        "pretrain_time_s": round(train_time, 2),
        "final_train": checkpoint.history[-1] if checkpoint.history else {},
    }
    metrics[config.method] = evaluate_encoder(encoder, data, config, class_names, out,
                                              config.method)
    metrics["random_init"] = evaluate_encoder(random_encoder, data, config, class_names, out,
                                              "random_init")

    # Two views of a test batch through the trained model: what the loss sees.
    views = model.augmentation(x_test[:64], training=True)
    outputs = model(views, training=False)
    z_a, z_b = (keras.ops.convert_to_numpy(outputs[key]) for key in model.embedding_pair_keys)
    evaluation.plot_similarity_matrix(z_a[:32], z_b[:32], path=out / "similarity_matrix.png")
    evaluation.plot_similarity_histograms(z_a, z_b, path=out / "similarity_histograms.png")
    _plot_training_curves(checkpoint.history, out / "training_curves.png")

    metrics["wall_time_s"] = round(time.perf_counter() - start, 2)
    write_json(out / "metrics.json", metrics)
    return metrics


def _plot_training_curves(history: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    if not history:
        return
    panels = [("ssl_loss", "self-supervised loss"), ("top1_accuracy", "contrastive top-1"),
              ("embedding_std", "embedding std (collapse monitor)"),
              ("probe_accuracy", "online probe accuracy")]
    panels = [(key, title) for key, title in panels if key in history[0]]
    figure = Figure(figsize=(4 * len(panels), 3.2))
    epochs = [row["epoch"] for row in history]
    for index, (key, title) in enumerate(panels):
        axis = figure.add_subplot(1, len(panels), index + 1)
        axis.plot(epochs, [row[key] for row in history], marker="o")
        axis.set_title(title)
        axis.set_xlabel("epoch")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_json(path: Path, value, sort_keys: bool = True, default=None) -> None:
    """Writes `value` as indented JSON to `path` atomically (a temporary file, then a
    rename), so a run killed while writing never leaves a truncated file for the next run
    to resume from.

    Args:
        path: the file to write.
        value: a JSON-serialisable value.
        sort_keys: whether dictionary keys are sorted.
        default: as in `json.dumps`: called on values JSON cannot represent (e.g. `str`);
            `None` raises `TypeError` on them.
    """
    temporary = Path(str(path) + ".tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=sort_keys, default=default))
    os.replace(temporary, path)


def summary_table(metrics: dict) -> str:
    """A short human-readable comparison of the method and random init."""
    rows = [("", "linear probe", "kNN")]
    for tag in (metrics.get("method", "simclr"), "random_init"):
        rows.append((tag, f"{metrics[tag]['linear_probe_accuracy']:.1%}",
                     f"{metrics[tag]['knn_accuracy']:.1%}"))
    lines = [f"{a:<12} {b:>12} {c:>8}" for a, b, c in rows]
    lines.append(f"backend={metrics['backend']} dataset={metrics['dataset']} "
                 f"epochs={metrics['epochs']} wall_time={metrics['wall_time_s']:.0f}s")
    return "\n".join(lines)


__all__ = [
    "PRESETS",
    "PretrainConfig",
    "build_encoder",
    "config_for",
    "evaluate_encoder",
    "load_data",
    "make_optimizer",
    "method_options",
    "run_pretraining",
    "summary_table",
    "train_method",
    "train_simclr",
]
