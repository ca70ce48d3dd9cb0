"""Visible checks of the pretext_tasks assignment: three pretext-task transforms and one of
the student's own.

- `rotation_batch(images) -> (rotated, labels)`: every image in its 4 rotations, `(4N, ...)`.
- `jigsaw_shuffle(images, permutation_indices)`: the 2x2 tiles reordered.
- `colorization_pair(images) -> (grayscale, targets)`: grayscale inputs and colour targets.
- `my_pretext_task`: a `ssl_keras.pretext.PretextTask` (a name, a batch function
  `(images, seed) -> (inputs, targets)` and `num_classes` or `target_shape`) that the
  student invented. Its cases check that it is a *valid* pretext task, whatever its
  design: the spec is complete, every batch has one example per image in the encoder's
  format and targets as the spec says, the same seed gives the same batch, the targets
  vary from image to image, identical inputs get identical targets (the targets can be
  computed from the inputs, which labels read from elsewhere cannot), and the comparison
  trains an encoder on it and probes it. Each of these measures raises
  `InvalidPretextTask` with what is wrong, or returns a value every valid task gives (the
  inputs' shape, 1), so the stored expected values hold for every valid design. Since
  those values are known in advance, a batch function that replaces functions of these
  checks or of NumPy while it runs fails (`_untouched`); code run while the answers are
  loaded (a class body, a default argument) is beyond what a check can see, as in every
  assignment.

Each case compares ONE array with its stored expected value (`checks/expected/
pretext_tasks.json`): the functions that return a pair are measured one part at a time by
the harnesses below (`rotated_images`, `rotation_labels`, `grayscale_inputs`,
`colour_targets`), so that integer labels stay integers and a failing case names the part.
The grader's reference implementations and hidden cases are not in this module.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case

NAME = "pretext_tasks"

TASKS = {
    "rotation_tests": "rotation_batch",
    "jigsaw_tests": "jigsaw_shuffle",
    "colorization_tests": "colorization_pair",
    "my_pretext_tests": "my_pretext_task",
}


def random_images(seed: int, shape: tuple[int, ...], dtype: str = "uint8") -> list[np.ndarray]:
    """Random images with values in [0, 255] from a seeded generator, as an input list."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=shape).astype(dtype)]


# ------------------------------------------------------------------ measure harnesses


def _pair(result, task: str, names: str):
    if not isinstance(result, tuple | list) or len(result) != 2:
        length = f" of length {len(result)}" if isinstance(result, tuple | list) else ""
        raise TypeError(f"{task} should return a pair {names}; it returned "
                        f"{type(result).__name__}{length}")
    return result


def rotated_images(rotation_batch, images, rows=None):
    """The rotated images of `rotation_batch(images)` (only `rows`, if given)."""
    rotated = _core.to_array(
        _pair(rotation_batch(images), "rotation_batch", "(rotated, labels)")[0])
    return rotated if rows is None else rotated[rows]


def rotation_labels(rotation_batch, images):
    """The labels of `rotation_batch(images)`."""
    return _pair(rotation_batch(images), "rotation_batch", "(rotated, labels)")[1]


def grayscale_inputs(colorization_pair, images):
    """The grayscale inputs of `colorization_pair(images)`."""
    return _pair(colorization_pair(images), "colorization_pair", "(grayscale, targets)")[0]


def colour_targets(colorization_pair, images):
    """The colour targets of `colorization_pair(images)`."""
    return _pair(colorization_pair(images), "colorization_pair", "(grayscale, targets)")[1]


def colorization_dtypes(colorization_pair, images):
    """`[grayscale is float32, targets is float32]` (1 = yes, 0 = another dtype)."""
    pair = _pair(colorization_pair(images), "colorization_pair", "(grayscale, targets)")
    return np.array([int(_core.to_array(part).dtype == np.float32) for part in pair])


# ------------------------------------------------------------------ your own pretext task

IMAGE_SHAPE = (16, 16, 3)  # the notebook's digits, the encoder's input
# The comparison's rows: a task of your own needs another name.
BUILT_IN_METHODS = ("random_init", "rotation", "jigsaw", "colorization", "simclr",
                    "supervised")
TASK_FORM = ("pretext.PretextTask(name, my_pretext_batch, num_classes=K) or "
             "pretext.PretextTask(name, my_pretext_batch, target_shape=S)")


class InvalidPretextTask(ValueError):
    """What makes a pretext task invalid, in words."""


def stroke_images(seed: int, count: int) -> np.ndarray:
    """`count` images like the notebook's digits: uint8 `(count, 16, 16, 3)`, gray (three
    equal channels), a few bright strokes at a random place on a darker random background,
    with noise, from a seeded generator."""
    rng = np.random.default_rng(seed)
    images = np.empty((count,) + IMAGE_SHAPE, "uint8")
    steps = np.linspace(0.0, 1.0, 12)
    for index in range(count):
        canvas = np.full(IMAGE_SHAPE[:2], rng.uniform(0, 90))
        top, left = rng.integers(0, 7, size=2)
        stroke = rng.uniform(150, 255)
        for _ in range(rng.integers(2, 4)):
            (r0, c0), (r1, c1) = rng.integers(0, 10, size=(2, 2))
            rows = np.rint(r0 + steps * (r1 - r0)).astype(int) + top
            columns = np.rint(c0 + steps * (c1 - c0)).astype(int) + left
            canvas[rows, columns] = stroke
        canvas += rng.normal(0.0, 12.0, canvas.shape)
        images[index] = np.clip(canvas, 0, 255).astype("uint8")[..., None]
    return images


def _spec(task):
    """(name, batch function, num_classes or None, target_shape or None) of `task`."""
    missing = [a for a in ("name", "batch_function", "num_classes", "target_shape")
               if not hasattr(task, a)]
    if missing:
        raise InvalidPretextTask(
            f"my_pretext_task should be {TASK_FORM}; it is {type(task).__name__}, without "
            f"{', '.join(missing)}")
    name, function = task.name, task.batch_function
    num_classes, target_shape = task.num_classes, task.target_shape
    if not isinstance(name, str) or not name.strip():
        raise InvalidPretextTask(f"the task's name should be a non-empty string; it is {name!r}")
    if name in BUILT_IN_METHODS:
        raise InvalidPretextTask(f"the name {name!r} is a built-in method's: give your task "
                                 "a name of its own (its row in the comparison)")
    if not callable(function):
        raise InvalidPretextTask("the task's batch function is not a function")
    if (num_classes is None) == (target_shape is None):
        raise InvalidPretextTask("give exactly one of num_classes (class labels) and "
                                 "target_shape (a regression)")
    if num_classes is not None and (
            isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer)
            or num_classes < 2):
        raise InvalidPretextTask(f"num_classes should be an integer >= 2; it is {num_classes!r}")
    if target_shape is not None:
        if not isinstance(target_shape, tuple | list) or any(
                isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1
                for size in target_shape):
            raise InvalidPretextTask("target_shape should be a tuple of positive integers "
                                     f"(() for one number); it is {target_shape!r}")
        target_shape = tuple(int(size) for size in target_shape)
    return name, function, num_classes, target_shape


def _numbers(value, what: str) -> np.ndarray:
    try:
        array = np.asarray(_core.to_array(value))
    except Exception:  # noqa: BLE001 (reported in words)
        array = None
    if array is None or array.dtype.kind not in "biuf":
        raise InvalidPretextTask(f"the {what} are not an array of numbers")
    return array


def _run(task, images, seed):
    """`(inputs, targets)` of one call of the task's batch function, checked against the
    spec: one example per image, in the encoder's format; raises `InvalidPretextTask`."""
    _, function, num_classes, target_shape = _spec(task)
    images = np.array(images)  # a copy: the function may write into its argument
    untouched = _untouched  # taken before the task's code runs, which cannot swap it then
    result = function(images, seed)
    untouched()
    if not isinstance(result, tuple | list) or len(result) != 2:
        length = f" of length {len(result)}" if isinstance(result, tuple | list) else ""
        raise InvalidPretextTask("the batch function should return a pair (inputs, targets); "
                                 f"it returned {type(result).__name__}{length}")
    inputs, targets = _numbers(result[0], "inputs"), _numbers(result[1], "targets")
    count = len(images)
    if inputs.shape != images.shape:
        raise InvalidPretextTask(
            f"the inputs have shape {inputs.shape}; for {count} images of shape "
            f"{images.shape[1:]} they should have shape {images.shape}: one example per "
            "image, in the encoder's input shape")
    if inputs.dtype not in (np.uint8, np.float32):
        raise InvalidPretextTask(f"the inputs are {inputs.dtype}; the encoder takes uint8 or "
                                 "float32 (e.g. `inputs.astype('float32')`)")
    if not np.all(np.isfinite(inputs)) or inputs.min() < 0 or inputs.max() > 255:
        raise InvalidPretextTask(
            f"the inputs have values in [{inputs.min():.4g}, {inputs.max():.4g}]; the encoder "
            "takes images in [0, 255], as the digits")
    if num_classes is not None:
        if targets.shape != (count,):
            hint = " (integer labels, not one-hot)" if targets.shape == (count, num_classes) \
                else ""
            raise InvalidPretextTask(f"the targets have shape {targets.shape}; class labels "
                                     f"should have shape ({count},), one per image{hint}")
        if targets.dtype.kind not in "iu":
            raise InvalidPretextTask(f"the labels are {targets.dtype}; class labels should be "
                                     "integers (e.g. `labels.astype('int32')`)")
        if targets.min() < 0 or targets.max() >= num_classes:
            raise InvalidPretextTask(
                f"the labels are in [{targets.min()}, {targets.max()}]; with num_classes="
                f"{num_classes} they should be in [0, {num_classes - 1}]")
    else:
        if targets.shape != (count,) + target_shape:
            raise InvalidPretextTask(
                f"the targets have shape {targets.shape}; with target_shape={target_shape} "
                f"they should have shape {(count,) + target_shape}")
        if targets.dtype != np.float32:
            raise InvalidPretextTask(f"the targets are {targets.dtype}; regression targets "
                                     "should be float32 (e.g. `targets.astype('float32')`)")
        if not np.all(np.isfinite(targets)):
            raise InvalidPretextTask("the targets hold NaN or infinity")
    return inputs, targets


def pretext_spec(task):
    """1 if `task` is complete: a name of its own, a batch function, num_classes or
    target_shape."""
    _spec(task)
    return 1


def pretext_batch_shape(task, images, seed):
    """The shape of the inputs of one batch (every target checked against the spec)."""
    inputs, _ = _run(task, images, seed)
    return np.array(inputs.shape)


def pretext_deterministic(task, images, seed):
    """1 if two calls with the same images and seed give the same inputs and targets."""
    first, second = _run(task, images, seed), _run(task, images, seed)
    for part, a, b in zip(("inputs", "targets"), first, second):
        if a.dtype != b.dtype or not np.array_equal(a, b):
            raise InvalidPretextTask(
                f"two calls with the same images and seed={seed} gave different {part}: "
                "draw every random number from `np.random.default_rng(seed)`")
    return 1


def pretext_targets_vary(task, images, seed):
    """1 if the targets of a batch are not all the same."""
    _, targets = _run(task, images, seed)
    if np.all(targets == targets[:1]):
        raise InvalidPretextTask(
            f"every one of the {len(images)} images got the same target: a constant is "
            "learnt without looking at the image")
    return 1


def pretext_targets_from_inputs(task, images, seed, copies: int = 4):
    """1 if identical inputs get identical targets, on a batch that holds each image
    `copies` times in a shuffled order. A target that the input does not determine (a
    random label the input does not show, a label looked up by position in a dataset)
    cannot be predicted from the input."""
    images = np.asarray(images)
    order = np.random.default_rng(len(images)).permutation(len(images) * copies)
    inputs, targets = _run(task, np.repeat(images, copies, axis=0)[order], seed)
    seen = {}
    for row in range(len(inputs)):
        key = inputs[row].tobytes()
        if key not in seen:
            seen[key] = row
            continue
        first = seen[key]
        same = (np.array_equal(targets[first], targets[row]) if targets.dtype.kind in "iu"
                else np.allclose(targets[first], targets[row], rtol=1e-5, atol=1e-6))
        if not same:
            raise InvalidPretextTask(
                f"rows {first} and {row} of the batch have identical inputs but different "
                "targets: the targets must be computable from the inputs alone (computed "
                "from the image and the change you made, never from a dataset's labels)")
    return 1


def _small_encoder(input_shape):
    """A one-convolution encoder: the comparison's path, compiled in seconds."""
    import keras

    inputs = keras.Input(input_shape)
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))


def pretext_trained_and_probed(task, images, labels):
    """1 if `compare_pretext_tasks` trains an encoder on the task (one epoch on `images`,
    with a one-convolution encoder) and reports its linear probe and kNN accuracies (in
    [0, 1]) and its pretext metric (finite) in the task's row."""
    from ssl_keras.experiments import compare_pretext_tasks
    from ssl_keras.pretext import PretextTask

    name, function, num_classes, target_shape = _spec(task)
    # What is wrong, in words, before any training.
    pretext_deterministic(task, images[:8], 0)
    pretext_targets_vary(task, images, 0)
    pretext_targets_from_inputs(task, images[:8], 0, copies=2)
    data = (np.asarray(images), np.asarray(labels))
    untouched = _untouched
    try:
        if not isinstance(task, PretextTask):
            task = PretextTask(name, function, num_classes=num_classes,
                               target_shape=target_shape)
        results = compare_pretext_tasks(
            (data, data), epochs=1, methods=(name,), custom_tasks=(task,), probe_epochs=2,
            batch_size=32, knn_k=5, seed=0, verbose=0, encoder_builder=_small_encoder)
    except InvalidPretextTask:
        raise
    except Exception as error:  # noqa: BLE001 (reported in words)
        raise InvalidPretextTask(f"training on the task failed: {type(error).__name__}: "
                                 f"{str(error)[:300]}") from None
    untouched()
    row = results.get(name) if isinstance(results, dict) else None
    if not isinstance(row, dict):
        raise InvalidPretextTask(f"the comparison has no row {name!r}")
    for key in ("linear_probe_accuracy", "knn_accuracy"):
        if not 0.0 <= float(row.get(key, -1.0)) <= 1.0:
            raise InvalidPretextTask(f"the row's {key} is {row.get(key)!r}, not in [0, 1]")
    if not np.isfinite(float(row.get("pretext_value", np.nan))):
        raise InvalidPretextTask(f"training ended with the pretext metric at "
                                 f"{row.get('pretext_value')!r} (NaN: a label out of range "
                                 "or huge targets?)")
    return 1


# ------------------------------------------------------------------ visible cases

_SMALL = lambda: [np.arange(2 * 3 * 3 * 1).reshape(2, 3, 3, 1)]  # noqa: E731
_COLOUR = lambda: random_images(3, (2, 3, 3, 3))  # noqa: E731
_TILES = np.array([[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]])[..., None]

CLOCKWISE = ("clockwise", "you rotated clockwise: k quarter turns COUNTER-clockwise, as "
             "np.rot90(image, k) on the height and width axes")
GROUPED = ("grouped_by_rotation", "the copies are grouped by rotation (all images at 0 "
           "degrees, then all at 90, ...); rows 4i + k hold image i rotated k times")
COLUMN_MAJOR = ("column_major", "the tiles are numbered down the columns; they are numbered "
                "row-major: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right")
INVERSE = ("inverse_permutation", "tile t was moved TO position p[t] (the inverse "
           "permutation); position t must receive tile p[t]")

VISIBLE: dict[str, Case] = {
    "rotation_labels": Case(
        "rotation_batch", _SMALL, measure="rotation_labels", mistakes=(GROUPED,),
        description="Labels of 2 images (each image 4 times, rotated by 0, 1, 2, 3 quarter "
                    "turns: labels 0, 1, 2, 3, 0, 1, 2, 3)"),
    "rotation_unchanged": Case(
        "rotation_batch", _SMALL, {"rows": 0}, measure="rotated_images",
        description="Row 0: image 0 rotated by 0 quarter turns (the image unchanged)"),
    "rotation_quarter_turn": Case(
        "rotation_batch", _SMALL, {"rows": 1}, measure="rotated_images",
        mistakes=(CLOCKWISE, GROUPED),
        description="Row 1: image 0 rotated by 1 quarter turn (90 degrees COUNTER-clockwise, "
                    "as np.rot90)"),
    "rotation_all": Case(
        "rotation_batch", _SMALL, measure="rotated_images", mistakes=(CLOCKWISE, GROUPED),
        description="All 8 rotated images of 2 one-channel 3x3 images"),
    "rotation_rgb": Case(
        "rotation_batch", lambda: random_images(1, (1, 4, 4, 3)), measure="rotated_images",
        mistakes=(CLOCKWISE,),
        description="Rotations of an RGB image (rotate height and width, keep the channels)"),
    "jigsaw_identity": Case(
        "jigsaw_shuffle", lambda: [_TILES, np.array([0])],
        description="Permutation 0 is the identity (0, 1, 2, 3)"),
    "jigsaw_swap": Case(
        "jigsaw_shuffle", lambda: [_TILES, np.array([6])], mistakes=(COLUMN_MAJOR,),
        description="Permutation 6 = (1, 0, 2, 3): position 0 (top-left) gets tile 1 "
                    "(top-right)"),
    "jigsaw_mixed": Case(
        "jigsaw_shuffle",
        lambda: random_images(2, (5, 4, 6, 3)) + [np.array([0, 3, 10, 17, 23])],
        mistakes=(INVERSE, COLUMN_MAJOR),
        description="5 RGB images of 4x6 with different permutations"),
    "colorization_grayscale": Case(
        "colorization_pair", _COLOUR, measure="grayscale_inputs",
        rtol=1e-5, atol=1e-3,
        mistakes=(
            ("one_channel", "the grayscale inputs have one channel; copy the luma into 3 "
                            "identical channels, shape (N, H, W, 3)"),
            ("channel_mean", "you averaged R, G and B; the luma is 0.2989 R + 0.587 G + "
                             "0.114 B (LUMA_WEIGHTS)"),
            ("rounded", "you rounded the luma; keep its exact (float) values"),
        ),
        description="Grayscale inputs of 2 RGB images (luma 0.2989 R + 0.587 G + 0.114 B "
                    "in [0, 255], in 3 identical channels)"),
    "colorization_targets": Case(
        "colorization_pair", _COLOUR, measure="colour_targets",
        mistakes=(("targets_in_unit_range", "you divided the targets by 255; they are the "
                                            "colour images unchanged, in [0, 255]"),),
        description="Targets (the colour images, unchanged, as floats)"),
    "colorization_float32": Case(
        "colorization_pair", _COLOUR, measure="colorization_dtypes",
        mistakes=(("float64", "you returned float64 arrays; return float32 (e.g. "
                              "np.asarray(images, dtype='float32'))"),
                  ("rounded", "the grayscale inputs are integers; return float32")),
        description="Both outputs are float32 (the value compared is [grayscale is float32, "
                    "targets is float32], 1 = yes)"),
    "my_pretext_spec": Case(
        "my_pretext_task", lambda: [], measure="pretext_spec",
        description="Your task's spec: " + TASK_FORM + ", with a name of its own (the value "
                    "compared is 1 = complete)"),
    "my_pretext_format": Case(
        "my_pretext_task", lambda: [stroke_images(1, 8), 0], measure="pretext_batch_shape",
        description="A batch of 8 digit-like images, seed 0: inputs of shape (8, 16, 16, 3), "
                    "uint8 or float32 in [0, 255], and targets as your spec says (the value "
                    "compared is the inputs' shape)"),
    "my_pretext_one_image": Case(
        "my_pretext_task", lambda: [stroke_images(2, 1), 1], measure="pretext_batch_shape",
        description="A batch of ONE image, seed 1 (any batch size works)"),
    "my_pretext_deterministic": Case(
        "my_pretext_task", lambda: [stroke_images(3, 6), 3], measure="pretext_deterministic",
        description="The same 6 images and seed 3, twice: the same inputs and targets (the "
                    "value compared is 1 = yes)"),
    "my_pretext_targets_vary": Case(
        "my_pretext_task", lambda: [stroke_images(4, 64), 4], measure="pretext_targets_vary",
        description="64 images, seed 4: the targets are not all the same (1 = yes)"),
    "my_pretext_targets_from_inputs": Case(
        "my_pretext_task", lambda: [stroke_images(5, 8), 5], {"copies": 4},
        measure="pretext_targets_from_inputs",
        description="8 images, each 4 times in a shuffled batch, seed 5: identical inputs "
                    "get identical targets (1 = yes)"),
    "my_pretext_trained": Case(
        "my_pretext_task", lambda: [stroke_images(6, 64), np.arange(64) % 4],
        measure="pretext_trained_and_probed",
        description="The comparison trains an encoder on your task (one epoch on 64 images) "
                    "and its row holds a linear probe and a kNN accuracy (1 = yes)"),
}


def check_rotation_batch(rotation_batch) -> None:
    """Visible checks of `rotation_batch(images) -> (rotated_images, labels)`."""
    _core.check(sys.modules[__name__], "rotation_batch", rotation_batch)


def check_jigsaw_shuffle(jigsaw_shuffle) -> None:
    """Visible checks of `jigsaw_shuffle(images, permutation_indices)`."""
    _core.check(sys.modules[__name__], "jigsaw_shuffle", jigsaw_shuffle)


def check_colorization_pair(colorization_pair) -> None:
    """Visible checks of `colorization_pair(images) -> (grayscale_inputs, targets)`."""
    _core.check(sys.modules[__name__], "colorization_pair", colorization_pair)


def check_my_pretext_task(my_pretext_task) -> None:
    """Visible checks of your `PretextTask`: a valid pretext task, trained and probed."""
    _core.check(sys.modules[__name__], "my_pretext_task", my_pretext_task)


# ------------------------------------------------------------------ nothing changed

_NUMPY_NAMES = ("array", "asarray", "array_equal", "allclose", "isfinite", "all", "repeat",
                "clip", "rint", "linspace", "full", "empty")


def _functions() -> tuple:
    """The functions the checks rely on (this module's, `_core`'s and NumPy's), by name."""
    return (
        {k: v for k, v in globals().items() if callable(v) and not k.startswith("__")},
        {k: v for k, v in vars(_core).items() if callable(v) and not k.startswith("__")},
        {k: getattr(np, k) for k in _NUMPY_NAMES},
    )


def _untouched() -> None:
    """Raises `InvalidPretextTask` if the task's code replaced a function of the checks."""
    if _functions() != _ORIGINAL_FUNCTIONS:
        raise InvalidPretextTask("the task's code replaced functions of the checks or of "
                                 "NumPy: a batch function computes (inputs, targets), nothing "
                                 "else")


_ORIGINAL_FUNCTIONS = _functions()  # last: every function of the module is defined
