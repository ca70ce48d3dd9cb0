"""Visible checks of the simclr assignment: the five functions and classes students write.

- `TwoViewAugmentation(height, width, crop_scale, flip_probability, color_jitter_strength,
  color_jitter_probability, grayscale_probability, seed)`: a Keras layer whose call
  returns two independently augmented views of a batch;
- `build_projection_head(input_dim, hidden_dim, output_dim)`: SimCLR's head
  `g(h) = W2 relu(W1 h + b1) + b2`, a Keras model;
- `extract_features(encoder, images, batch_size)`: the frozen encoder's features, in
  batches, as a NumPy array;
- `train_linear_probe(train_features, train_labels, num_classes, epochs, batch_size,
  learning_rate)`: a linear classifier trained on frozen features;
- `probe_accuracy(probe, features, labels, batch_size)`: its top-1 accuracy.

Random views and trained probes cannot be compared value by value, so most cases go
through a harness below that turns the student's object into numbers every correct answer
gives:

- `_measure` (views `profiles`) with settings that make the augmentation deterministic
  (probabilities 0 or 1, a crop of the whole image): the views are then known exactly
  (the image itself, its mirror image, its luma grayscale); `properties`, numbers that
  every correct pipeline gives (shapes, value range, two different views, reproducible
  with a seed), one property per visible case;
- `head_outputs`: the head's output after every weight is set to a value drawn from its
  shape (so that any correct head gives the same numbers); `head_structure`,
  `independent_heads`;
- `features_of` and `extraction_properties`: a small encoder built here (batch norm with
  non-trivial moving statistics, dropout), whose features in inference mode are known;
- `probe_test_accuracy`, `probe_scores_shape`, `probe_is_linear`: a probe trained by the
  student's function on fixed features, judged by its test accuracy (within a tolerance
  of a converged logistic regression's), the shape of its scores and its linearity;
- `accuracy_of`: the student's accuracy of a fixed linear probe.

Each case's expected value is the harness applied to the grader's reference, stored in
`checks/expected/simclr.json`; the references themselves are not in this module.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case

NAME = "simclr"

TASK = "TwoViewAugmentation"
HEAD = "build_projection_head"
FEATURES = "extract_features"
PROBE = "train_linear_probe"
ACCURACY = "probe_accuracy"

TASKS = {
    "augmentation_tests": TASK,
    "projection_head_tests": HEAD,
    "features_tests": FEATURES,
    "linear_probe_tests": PROBE,
    "probe_accuracy_tests": ACCURACY,
}

# Settings of a pipeline that changes nothing: crop the whole image, never flip, jitter or
# convert to grayscale.
IDENTITY = dict(crop_scale=(1.0, 1.0), flip_probability=0.0, color_jitter_probability=0.0,
                grayscale_probability=0.0)

# One image shape for every case: on the jax backend each new shape compiles every op of
# the pipeline again (the notebook shows views of 6 training images of this shape too).
SHAPE = (6, 16, 16, 3)


def random_images(seed: int, shape=SHAPE) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype("uint8")


# ------------------------------------------------------------------ measure harnesses


def _views(factory, images, **settings) -> np.ndarray:
    """Both views of `images` through `factory(**settings)`, stacked: (2, batch, h, w, c).

    `height` and `width` default to the images' own.
    """
    height, width = settings.pop("height", None), settings.pop("width", None)
    if height is None:
        height, width = images.shape[1:3]
    try:
        layer = factory(height=height, width=width, **settings)
    except TypeError as error:
        raise TypeError(
            f"calling TwoViewAugmentation(height, width, crop_scale=..., flip_probability=..., "
            "color_jitter_strength=..., color_jitter_probability=..., "
            f"grayscale_probability=..., seed=...) failed ({error}); keep the constructor's "
            "arguments as given") from None
    views = layer(images)
    if not isinstance(views, (tuple, list)) or len(views) != 2:
        length = f" of length {len(views)}" if isinstance(views, (tuple, list)) else ""
        raise TypeError("TwoViewAugmentation should return a pair (view_a, view_b); it "
                        f"returned {type(views).__name__}{length}")
    first, second = _core.to_array(views[0]), _core.to_array(views[1])
    if first.shape != second.shape:
        raise ValueError(f"view_a and view_b have different shapes {first.shape} and "
                         f"{second.shape}")
    return np.stack([first, second]).astype("float64")


def _different(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per image: do two batches of views differ anywhere (by more than 1e-3)?"""
    if first.shape != second.shape:
        return np.ones(len(first), bool)
    return np.abs(first - second).reshape(len(first), -1).max(axis=1) > 1e-3


# The properties `properties` can measure, in the order of its default vector.
PROPERTIES = ("shapes", "value_range", "different_views", "same_seed", "other_seed")


def properties(factory, images, only=None, **settings) -> np.ndarray:
    """What every correct two-view pipeline satisfies, as numbers (1.0 = yes).

    `only` selects properties by name (default: the first five, in this order):

    - `"shapes"`: `[batch, height, width, channels]` of view_a, then of view_b;
    - `"value_range"`: every value inside [0, 255];
    - `"different_views"`: at least 3/4 of the images have two different views;
    - `"same_seed"`: two layers built with the same seed give the same views;
    - `"other_seed"`: seeds `seed` and `seed + 1` give different views;
    - `"changed"`: view_a differs from the image for at least 3/4 of the images.
    """
    first = _views(factory, images, **settings)
    values = []
    for name in only or PROPERTIES:
        if name == "shapes":
            values += [*first.shape[1:], *first.shape[1:]]
        elif name == "value_range":
            values.append(float(first.min() >= 0.0 and first.max() <= 255.0))
        elif name == "different_views":
            values.append(float(_different(first[0], first[1]).mean() >= 0.75))
        elif name == "same_seed":
            again = _views(factory, images, **settings)
            values.append(float(first.shape == again.shape
                                and np.allclose(first, again, atol=1e-4)))
        elif name == "other_seed":
            other = _views(factory, images, **{**settings, "seed": settings["seed"] + 1})
            values.append(float(first.shape != other.shape
                                or not np.allclose(first, other, atol=1e-4)))
        elif name == "changed":
            values.append(float(_different(first[0], np.asarray(images, "float64")).mean()
                                >= 0.75))
        else:
            raise ValueError(f"unknown property {name!r}")
    return np.array(values)


def profiles(views: np.ndarray) -> np.ndarray:
    """Column and row profiles of stacked views `(2, batch, h, w, c)`, flattened.

    The means over the rows `(2, batch, w, c)` and over the columns `(2, batch, h, c)`
    change under a left-right or an upside-down flip, under grayscale conversion and under
    reordering of the images or views, but keep the compared value ~50x smaller than the
    views themselves.
    """
    return np.concatenate([views.mean(axis=2).ravel(), views.mean(axis=3).ravel()])


def _measure(factory, images, measure="views", **settings):
    """The compared value of a case: the views' `profiles`, or their `properties`."""
    if measure == "properties":
        return properties(factory, images, **settings)
    return profiles(_views(factory, images, **settings))


# ------------------------------------------------------------------ the projection head
# Any correct head holds the same weights, whatever their order or initialisation: a
# kernel of shape (in, out) and a bias of shape (out,) per Dense layer. `head_outputs` sets
# each weight to numbers drawn from its shape alone, so every correct head computes the
# same function, and the value compared is its output.


def weight_value(shape, seed: int) -> np.ndarray:
    """The value `head_outputs` gives a weight of this shape: seeded by the shape, kernels
    scaled by 1/sqrt(fan-in)."""
    shape = tuple(int(size) for size in shape)
    values = np.random.default_rng([seed, len(shape), *shape]).standard_normal(shape)
    scale = 1.0 / np.sqrt(shape[0]) if len(shape) == 2 else 0.5
    return (values * scale).astype("float32")


def _head(build, input_dim, hidden_dim, output_dim):
    """`build(...)`, checked to be a Keras model or layer, and called once so that a model
    built without `keras.Input` creates its weights."""
    try:
        head = build(input_dim, hidden_dim, output_dim)
    except TypeError as error:
        raise TypeError(f"calling build_projection_head(input_dim, hidden_dim, output_dim) "
                        f"failed ({error}); keep the function's arguments as given") from None
    if head is None or not callable(head) or not hasattr(head, "weights"):
        raise TypeError("build_projection_head should return a Keras model (e.g. "
                        f"keras.Sequential([...])); it returned {type(head).__name__}")
    head(np.zeros((2, input_dim), "float32"))
    return head


def head_outputs(build, inputs, input_dim, hidden_dim, output_dim, seed=0):
    """`head(inputs)` (inference mode) after every weight is set to `weight_value`."""
    head = _head(build, input_dim, hidden_dim, output_dim)
    for variable in head.weights:
        variable.assign(weight_value(variable.shape, seed))
    return head(inputs, training=False)


def head_structure(build, input_dim, hidden_dim, output_dim):
    """`[trainable weight arrays, trainable parameters, non-trainable parameters]`."""
    head = _head(build, input_dim, hidden_dim, output_dim)

    def size(variables):
        return sum(int(np.prod(tuple(variable.shape))) for variable in variables)

    return np.array([len(head.trainable_weights), size(head.trainable_weights),
                     size(head.non_trainable_weights)])


def independent_heads(build, input_dim, hidden_dim, output_dim):
    """1 when two calls give two heads that share no weight (each SimCLR model trains its
    own head), else 0."""
    first = _head(build, input_dim, hidden_dim, output_dim)
    second = _head(build, input_dim, hidden_dim, output_dim)
    shared = {id(variable) for variable in first.weights} & {
        id(variable) for variable in second.weights}
    return np.array([float(first is not second and not shared)])


# ------------------------------------------------------------------ feature extraction
# A small encoder built here: Rescaling, Flatten, Dense, BatchNormalization (moving
# statistics far from a batch's own), ReLU, Dropout(0.5), Dense. In inference mode its
# output is a fixed function of the images; in training mode batch norm uses the batch's
# statistics (and updates its moving ones) and dropout zeroes half the units.

ENCODER_HIDDEN = 12
ENCODER_FEATURES = 5


def _recorder_class():
    import keras

    class BatchSizeRecorder(keras.layers.Layer):
        """Passes its input through and notes each batch size it sees as a Python int
        (a traced or symbolic batch dimension is not an int and is not noted)."""

        def __init__(self, sizes, **kwargs):
            super().__init__(**kwargs)
            self.note = sizes.append  # a list attribute would be copied by Keras's tracking

        def call(self, inputs):
            size = inputs.shape[0]
            if isinstance(size, int):
                self.note(size)
            return inputs

    return BatchSizeRecorder


def harness_encoder(image_shape, seed: int, sizes: list | None = None):
    """The encoder of the feature-extraction cases, with weights drawn from `seed`; the
    batch sizes it is called with are appended to `sizes`."""
    import keras
    from keras import layers

    sizes = [] if sizes is None else sizes
    inputs = keras.Input(tuple(image_shape))
    x = _recorder_class()(sizes, name="recorder")(inputs)
    x = layers.Rescaling(1.0 / 255.0, name="rescaling")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(ENCODER_HIDDEN, name="hidden")(x)
    x = layers.BatchNormalization(name="batch_norm")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.Dropout(0.5, seed=seed, name="dropout")(x)
    outputs = layers.Dense(ENCODER_FEATURES, name="features")(x)
    encoder = keras.Model(inputs, outputs, name="harness_encoder")
    rng = np.random.default_rng(seed)
    pixels = int(np.prod(image_shape))
    encoder.get_layer("hidden").set_weights([
        rng.standard_normal((pixels, ENCODER_HIDDEN)).astype("float32") * 3 / np.sqrt(pixels),
        rng.standard_normal(ENCODER_HIDDEN).astype("float32") * 0.5])
    encoder.get_layer("batch_norm").set_weights([
        rng.uniform(0.5, 1.5, ENCODER_HIDDEN).astype("float32"),  # gamma
        rng.standard_normal(ENCODER_HIDDEN).astype("float32") * 0.3,  # beta
        rng.standard_normal(ENCODER_HIDDEN).astype("float32"),  # moving mean
        rng.uniform(0.3, 3.0, ENCODER_HIDDEN).astype("float32")])  # moving variance
    encoder.get_layer("features").set_weights([
        rng.standard_normal((ENCODER_HIDDEN, ENCODER_FEATURES)).astype("float32") / 3,
        rng.standard_normal(ENCODER_FEATURES).astype("float32") * 0.5])
    sizes.clear()  # building the model traces it with placeholder batch sizes
    return encoder


def _weights(encoder) -> list[np.ndarray]:
    return [_core.to_array(variable).copy() for variable in encoder.weights]


def features_of(extract, images, seed, **kwargs):
    """`extract(encoder, images, **kwargs)` for the harness encoder of `seed`."""
    encoder = harness_encoder(images.shape[1:], seed)
    return extract(encoder, images, **kwargs)


# The properties `extraction_properties` measures, in order.
EXTRACTION_PROPERTIES = ("numpy_array", "encoder_unchanged", "batched")


def extraction_properties(extract, images, seed, batch_size):
    """`[result is a NumPy array, the encoder's weights (batch-norm statistics included)
    are unchanged, no forward pass saw more than batch_size images]` (1 = yes)."""
    sizes = []
    encoder = harness_encoder(images.shape[1:], seed, sizes)
    before = _weights(encoder)
    result = extract(encoder, images, batch_size=batch_size)
    after = _weights(encoder)
    unchanged = len(before) == len(after) and all(
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(before, after))
    return np.array([float(isinstance(result, np.ndarray)), float(unchanged),
                     float(max(sizes, default=0) <= batch_size)])


# ------------------------------------------------------------------ the linear probe


def blobs(seed: int, n_train: int, n_test: int, dim: int, classes: int, spread: float,
          scale: float = 1.0, offset: float = 0.0) -> list:
    """Features of `classes` Gaussian clusters (unit noise, centres `spread` apart on
    average), `scale * x + offset`: `[train_features, train_labels, test_features,
    test_labels, classes]`, float32 features and int64 labels, classes balanced."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, dim)) * spread

    def draw(count):
        labels = np.arange(count) % classes
        rng.shuffle(labels)
        features = centres[labels] + rng.standard_normal((count, dim))
        return (features * scale + offset).astype("float32"), labels.astype("int64")

    return [*draw(n_train), *draw(n_test), classes]


def scores_of(probe, features) -> np.ndarray:
    """The probe's class scores for `features`: `probe.predict` for a Keras model, else
    `probe(features)`."""
    if probe is None or not callable(probe):
        raise TypeError("train_linear_probe should return the trained probe (a Keras model "
                        f"mapping features to class scores); it returned "
                        f"{type(probe).__name__}")
    if hasattr(probe, "predict") and hasattr(probe, "weights"):
        scores = probe.predict(features, verbose=0)
    else:
        scores = probe(features)
    return _core.to_array(scores).astype("float64")


def _trained_scores(train, train_features, train_labels, test_features, classes, **kwargs):
    probe = train(train_features, train_labels, classes, **kwargs)
    return scores_of(probe, test_features)


def probe_test_accuracy(train, train_features, train_labels, test_features, test_labels,
                        classes, **kwargs):
    """Test accuracy of `train(train_features, train_labels, classes, **kwargs)`."""
    scores = _trained_scores(train, train_features, train_labels, test_features, classes,
                             **kwargs)
    if scores.shape != (len(test_features), classes):
        raise ValueError(f"the probe's scores for {len(test_features)} feature vectors have "
                         f"shape {scores.shape}; expected ({len(test_features)}, {classes}) "
                         "(num_classes scores per feature vector)")
    return np.mean(np.argmax(scores, axis=-1) == test_labels)


def probe_scores_shape(train, train_features, train_labels, test_features, test_labels,
                       classes, **kwargs):
    """The shape of the trained probe's scores for `test_features`."""
    return np.array(_trained_scores(train, train_features, train_labels, test_features,
                                    classes, **kwargs).shape)


def probe_is_linear(train, train_features, train_labels, test_features, test_labels,
                    classes, **kwargs):
    """1 when the trained probe is linear (affine) in its input, else 0.

    Scores that are probabilities (a softmax output: non-negative rows summing to 1) are
    first turned into their logarithms; the differences of each class's score to the first
    class's are then affine for a linear probe, whichever of the two it returns. Checked
    on the midpoints of 8 pairs of test feature vectors.
    """
    first, second = test_features[:8], test_features[8:16]
    points = np.concatenate([first, second, (first + second) / 2]).astype("float32")
    scores = _trained_scores(train, train_features, train_labels, points, classes, **kwargs)
    if scores.min() >= -1e-6 and np.allclose(scores.sum(axis=-1), 1.0, atol=1e-3):
        scores = np.log(np.maximum(scores, 1e-38))
    differences = scores - scores[:, :1]
    a, b, middle = np.split(differences, 3)
    deviation = np.max(np.abs(middle - (a + b) / 2))
    return np.array([float(deviation <= 1e-3 * (1.0 + np.max(np.abs(differences))))])


def linear_probe_model(kernel, bias):
    """A Keras probe `features @ kernel + bias` (one Dense layer, logits)."""
    import keras

    probe = keras.Sequential([keras.Input((kernel.shape[0],)),
                              keras.layers.Dense(kernel.shape[1], name="classifier")])
    probe.set_weights([kernel, bias])
    return probe


def accuracy_of(accuracy, features, labels, kernel, bias, **kwargs):
    """`accuracy(probe, features, labels, **kwargs)` for the probe `features @ kernel +
    bias`, a Keras model."""
    return accuracy(linear_probe_model(kernel, bias), features, labels, **kwargs)


def probe_weights(seed: int, n: int, dim: int, classes: int) -> list:
    """`[features, labels, kernel, bias]`: random features and labels, and a probe that is
    right on about half of them (labels drawn from its own scores, half replaced)."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, dim)).astype("float32")
    kernel = rng.standard_normal((dim, classes)).astype("float32")
    bias = (rng.standard_normal(classes) * 0.1).astype("float32")
    labels = np.argmax(features.astype("float64") @ kernel + bias, axis=-1)
    flip = rng.random(n) < 0.5
    labels[flip] = rng.integers(0, classes, int(flip.sum()))
    return [features, labels.astype("int64"), kernel, bias]


def _perfect(inputs):
    features, _, kernel, bias = inputs
    labels = np.argmax(features.astype("float64") @ kernel + bias, axis=-1)
    return [features, labels.astype("int64"), kernel, bias]


# ------------------------------------------------------------------ visible cases

_IMAGES = lambda: [random_images(0)]  # noqa: E731
# The full random pipeline of the old checks: default probabilities, 12x12 views.
FULL = dict(crop_scale=(0.3, 1.0), height=12, width=12, seed=0)

UNIT_RANGE = ("unit_range", "the views are in [0, 1]. Keep the value range [0, 255] of "
                            "the input (the encoder rescales by itself)")
SAME_VIEW_TWICE = ("same_view_twice", "view_a and view_b are identical. The two views "
                                      "must be drawn independently (apply the random "
                                      "pipeline twice)")


def _property(name: str, settings: dict, description: str, mistakes=()) -> Case:
    return Case(TASK, _IMAGES, {"only": (name,), **settings}, measure="properties",
                description=description, mistakes=mistakes)


_AUGMENTATION_VISIBLE: dict[str, Case] = {
    "identity_shapes": _property(
        "shapes", {**IDENTITY, "seed": 0},
        "With crop_scale=(1, 1) and all probabilities 0, each view has the shape of the "
        "input batch (6, 16, 16, 3) (the value compared is the shapes of view_a and view_b)"),
    "identity_views": Case(
        TASK, _IMAGES, {**IDENTITY, "seed": 0}, measure="_measure",
        mistakes=(UNIT_RANGE,
                  ("shuffled_pairs", "view_b is not in the order of the images: view_b[i] "
                                     "must be a view of image i")),
        description="With crop_scale=(1, 1) and all probabilities 0 nothing should change: "
                    "view_a[i] and view_b[i] should be image i itself (the value compared "
                    "is the row and column means of the views)"),
    "flip_views": Case(
        TASK, _IMAGES, {**IDENTITY, "flip_probability": 1.0, "seed": 0}, measure="_measure",
        mistakes=(("vertical_flip", "the views are flipped upside down; SimCLR flips "
                                    "left-right (a horizontal flip mirrors the width axis)"),
                  ("no_flip", "the views are not flipped: apply RandomHorizontalFlip("
                              "flip_probability)"),
                  UNIT_RANGE),
        description="With flip_probability=1 (and nothing else) every view should be the "
                    "mirror image (left-right) of its image"),
    "grayscale_views": Case(
        TASK, _IMAGES, {**IDENTITY, "grayscale_probability": 1.0, "seed": 0},
        measure="_measure",
        mistakes=(("no_grayscale", "no view is gray: apply RandomGrayscale("
                                   "grayscale_probability)"),
                  UNIT_RANGE),
        description="With grayscale_probability=1 (and nothing else) every view should be "
                    "gray (0.2989 R + 0.587 G + 0.114 B in all channels)"),
    "color_jitter_changes_views": _property(
        "changed", {**IDENTITY, "color_jitter_probability": 1.0, "seed": 0},
        "With color_jitter_probability=1 (and nothing else) the colour jitter changes the "
        "images (the value compared is 1 if view_a differs from the image for most images)",
        mistakes=(("no_color_jitter", "view_a is unchanged; the colour jitter should be "
                                      "applied (RandomApply(RandomColorJitter(strength), "
                                      "probability))"),)),
    "full_shapes": _property(
        "shapes", FULL,
        "The full pipeline (crop_scale=(0.3, 1), default probabilities, 12x12 output): the "
        "views have shape (6, 12, 12, 3) (the value compared is the shapes of view_a and "
        "view_b)",
        mistakes=(("no_resize", "the views are not resized to (height, width) = (12, 12) by "
                                "the random resized crop"),)),
    "full_value_range": _property(
        "value_range", FULL,
        "The full pipeline: every value of the views lies in [0, 255] (the value compared "
        "is 1 if so)"),
    "full_different_views": _property(
        "different_views", FULL,
        "The full pipeline: view_a and view_b differ for most images (the value compared "
        "is 1 if so)",
        mistakes=(SAME_VIEW_TWICE,)),
    "full_same_seed": _property(
        "same_seed", FULL,
        "The full pipeline: two layers built with the same seed give the same views (the "
        "value compared is 1 if so)",
        mistakes=(("unseeded", "two layers built with the same seed give different views. "
                               "Pass seeds derived from `seed` to every random layer"),)),
    "full_other_seed": _property(
        "other_seed", FULL,
        "The full pipeline: seeds 0 and 1 give different views (the value compared is 1 if "
        "so)",
        mistakes=(("fixed_seed", "seeds 0 and 1 give the same views; the random layers "
                                 "should be seeded from `seed`"),)),
}


# ------------------------------------------------------------------ visible cases of the
# projection head, the features, the probe and its accuracy

HEAD_DIMS = dict(input_dim=6, hidden_dim=5, output_dim=3)
_HEAD_INPUTS = lambda: _core.normal(10, (4, 6))  # noqa: E731
_HEAD_FORWARD_MISTAKES = (
    ("no_relu", "the ReLU between the two Dense layers is missing: g(h) = W2 relu(W1 h + b1) "
                "+ b2 (Dense(hidden_dim, activation='relu'), then Dense(output_dim))"),
    ("relu_on_output", "the output goes through a ReLU too; only the hidden layer has one "
                       "(the last Dense layer has no activation)"),
    ("normalized_output", "the output is L2-normalised; the head returns z itself (NT-Xent "
                          "normalises the projections)"),
)

_FEATURE_IMAGES = lambda: [random_images(20, (20, 6, 6, 3)), 0]  # noqa: E731
DROP_LAST = ("drop_last", "the last, smaller batch is missing (20 images in batches of 8: "
                          "8 + 8 + 4); range(0, len(images), batch_size) covers it")

# Test accuracies of correct probes (Keras or NumPy, standardised or not, logits or
# probabilities) came within 4 points of the converged logistic regression's on every case
# and backend; broken ones (untrained, logits given to a loss expecting probabilities, a
# learning rate too small to train in the given epochs) stayed 15 points or more below.
PROBE_TOLERANCE = 0.07
_FOUR_CLASSES = lambda: blobs(1, 400, 200, 8, 4, 1.4)  # noqa: E731
_TEN_CLASSES = lambda: blobs(2, 600, 300, 16, 10, 1.0)  # noqa: E731
_PROBE_ACCURACY = ("The test accuracy of the probe is compared with that of a converged "
                   "logistic regression on the standardised features (within 7 points). "
                   "Lower means an under-trained or broken probe: standardise the features, "
                   "train with Adam(learning_rate) for `epochs` epochs of `batch_size`, with "
                   "softmax cross-entropy on the logits (SparseCategoricalCrossentropy("
                   "from_logits=True) on a Dense layer without activation)")

_ACCURACY_MISTAKES = (
    ("percent", "a percentage; return the fraction of correct predictions, in [0, 1]"),
    ("count", "the number of correct predictions; divide by the number of feature vectors"),
)

_MORE_VISIBLE: dict[str, Case] = {
    # build_projection_head
    "head_structure": Case(
        HEAD, lambda: [], HEAD_DIMS, measure="head_structure",
        description="build_projection_head(6, 5, 3): two Dense layers with their biases "
                    "(6x5 + 5 + 5x3 + 3 = 53 parameters in 4 weight arrays) and nothing "
                    "else (the value compared is [trainable weight arrays, trainable "
                    "parameters, non-trainable parameters])",
        mistakes=(("no_bias", "the Dense layers have no bias; keep Keras's default "
                              "use_bias=True"),
                  ("batch_norm", "there is a batch normalisation layer; the head asked for "
                                 "is Dense-ReLU-Dense (SimCLR's formula)"),
                  ("linear_head", "there is only one Dense layer; the head is an MLP with a "
                                  "hidden layer of hidden_dim units"),
                  ("hidden_is_input", "the hidden layer has input_dim units; it should have "
                                      "hidden_dim"))),
    "head_forward": Case(
        HEAD, _HEAD_INPUTS, HEAD_DIMS, measure="head_outputs", rtol=1e-4, atol=1e-4,
        mistakes=_HEAD_FORWARD_MISTAKES,
        description="The output z of build_projection_head(6, 5, 3) for 4 random vectors, "
                    "every weight set to fixed numbers first (so any correct head gives "
                    "these values)"),
    "head_forward_wide": Case(
        HEAD, lambda: _core.normal(11, (5, 3)), dict(input_dim=3, hidden_dim=10,
                                                     output_dim=2, seed=1),
        measure="head_outputs", rtol=1e-4, atol=1e-4, mistakes=_HEAD_FORWARD_MISTAKES,
        description="The output of build_projection_head(3, 10, 2) for 5 random vectors, "
                    "fixed weights"),
    "head_independent": Case(
        HEAD, lambda: [], HEAD_DIMS, measure="independent_heads",
        mistakes=(("shared", "two calls return the same head (or share its weights); "
                             "build a new model on every call"),),
        description="Two calls of build_projection_head give two heads with their own "
                    "weights (the value compared is 1 if so)"),
    # extract_features
    "features_properties": Case(
        FEATURES, _FEATURE_IMAGES, {"batch_size": 8}, measure="extraction_properties",
        mistakes=(("tensor", "the features are a backend tensor; return a NumPy array "
                             "(keras.ops.convert_to_numpy, np.concatenate)"),
                  ("training_mode", "the encoder changed: it ran in training mode (batch "
                                    "norm updated its moving statistics). Call it with "
                                    "training=False, or use encoder.predict"),
                  ("all_at_once", "the encoder saw more than batch_size images at once; "
                                  "run it on batches of batch_size images")),
        description="extract_features(encoder, images, batch_size=8) of 20 images: the "
                    "value compared is [returns a NumPy array, leaves the encoder unchanged, "
                    "never runs the encoder on more than 8 images at once] (1 = yes)"),
    "features_values": Case(
        FEATURES, _FEATURE_IMAGES, {"batch_size": 8}, measure="features_of",
        rtol=1e-4, atol=1e-4, mistakes=(DROP_LAST,),
        description="extract_features(encoder, images, batch_size=8) of 20 images through "
                    "a small encoder with batch normalisation and dropout: its outputs in "
                    "inference mode (batch norm with its moving statistics, no dropout), "
                    "one row per image in order, shape (20, 5)"),
    "features_one_batch": Case(
        FEATURES, lambda: [random_images(21, (5, 6, 6, 3)).astype("float32"), 1],
        measure="features_of", rtol=1e-4, atol=1e-4,
        description="extract_features(encoder, images) of 5 float images with the default "
                    "batch size: shape (5, 5)"),
    # train_linear_probe
    "probe_four_classes": Case(
        PROBE, _FOUR_CLASSES, {"epochs": 20, "batch_size": 32}, measure="probe_test_accuracy",
        rtol=0.0, atol=PROBE_TOLERANCE,
        description="train_linear_probe on 400 feature vectors of 4 classes (8 dimensions; "
                    "epochs=20, batch_size=32), then the test accuracy on 200 others. "
                    + _PROBE_ACCURACY),
    "probe_ten_classes": Case(
        PROBE, _TEN_CLASSES, {"epochs": 20, "batch_size": 64}, measure="probe_test_accuracy",
        rtol=0.0, atol=PROBE_TOLERANCE,
        description="train_linear_probe on 600 feature vectors of 10 classes (16 "
                    "dimensions; epochs=20, batch_size=64): the test accuracy on 300 others. "
                    + _PROBE_ACCURACY),
    "probe_scores_shape": Case(
        PROBE, lambda: [*blobs(3, 120, 40, 8, 4, 1.0)[:4], 6], {"epochs": 2},
        measure="probe_scores_shape",
        mistakes=(("classes_from_labels", "the probe has one score per class found in the "
                                          "labels (4); it should have num_classes (6) "
                                          "outputs"),),
        description="train_linear_probe(features, labels, num_classes=6, epochs=2) with "
                    "labels 0-3 only: the probe still gives num_classes = 6 scores per "
                    "vector (the value compared is the shape of its scores for 40 vectors)"),
    "probe_linear": Case(
        PROBE, _FOUR_CLASSES, {"epochs": 5, "batch_size": 32}, measure="probe_is_linear",
        mistakes=(("mlp", "the probe is not linear: one Dense layer from the features to "
                          "the class scores, no hidden layer"),),
        description="The trained probe is linear in the features (one Dense layer after an "
                    "optional standardisation; logits or softmax probabilities). The value "
                    "compared is 1 if so"),
    # probe_accuracy
    "accuracy_partial_batch": Case(
        ACCURACY, lambda: probe_weights(31, 23, 6, 4), {"batch_size": 8}, measure="accuracy_of",
        rtol=0.0, atol=1e-6,
        mistakes=(("drop_last", "the last, smaller batch is left out (23 vectors in batches "
                                "of 8: 8 + 8 + 7)"), *_ACCURACY_MISTAKES),
        description="probe_accuracy(probe, features, labels, batch_size=8) on 23 feature "
                    "vectors (every vector counts, the last batch too)"),
    "accuracy_random_probe": Case(
        ACCURACY, lambda: probe_weights(30, 40, 6, 4), measure="accuracy_of",
        rtol=0.0, atol=1e-6, mistakes=_ACCURACY_MISTAKES,
        description="probe_accuracy(probe, features, labels) of a linear Keras probe on 40 "
                    "feature vectors (a fraction in [0, 1])"),
    "accuracy_perfect": Case(
        ACCURACY, lambda: _perfect(probe_weights(32, 30, 5, 3)), measure="accuracy_of",
        rtol=0.0, atol=1e-6, mistakes=_ACCURACY_MISTAKES,
        description="probe_accuracy when the labels are the probe's own predictions (1.0)"),
}


VISIBLE: dict[str, Case] = {**_AUGMENTATION_VISIBLE, **_MORE_VISIBLE}


def check_TwoViewAugmentation(factory) -> None:  # noqa: N802 (the task is the class's name)
    """Visible checks of the student's `TwoViewAugmentation` class."""
    _core.check(sys.modules[__name__], TASK, factory)


check_two_view_augmentation = check_TwoViewAugmentation  # the name of earlier releases


def check_build_projection_head(build_projection_head) -> None:
    """Visible checks of `build_projection_head(input_dim, hidden_dim, output_dim)`."""
    _core.check(sys.modules[__name__], HEAD, build_projection_head)


def check_extract_features(extract_features) -> None:
    """Visible checks of `extract_features(encoder, images, batch_size=256)`."""
    _core.check(sys.modules[__name__], FEATURES, extract_features)


def check_train_linear_probe(train_linear_probe) -> None:
    """Visible checks of `train_linear_probe(train_features, train_labels, num_classes,
    epochs, batch_size, learning_rate)` (each case trains a probe: a few seconds)."""
    _core.check(sys.modules[__name__], PROBE, train_linear_probe)


def check_probe_accuracy(probe_accuracy) -> None:
    """Visible checks of `probe_accuracy(probe, features, labels, batch_size=256)`."""
    _core.check(sys.modules[__name__], ACCURACY, probe_accuracy)
