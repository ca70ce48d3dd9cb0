"""The course's comparison: pretext tasks, SimCLR, random init and supervised, by linear probe."""

import logging
import math
import time

import keras
import numpy as np

from ssl_keras.models.colorization import Colorization
from ssl_keras.models.jigsaw_prediction import JigsawPrediction
from ssl_keras.models.rotation_prediction import RotationPrediction
from ssl_keras.pretext._base import check_seed
from ssl_keras.pretext.colorization import colorization_dataset
from ssl_keras.pretext.jigsaw import jigsaw_dataset
from ssl_keras.pretext.pretext_task import PretextTask
from ssl_keras.pretext.rotation import ROTATION_MODES, rotation_dataset
from ssl_keras.validation import check_positive_int

logger = logging.getLogger(__name__)

METHODS = ("random_init", "rotation", "jigsaw", "colorization", "simclr", "supervised")

# The course's expected linear-probe accuracies on CIFAR-10 with the small CNN (practical 6).
COURSE_CIFAR10_REFERENCE = {
    "random_init": "~28%",
    "rotation": "~55%",
    "jigsaw": "~52%",
    "colorization": "~45%",
    "simclr": "~65-70%",
    "supervised": "~75-85%",
}

_PRETEXT_METRICS = {
    "rotation": "rotation accuracy",
    "jigsaw": "permutation accuracy",
    "colorization": "colorization MSE ([0, 1] units)",
    "simclr": "contrastive top-1",
    "supervised": "train accuracy",
}


class _TransformedBatches(keras.utils.PyDataset):
    """Mini-batches in a seeded random order, each turned into `(inputs, targets)`.

    `transform(images, labels, rng)` builds the pretext task of one batch, so random
    rotations and permutations are drawn afresh every epoch, as a PyTorch `Dataset` that
    transforms in `__getitem__` does. The order and the draws come from a NumPy generator
    seeded by `seed`: runs are reproducible without global random state.
    """

    def __init__(self, images, labels, batch_size, transform, seed):
        super().__init__()
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.transform = transform
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(images))

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index):
        batch = np.sort(self._order[index * self.batch_size : (index + 1) * self.batch_size])
        return self.transform(self.images[batch], self.labels[batch], self._rng)

    def on_epoch_end(self):
        self._order = self._rng.permutation(len(self.images))


def compare_pretext_tasks(
    dataset="digits",
    epochs=10,
    methods=METHODS,
    probe_epochs: int = 50,
    batch_size: int = 128,
    width: int = 32,
    learning_rate: float = 1e-3,
    knn_k: int | None = None,
    rotation_mode: str = "random",
    simclr_crop_min_scale: float | None = None,
    simclr_temperature: float | None = None,
    data_dir: str | None = None,
    train_limit: int | None = None,
    seed: int = 0,
    verbose="auto",
    jit_compile="auto",
    encoder_builder=None,
    on_trained=None,
    custom_tasks=(),
) -> dict:
    """Trains the same encoder with each method and compares them by linear probe and kNN.

    The comparison table of the course: a random-init baseline, three pretext tasks
    (rotation, 2x2 jigsaw, colorization), SimCLR and a supervised upper bound. Every
    method starts from a fresh encoder (`small_cnn_encoder(input_shape, width=width)`, or
    `encoder_builder(input_shape)`) built after
    `keras.utils.set_random_seed(seed)`, so all start from the same weights; after
    training, the encoder is frozen, its features of the training and test images are
    extracted, and a linear probe (`ssl_keras.evaluation.linear_probe`) and a weighted
    kNN classifier (`knn_accuracy`) are fitted on the training labels and scored on the
    test images.

    - `random_init`: no training (the floor).
    - `rotation`: `RotationPrediction` on `rotation_dataset(batch, mode=rotation_mode)`.
    - `jigsaw`: `JigsawPrediction` on `jigsaw_dataset(batch)`.
    - `colorization`: `Colorization` (decoder filters `(2 * width, width, width // 2)`)
      on `colorization_dataset(batch)`.
    - `simclr`: `ssl_keras.models.SimCLR` with `SimCLRAugmentation(preset="cifar")`,
      temperature `simclr_temperature`, no online probe.
    - `supervised`: the encoder and a `Dense(num_classes)` head trained with the labels
      (the ceiling), no augmentation.
    - each task of `custom_tasks` (a `ssl_keras.pretext.PretextTask`, a pretext task of
      your own), under its `name`: `task.build_model(encoder)` (a linear head, softmax
      cross-entropy or mean squared error) on `task(batch, seed)`. Its batch function
      sees only the batch's images and a seed, never the labels.

    The pretext tasks are drawn afresh for every batch (new rotations, new permutations
    each epoch, a new seed for a custom task's batch function). Every trained method runs
    the same number of steps: `epochs` passes of `ceil(num_train / batch_size)` batches
    of `batch_size` images (with `rotation_mode="all"`, batches of `batch_size // 4`
    images in their 4 rotations), with Adam whose learning rate decays from
    `learning_rate` to 0 (cosine).

    On the embedded digits, read the table with two caveats: a random small CNN is
    already a strong feature extractor for these simple shapes (the floor is high), and
    the digits are gray, so colorization degenerates into an autoencoder (the target is
    the input). The course's figures (`COURSE_CIFAR10_REFERENCE`) are for CIFAR-10.

    Args:
        dataset: `"digits"` (embedded, no download), `"cifar10"`, or arrays
            `((x_train, y_train), (x_test, y_test))` of square RGB images in `[0, 255]`
            whose sides are divisible by 8, with integer labels.
        epochs: training epochs of every method, or a dict `{method: epochs}`.
        methods: the methods to run, a subset of `METHODS` and of the names of
            `custom_tasks`, in the order of the results; a custom task not named here is
            run after them.
        probe_epochs: epochs of the linear probe.
        batch_size: images per training batch.
        width: channels of the small CNN's first block (64 in the course).
        learning_rate: Adam's initial learning rate.
        knn_k: neighbours of the kNN classifier; `None` means 200 (the literature's value)
            with at least 10,000 training images, else 20.
        rotation_mode: `"random"` (one random rotation per image and epoch, default) or
            `"all"` (RotNet's four rotations of each image in the same batch).
        simclr_crop_min_scale: smallest area fraction of SimCLR's random resized crop;
            `None` means 0.08 (SimCLR's value) for images larger than 16 pixels, else 0.3.
        simclr_temperature: SimCLR's NT-Xent temperature; `None` means 0.5 (SimCLR's
            CIFAR-10 value) for images larger than 16 pixels, else 0.2 (measured better on
            the 16x16 digits, as in `ssl-keras pretrain`'s digits preset).
        data_dir: folder of CIFAR-10 (see `ssl_keras.data.load_cifar10`).
        train_limit: use at most this many training images (`None`: all).
        seed: seed of the encoders' initialisation, the batches and the probes.
        verbose: verbosity of `fit` (`"auto"`, 0, 1 or 2); progress is also logged.
        jit_compile: passed to the training models' `compile`.
        encoder_builder: a function `(input_shape) -> encoder` that builds the encoder
            shared by all methods, with a static input size (e.g.
            `lambda shape: cifar_resnet18_encoder(shape)`); defaults to
            `small_cnn_encoder(input_shape, width=width)`.
        on_trained: optional function `(method, encoder)` called with each method's
            encoder after its training and before its evaluation (the untrained encoder
            for `random_init`), e.g. to keep the encoders for a t-SNE plot of their
            features.
        custom_tasks: pretext tasks of your own (`ssl_keras.pretext.PretextTask`), each
            trained and compared like the built-in ones with the same encoder, initial
            weights, optimizer and number of steps.

    Returns:
        A dict `{method: metrics}` in the order of `methods`; `metrics` holds
        `"linear_probe_accuracy"`, `"knn_accuracy"`, `"linear_probe_train_accuracy"`,
        `"pretext_metric"` (name) and `"pretext_value"` (its value at the last epoch,
        `None` for `random_init`), `"epochs"` and `"train_time_s"`.

    Raises:
        ValueError: for an unknown method or dataset, malformed arrays, or arguments out
            of range.

    Example:
    >>> results = compare_pretext_tasks("digits", epochs=5)  # doctest: +SKIP
    >>> print(format_comparison_table(results))  # doctest: +SKIP
    """
    from ssl_keras.evaluation import extract_features, knn_accuracy, linear_probe
    from ssl_keras.models import small_cnn_encoder

    custom = _check_custom_tasks(custom_tasks)
    methods = tuple(methods)
    unknown = [method for method in methods if method not in METHODS and method not in custom]
    if unknown or not methods or len(set(methods)) != len(methods):
        raise ValueError(f"`methods` should be a non-empty subset of {METHODS} and of the "
                         f"names of `custom_tasks` {tuple(custom)}, each once. "
                         f"Received: methods={methods}")
    methods += tuple(name for name in custom if name not in methods)
    if encoder_builder is not None and not callable(encoder_builder):
        raise ValueError("`encoder_builder` should be a function (input_shape) -> encoder. "
                         f"Received: encoder_builder={encoder_builder!r}")
    if on_trained is not None and not callable(on_trained):
        raise ValueError("`on_trained` should be a function (method, encoder). "
                         f"Received: on_trained={on_trained!r}")
    if rotation_mode not in ROTATION_MODES:
        raise ValueError(f"`rotation_mode` should be one of {ROTATION_MODES}. "
                         f"Received: rotation_mode={rotation_mode!r}")
    for name, value in (("probe_epochs", probe_epochs), ("batch_size", batch_size),
                        ("width", width)):
        check_positive_int(value, name)
    if rotation_mode == "all" and batch_size < 4:
        raise ValueError(f"`batch_size` should be >= 4 with rotation_mode='all'. "
                         f"Received: batch_size={batch_size}")
    seed = check_seed(seed)
    epochs_per_method = _epochs_per_method(epochs, methods)

    (x_train, y_train), (x_test, y_test) = _load(dataset, data_dir)
    if train_limit is not None:
        check_positive_int(train_limit, "train_limit")
        x_train, y_train = x_train[:train_limit], y_train[:train_limit]
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    input_shape = tuple(x_train.shape[1:])
    if knn_k is None:
        knn_k = 200 if len(x_train) >= 10_000 else 20
    knn_k = min(check_positive_int(knn_k, "knn_k"), len(x_train))
    if simclr_crop_min_scale is None:
        simclr_crop_min_scale = 0.08 if input_shape[0] > 16 else 0.3
    if simclr_temperature is None:
        simclr_temperature = 0.5 if input_shape[0] > 16 else 0.2
    logger.info("Comparing %s on %d training / %d test images of shape %s",
                ", ".join(methods), len(x_train), len(x_test), input_shape)

    results = {}
    for method in methods:
        method_epochs = epochs_per_method[method]
        keras.utils.set_random_seed(seed)
        if encoder_builder is None:
            encoder = small_cnn_encoder(input_shape, width=width, name=f"{method}_encoder")
        else:
            encoder = encoder_builder(input_shape)
        if method == "random_init":
            logger.info("[%s] not trained", method)
        else:
            logger.info("[%s] training for %d epochs", method, method_epochs)
        start = time.perf_counter()
        pretext_value = _train(
            custom.get(method, method), encoder, x_train, y_train, num_classes,
            method_epochs, batch_size, learning_rate, rotation_mode,
            (simclr_crop_min_scale, simclr_temperature), width, seed, verbose, jit_compile,
        )
        train_time = time.perf_counter() - start
        if on_trained is not None:
            on_trained(method, encoder)
        train_features = extract_features(encoder, x_train, verbose=0)
        test_features = extract_features(encoder, x_test, verbose=0)
        probe = linear_probe(train_features, y_train, test_features, y_test,
                             num_classes=num_classes, epochs=probe_epochs, seed=seed,
                             verbose=0)
        knn = knn_accuracy(train_features, y_train, test_features, y_test, k=knn_k,
                           num_classes=num_classes)
        results[method] = {
            "linear_probe_accuracy": float(probe.accuracy),
            "linear_probe_train_accuracy": float(probe.train_accuracy),
            "knn_accuracy": float(knn),
            "pretext_metric": (custom[method].metric_name if method in custom
                               else _PRETEXT_METRICS.get(method)),
            "pretext_value": pretext_value,
            "epochs": method_epochs if method != "random_init" else 0,
            "train_time_s": round(train_time, 2),
        }
        logger.info("[%s] linear probe %.4f, kNN %.4f (%.0f s training)", method,
                    probe.accuracy, knn, train_time)
    return results


def _check_custom_tasks(custom_tasks) -> dict:
    """`{name: task}` of the custom tasks, or `ValueError`."""
    try:
        tasks = list(custom_tasks)
    except TypeError:
        tasks = [custom_tasks]
    custom = {}
    for task in tasks:
        if not isinstance(task, PretextTask):
            raise ValueError("`custom_tasks` should hold `ssl_keras.pretext.PretextTask` "
                             f"objects. Received: {task!r}")
        if task.name in METHODS or task.name in custom:
            raise ValueError(f"Each custom task needs a name of its own, not one of {METHODS} "
                             f"nor another custom task's. Received: name={task.name!r}")
        custom[task.name] = task
    return custom


def _train(method, encoder, x_train, y_train, num_classes, epochs, batch_size, learning_rate,
           rotation_mode, simclr_settings, width, seed, verbose, jit_compile):
    """Trains `encoder` in place with `method` (a name of `METHODS` or a `PretextTask`);
    returns the last epoch's pretext metric."""
    if method == "random_init":
        return None
    if method == "simclr":
        crop_min_scale, temperature = simclr_settings
        return _train_simclr(encoder, x_train, epochs, batch_size, learning_rate,
                             crop_min_scale, temperature, seed, verbose, jit_compile)
    images_per_batch = batch_size
    if isinstance(method, PretextTask):
        task = method
        model = task.build_model(encoder)
        metric = "accuracy" if task.is_classification else "loss"

        def transform(images, labels, rng):  # the labels never reach the task
            return task(images, seed=_draw_seed(rng))
    elif method == "rotation":
        model, metric = RotationPrediction(encoder), "accuracy"
        if rotation_mode == "all":
            images_per_batch = batch_size // 4

        def transform(images, labels, rng):
            return rotation_dataset(images, mode=rotation_mode, seed=_draw_seed(rng))
    elif method == "jigsaw":
        model, metric = JigsawPrediction(encoder), "accuracy"

        def transform(images, labels, rng):
            return jigsaw_dataset(images, seed=_draw_seed(rng))
    elif method == "colorization":
        model = Colorization(encoder, decoder_filters=(2 * width, width, max(1, width // 2)))
        metric = "loss"

        def transform(images, labels, rng):
            return colorization_dataset(images)
    else:  # supervised
        outputs = keras.layers.Dense(num_classes, name="classifier")(encoder.output)
        model, metric = keras.Model(encoder.input, outputs, name="supervised"), "accuracy"

        def transform(images, labels, rng):
            return images, labels

    batches = _TransformedBatches(x_train, y_train, images_per_batch, transform, seed)
    model.compile(
        optimizer=keras.optimizers.Adam(_schedule(learning_rate, epochs * len(batches))),
        loss=None if method != "supervised"
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=None if metric == "loss" else ["accuracy"],
        jit_compile=jit_compile,
    )
    history = model.fit(batches, epochs=epochs, shuffle=False, verbose=verbose)
    return float(history.history[metric][-1])


def _train_simclr(encoder, x_train, epochs, batch_size, learning_rate, crop_min_scale,
                  temperature, seed, verbose, jit_compile):
    from ssl_keras.layers import SimCLRAugmentation
    from ssl_keras.models import SimCLR

    height, width = x_train.shape[1:3]
    augmentation = SimCLRAugmentation(preset="cifar", height=height, width=width,
                                      crop_scale=(crop_min_scale, 1.0), seed=seed)
    model = SimCLR(encoder, augmentation=augmentation, temperature=temperature)
    batches = _TransformedBatches(x_train, np.zeros(len(x_train)), batch_size,
                                  lambda images, labels, rng: (images,), seed)
    model.compile(optimizer=keras.optimizers.Adam(
        _schedule(learning_rate, epochs * len(batches))), jit_compile=jit_compile)
    history = model.fit(batches, epochs=epochs, shuffle=False, verbose=verbose)
    return float(history.history["top1_accuracy"][-1])


def _schedule(learning_rate, steps):
    return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, steps))


def _draw_seed(rng) -> int:
    return int(rng.integers(0, 2**31 - 1))



def _epochs_per_method(epochs, methods) -> dict:
    if isinstance(epochs, dict):
        missing = [m for m in methods if m != "random_init" and m not in epochs]
        if missing:
            raise ValueError(f"`epochs` should give the epochs of every trained method. "
                             f"Missing: {missing}")
        values = {m: epochs.get(m, 0) for m in methods}
    else:
        values = {m: epochs for m in methods}
    for method, value in values.items():
        if method != "random_init":
            check_positive_int(value, "epochs")
    return values


def _load(dataset, data_dir):
    if isinstance(dataset, str):
        from ssl_keras.data import load_dataset

        kwargs = {"path": data_dir} if dataset == "cifar10" else {}
        (train, test), _ = load_dataset(dataset, **kwargs)
    else:
        try:
            train, test = dataset
            train, test = tuple(train), tuple(test)
        except (TypeError, ValueError):
            raise ValueError(
                "`dataset` should be 'digits', 'cifar10' or ((x_train, y_train), "
                f"(x_test, y_test)). Received: {type(dataset).__name__}"
            ) from None
    (x_train, y_train), (x_test, y_test) = train, test
    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    y_train = np.asarray(y_train).reshape(-1).astype("int32")
    y_test = np.asarray(y_test).reshape(-1).astype("int32")
    if (x_train.ndim != 4 or x_test.shape[1:] != x_train.shape[1:] or x_train.shape[3] != 3
            or x_train.shape[1] != x_train.shape[2] or x_train.shape[1] % 8):
        raise ValueError(
            "The images should be square RGB arrays (num_images, size, size, 3) with the "
            f"size divisible by 8. Received: x_train.shape={x_train.shape}, "
            f"x_test.shape={x_test.shape}"
        )
    if len(y_train) != len(x_train) or len(y_test) != len(x_test):
        raise ValueError(
            "Each image should have one label. Received: "
            f"{len(x_train)} training images and {len(y_train)} labels, "
            f"{len(x_test)} test images and {len(y_test)} labels"
        )
    return (x_train, y_train), (x_test, y_test)


def format_comparison_table(results: dict, course_reference: bool = False) -> str:
    """The comparison as a Markdown table, one row per method.

    Args:
        results: the dict returned by `compare_pretext_tasks`.
        course_reference: add a column with the course's expected CIFAR-10 linear-probe
            accuracies (`COURSE_CIFAR10_REFERENCE`).

    Returns:
        A Markdown string.

    Example:
    >>> results = {"random_init": {"linear_probe_accuracy": 0.25, "knn_accuracy": 0.2,
    ...            "pretext_metric": None, "pretext_value": None, "epochs": 0,
    ...            "train_time_s": 0.0}}
    >>> print(format_comparison_table(results).splitlines()[2])
    | random_init | 25.0% | 20.0% | - | 0 | 0 |
    """
    header = ["Method", "Linear probe", "kNN", "Pretext task (last epoch)", "Epochs",
              "Train time (s)"]
    if course_reference:
        header.append("Course, CIFAR-10 probe")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method, metrics in results.items():
        pretext = "-"
        if metrics.get("pretext_value") is not None:
            value = metrics["pretext_value"]
            shown = f"{value:.4f}" if "MSE" in str(metrics["pretext_metric"]) else f"{value:.1%}"
            pretext = f"{metrics['pretext_metric']} {shown}"
        row = [method, f"{metrics['linear_probe_accuracy']:.1%}",
               f"{metrics['knn_accuracy']:.1%}", pretext, str(metrics.get("epochs", "-")),
               f"{metrics.get('train_time_s', 0):.0f}"]
        if course_reference:
            row.append(COURSE_CIFAR10_REFERENCE.get(method, "-"))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot_comparison(results: dict, path=None, title: str = "Linear probe and kNN accuracy"):
    """Bar plot of the linear-probe and kNN accuracies of each method.

    Args:
        results: the dict returned by `compare_pretext_tasks`.
        path: where to save the PNG; `None` to only return the figure.
        title: the figure's title.

    Returns:
        A `matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    methods = list(results)
    positions = np.arange(len(methods))
    figure = Figure(figsize=(max(5.0, 1.2 * len(methods) + 1.5), 3.8))
    axis = figure.add_subplot(1, 1, 1)
    bar_width = 0.38
    for offset, key, label in ((-0.5, "linear_probe_accuracy", "linear probe"),
                               (0.5, "knn_accuracy", "kNN")):
        values = [100 * results[m][key] for m in methods]
        bars = axis.bar(positions + offset * bar_width, values, bar_width, label=label)
        axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_xticks(positions)
    axis.set_xticklabels(methods, rotation=20)
    axis.set_ylabel("test accuracy (%)")
    axis.set_ylim(0, 105)
    axis.set_title(title)
    axis.legend(loc="upper left")
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=110)
    return figure
