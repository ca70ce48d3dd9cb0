"""Grader-private judge of the simclr assignment (never visible to students).

References:
- `TwoViewAugmentation`: ssl_keras's own `SimCLRAugmentation` (CIFAR preset, no blur)
  with the same settings; the visible module's harnesses (`_measure`, `properties`) turn
  it into the compared numbers;
- `build_projection_head`: `NumpyHead`, SimCLR's `g(h) = W2 relu(W1 h + b1) + b2`
  (Sec. 2.1, with the biases of Keras's Dense layers) in NumPy float64;
- `extract_features`: the harness encoder's forward pass in inference mode, written in
  NumPy from its weights (batch norm with its moving statistics, dropout the identity);
- `train_linear_probe`: multinomial logistic regression on the standardised features,
  trained to convergence by full-batch gradient descent in NumPy float64;
- `probe_accuracy`: the arg-max of `features @ kernel + bias` in NumPy.

The variants are the typical mistakes, each one thing changed; their values on the
visible cases let a visible check name the mistake.
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from ..checks._core import Case, normal
from ..checks.simclr import (
    ACCURACY,
    FEATURES,
    HEAD,
    IDENTITY,
    PROBE,
    PROBE_TOLERANCE,
    TASK,
    blobs,
    probe_weights,
    random_images,
)


def reference_factory(height, width, crop_scale=(0.08, 1.0), flip_probability=0.5,
                      color_jitter_strength=0.5, color_jitter_probability=0.8,
                      grayscale_probability=0.2, seed=None):
    """`SimCLRAugmentation` with the student's constructor arguments."""
    from ssl_keras.layers import SimCLRAugmentation

    return SimCLRAugmentation(
        preset="cifar", height=height, width=width, crop_scale=crop_scale,
        horizontal_flip_probability=flip_probability,
        color_jitter_strength=color_jitter_strength,
        color_jitter_probability=color_jitter_probability,
        grayscale_probability=grayscale_probability, blur=False, seed=seed)


# ------------------------------------------------------------------ the projection head


class _Weight:
    """A weight of `NumpyHead`: its shape, and the value the harness assigns it."""

    dtype = "float32"

    def __init__(self, shape):
        self.shape = tuple(shape)
        self.value = np.zeros(self.shape)

    def assign(self, value):
        self.value = np.asarray(value, "float64").reshape(self.shape)


class NumpyHead:
    """SimCLR's projection head in NumPy: `z = W2 relu(W1 h + b1) + b2`.

    "We use a MLP with one hidden layer to obtain z_i = g(h_i) = W(2) sigma(W(1) h_i)
    where sigma is a ReLU non-linearity" (Chen et al., 2020, Sec. 2.1); the course's
    head, like the practical's Flax `nn.Dense` layers, has a bias in both layers. The
    keyword arguments build the wrong variants (one thing changed each).
    """

    def __init__(self, input_dim, hidden_dim, output_dim, *, relu=True, relu_output=False,
                 normalize=False, bias=True, batch_norm=False, hidden=True):
        self.relu, self.relu_output, self.normalize = relu, relu_output, normalize
        self.bias, self.batch_norm, self.hidden = bias, batch_norm, hidden
        sizes = [(input_dim, hidden_dim), (hidden_dim, output_dim)] if hidden else [
            (input_dim, output_dim)]
        self.layers = []
        for fan_in, fan_out in sizes:
            self.layers.append({"kernel": _Weight((fan_in, fan_out)),
                                "bias": _Weight((fan_out,)) if bias else None})
        self.norm = None
        if batch_norm:
            self.norm = {name: _Weight((hidden_dim,)) for name in
                         ("gamma", "beta", "moving_mean", "moving_variance")}

    @property
    def trainable_weights(self):
        weights = []
        for index, layer in enumerate(self.layers):
            weights += [weight for weight in layer.values() if weight is not None]
            if index == 0 and self.norm:
                weights += [self.norm["gamma"], self.norm["beta"]]
        return weights

    @property
    def non_trainable_weights(self):
        return [self.norm["moving_mean"], self.norm["moving_variance"]] if self.norm else []

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    def __call__(self, inputs, training=None):
        x = np.asarray(inputs, "float64")
        for index, layer in enumerate(self.layers):
            x = x @ layer["kernel"].value
            if layer["bias"] is not None:
                x = x + layer["bias"].value
            if index < len(self.layers) - 1:
                if self.norm:
                    norm = {name: weight.value for name, weight in self.norm.items()}
                    x = ((x - norm["moving_mean"]) / np.sqrt(np.abs(norm["moving_variance"])
                                                             + 1e-3) * norm["gamma"]
                         + norm["beta"])
                if self.relu:
                    x = np.maximum(x, 0.0)
        if self.relu_output:
            x = np.maximum(x, 0.0)
        if self.normalize:
            x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
        return x


def oracle_build_projection_head(input_dim, hidden_dim=512, output_dim=128):
    return NumpyHead(input_dim, hidden_dim, output_dim)


def _variant_head(**options):
    def build(input_dim, hidden_dim=512, output_dim=128):
        return NumpyHead(input_dim, hidden_dim, output_dim, **options)

    return build


def _hidden_is_input(input_dim, hidden_dim=512, output_dim=128):
    return NumpyHead(input_dim, input_dim, output_dim)


@functools.cache
def _shared(input_dim, hidden_dim=512, output_dim=128):
    return NumpyHead(input_dim, hidden_dim, output_dim)


# ------------------------------------------------------------------ feature extraction


def oracle_extract_features(encoder, images, batch_size=256):
    """The harness encoder's features in inference mode, computed in NumPy from its
    weights: flatten(images / 255) @ W1 + b1, batch norm with the moving statistics,
    ReLU, dropout as the identity, @ W2 + b2."""
    w1, b1 = encoder.get_layer("hidden").get_weights()
    batch_norm = encoder.get_layer("batch_norm")
    gamma, beta, moving_mean, moving_variance = batch_norm.get_weights()
    w2, b2 = encoder.get_layer("features").get_weights()
    x = np.asarray(images, "float64").reshape(len(images), -1) / 255.0
    x = x @ w1 + b1
    x = (x - moving_mean) / np.sqrt(moving_variance + batch_norm.epsilon) * gamma + beta
    x = np.maximum(x, 0.0)
    return (x @ w2 + b2).astype("float32")


def _drop_last(encoder, images, batch_size=256):
    kept = len(images) - len(images) % batch_size
    return oracle_extract_features(encoder, images[:kept], batch_size)


def _as_tensor(encoder, images, batch_size=256):
    return keras.ops.convert_to_tensor(oracle_extract_features(encoder, images, batch_size))


def _training_mode(encoder, images, batch_size=256):
    batches = [keras.ops.convert_to_numpy(encoder(images[start:start + batch_size],
                                                  training=True))
               for start in range(0, len(images), batch_size)]
    return np.concatenate(batches)


def _all_at_once(encoder, images, batch_size=256):
    return keras.ops.convert_to_numpy(encoder(images, training=False))


# ------------------------------------------------------------------ the linear probe


def _softmax(scores):
    scores = scores - scores.max(axis=-1, keepdims=True)
    exponentials = np.exp(scores)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def oracle_train_linear_probe(train_features, train_labels, num_classes, epochs=50,
                              batch_size=256, learning_rate=1e-2, steps=3000):
    """Multinomial logistic regression, the linear evaluation protocol's classifier.

    The features are standardised with the training mean and standard deviation; the
    softmax cross-entropy (plus 1e-4/2 |W|^2) is minimised by `steps` steps of full-batch
    gradient descent with step 0.5 from zero weights, in float64: converged on the cases'
    features, whatever `epochs`, `batch_size` and `learning_rate` ask of a mini-batch run.
    Returns the probe, `features -> logits`.
    """
    x = np.asarray(train_features, "float64")
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std < 1e-6, 1.0, std)
    x = (x - mean) / std
    targets = np.eye(num_classes)[np.asarray(train_labels)]
    kernel, bias = np.zeros((x.shape[1], num_classes)), np.zeros(num_classes)
    for _ in range(steps):
        gradient = (_softmax(x @ kernel + bias) - targets) / len(x)
        kernel -= 0.5 * (x.T @ gradient + 1e-4 * kernel)
        bias -= 0.5 * gradient.sum(axis=0)

    def probe(features):
        return ((np.asarray(features, "float64") - mean) / std) @ kernel + bias

    return probe


def _classes_from_labels(train_features, train_labels, num_classes, **kwargs):
    return oracle_train_linear_probe(train_features, train_labels,
                                     int(np.max(train_labels)) + 1, **kwargs)


def _mlp(train_features, train_labels, num_classes, **kwargs):
    """A ReLU network (random weights stand in for trained ones: only its shape matters)."""
    rng = np.random.default_rng(0)
    dim = np.asarray(train_features).shape[1]
    first, second = rng.standard_normal((dim, 32)), rng.standard_normal((32, num_classes))
    return lambda features: np.maximum(np.asarray(features, "float64") @ first, 0.0) @ second


# ------------------------------------------------------------------ the probe's accuracy


def oracle_probe_accuracy(probe, features, labels, batch_size=256):
    """The fraction of `labels` equal to the arg-max of `features @ kernel + bias`, the
    probe's weights read from it and applied in NumPy."""
    kernel, bias = probe.get_weights()
    scores = np.asarray(features, "float64") @ kernel + bias
    return float(np.mean(np.argmax(scores, axis=-1) == np.asarray(labels)))


def _percent(probe, features, labels, batch_size=256):
    return 100 * oracle_probe_accuracy(probe, features, labels)


def _count(probe, features, labels, batch_size=256):
    return len(labels) * oracle_probe_accuracy(probe, features, labels)


def _accuracy_drop_last(probe, features, labels, batch_size=256):
    kept = len(labels) - len(labels) % batch_size
    return oracle_probe_accuracy(probe, features[:kept], labels[:kept]) if kept else 0.0


REFERENCES = {
    TASK: reference_factory,
    HEAD: oracle_build_projection_head,
    FEATURES: oracle_extract_features,
    PROBE: oracle_train_linear_probe,
    ACCURACY: oracle_probe_accuracy,
}


# ------------------------------------------------------------------ typical mistakes


class _Pipeline(keras.layers.Layer):
    """A correct TwoViewAugmentation (as the notebook's solution), to break below."""

    def __init__(self, height, width, crop_scale=(0.08, 1.0), flip_probability=0.5,
                 color_jitter_strength=0.5, color_jitter_probability=0.8,
                 grayscale_probability=0.2, seed=None, **kwargs):
        super().__init__(**kwargs)
        from ssl_keras import layers

        seed = self._seed(seed)

        def layer_seed(index):
            return None if seed is None else seed + 1_000_003 * index

        self.crop = layers.RandomResizedCrop(*self._size(height, width), scale=crop_scale,
                                             seed=layer_seed(1))
        self.flip = layers.RandomHorizontalFlip(flip_probability, seed=layer_seed(2))
        self.color_jitter = layers.RandomApply(
            layers.RandomColorJitter(color_jitter_strength, seed=layer_seed(3)),
            probability=color_jitter_probability, seed=layer_seed(4))
        self.grayscale = layers.RandomGrayscale(grayscale_probability, seed=layer_seed(5))

    def build(self, input_shape=None):  # sub-layers build on first call (some unused)
        pass

    def _seed(self, seed):
        return seed

    def _size(self, height, width):
        return height, width

    def augment(self, images):
        x = self.crop(images, training=True)
        x = self.flip(x, training=True)
        x = self.color_jitter(x, training=True)
        return self.grayscale(x, training=True)

    def call(self, images, training=True):
        return self.augment(images), self.augment(images)


class UnitRange(_Pipeline):
    def call(self, images, training=True):
        view_a, view_b = super().call(images)
        return view_a / 255.0, view_b / 255.0


class ShuffledPairs(_Pipeline):
    def call(self, images, training=True):
        view_a, view_b = super().call(images)
        return view_a, keras.ops.flip(view_b, axis=0)


class VerticalFlip(_Pipeline):
    """Flips the height axis (the horizontal flip applied to the transposed images)."""

    def augment(self, images):
        x = self.crop(images, training=True)
        x = keras.ops.transpose(x, (0, 2, 1, 3))
        x = keras.ops.transpose(self.flip(x, training=True), (0, 2, 1, 3))
        x = self.color_jitter(x, training=True)
        return self.grayscale(x, training=True)


class NoFlip(_Pipeline):
    def augment(self, images):
        x = self.crop(images, training=True)
        return self.grayscale(self.color_jitter(x, training=True), training=True)


class NoGrayscale(_Pipeline):
    def augment(self, images):
        x = self.flip(self.crop(images, training=True), training=True)
        return self.color_jitter(x, training=True)


class NoColorJitter(_Pipeline):
    def augment(self, images):
        x = self.flip(self.crop(images, training=True), training=True)
        return self.grayscale(x, training=True)


class NoResize(_Pipeline):
    def _size(self, height, width):
        return None, None


class SameViewTwice(_Pipeline):
    def call(self, images, training=True):
        view = self.augment(images)
        return view, view


class Unseeded(_Pipeline):
    def _seed(self, seed):
        return None


class FixedSeed(_Pipeline):
    def _seed(self, seed):
        return 1234


VARIANTS = {
    TASK: {
        "unit_range": UnitRange,
        "shuffled_pairs": ShuffledPairs,
        "vertical_flip": VerticalFlip,
        "no_flip": NoFlip,
        "no_grayscale": NoGrayscale,
        "no_color_jitter": NoColorJitter,
        "no_resize": NoResize,
        "same_view_twice": SameViewTwice,
        "unseeded": Unseeded,
        "fixed_seed": FixedSeed,
    },
    HEAD: {
        "no_relu": _variant_head(relu=False),
        "relu_on_output": _variant_head(relu_output=True),
        "normalized_output": _variant_head(normalize=True),
        "no_bias": _variant_head(bias=False),
        "batch_norm": _variant_head(batch_norm=True),
        "linear_head": _variant_head(hidden=False),
        "hidden_is_input": _hidden_is_input,
        "shared": _shared,
    },
    FEATURES: {
        "drop_last": _drop_last,
        "tensor": _as_tensor,
        "training_mode": _training_mode,
        "all_at_once": _all_at_once,
    },
    PROBE: {
        "classes_from_labels": _classes_from_labels,
        "mlp": _mlp,
    },
    ACCURACY: {
        "percent": _percent,
        "count": _count,
        "drop_last": _accuracy_drop_last,
    },
}


# ------------------------------------------------------------------ hidden cases
# The old cases (their images and seeds), plus the properties that were checked only
# visibly: the colour jitter applied, and the full pipeline with a resize to 12x12.


def _images(seed):
    return lambda: [random_images(seed)]


def _views(seed, description, **settings):
    return Case(TASK, _images(300 + seed), {**settings, "seed": seed}, measure="_measure",
                description=description)


HIDDEN: dict[str, Case] = {
    "identity": _views(1, "whole-image crop, all probabilities 0: both views are the "
                          "images themselves, in order and in [0, 255]", **IDENTITY),
    "flip_always": _views(2, "flip probability 1: both views are mirrored left-right",
                          **{**IDENTITY, "flip_probability": 1.0}),
    "grayscale_always": _views(3, "grayscale probability 1: both views are gray",
                               **{**IDENTITY, "grayscale_probability": 1.0}),
    "flip_and_grayscale": _views(4, "flip and grayscale always",
                                 **{**IDENTITY, "flip_probability": 1.0,
                                    "grayscale_probability": 1.0}),
    "resize": _views(5, "whole-image crop resized from 16x16 to 12x12 (RandomResizedCrop's "
                        "bilinear resize)", **{**IDENTITY, "height": 12, "width": 12}),
    "random_pipeline": _views(6, "the full random pipeline: shapes, value range, two "
                                 "different views, reproducible with a seed",
                              measure="properties", crop_scale=(0.3, 1.0),
                              flip_probability=0.5, color_jitter_strength=0.5,
                              color_jitter_probability=0.8, grayscale_probability=0.2),
    "color_jitter_applied": _views(7, "colour jitter probability 1 changes the images",
                                   measure="properties", only=("changed",),
                                   **{**IDENTITY, "color_jitter_probability": 1.0}),
    "random_pipeline_resized": _views(8, "the full random pipeline with 12x12 views and a "
                                         "strong jitter: shapes, value range, two different "
                                         "views, reproducible with a seed",
                                      measure="properties", crop_scale=(0.2, 1.0),
                                      color_jitter_strength=1.0, height=12, width=12),
    # build_projection_head: other sizes (the notebook's 256 -> 512 -> 128 among them)
    "hidden_head_forward": Case(
        HEAD, lambda: normal(40, (7, 16)), dict(input_dim=16, hidden_dim=9, output_dim=4,
                                                seed=2),
        measure="head_outputs", rtol=1e-4, atol=1e-4,
        description="the head's output for 16 -> 9 -> 4 with fixed weights"),
    "hidden_head_forward_large_inputs": Case(
        HEAD, lambda: [10.0 * normal(41, (3, 5))[0]], dict(input_dim=5, hidden_dim=32,
                                                           output_dim=8, seed=3),
        measure="head_outputs", rtol=1e-4, atol=1e-3,
        description="the head's output for 5 -> 32 -> 8 on inputs of scale 10"),
    "hidden_head_structure": Case(
        HEAD, lambda: [], dict(input_dim=10, hidden_dim=20, output_dim=7),
        measure="head_structure",
        description="10 -> 20 -> 7: two Dense layers with biases, nothing else"),
    "hidden_head_structure_notebook": Case(
        HEAD, lambda: [], dict(input_dim=256, hidden_dim=512, output_dim=128),
        measure="head_structure",
        description="the notebook's head, 256 -> 512 -> 128: two Dense layers with biases"),
    "hidden_head_independent": Case(
        HEAD, lambda: [], dict(input_dim=4, hidden_dim=8, output_dim=2),
        measure="independent_heads",
        description="two calls give two heads with their own weights"),
    # extract_features: other encoders, image shapes and batch sizes
    "hidden_features_gray": Case(
        FEATURES, lambda: [random_images(50, (33, 8, 8, 1)).astype("float32"), 1],
        {"batch_size": 10}, measure="features_of", rtol=1e-4, atol=1e-4,
        description="33 one-channel float images in batches of 10 (the last holds 3)"),
    "hidden_features_gray_properties": Case(
        FEATURES, lambda: [random_images(50, (33, 8, 8, 1)).astype("float32"), 1],
        {"batch_size": 10}, measure="extraction_properties",
        description="33 images in batches of 10: a NumPy array, the encoder unchanged, "
                    "batches of at most 10 images"),
    "hidden_features_batch_of_one": Case(
        FEATURES, lambda: [random_images(51, (7, 4, 4, 3)), 2], {"batch_size": 1},
        measure="features_of", rtol=1e-4, atol=1e-4,
        description="7 images, one at a time (batch_size=1)"),
    "hidden_features_exact_batches": Case(
        FEATURES, lambda: [random_images(52, (16, 6, 6, 3)), 3], {"batch_size": 8},
        measure="features_of", rtol=1e-4, atol=1e-4,
        description="16 images in two full batches of 8"),
    "hidden_features_properties_small_batches": Case(
        FEATURES, lambda: [random_images(53, (12, 5, 5, 3)), 4], {"batch_size": 5},
        measure="extraction_properties",
        description="12 images in batches of 5: a NumPy array, the encoder unchanged, "
                    "batches of at most 5 images"),
    # train_linear_probe: raw (unstandardised) features, few labels, more dimensions
    "hidden_probe_raw_features": Case(
        PROBE, lambda: blobs(4, 400, 200, 8, 4, 1.0, scale=3.0, offset=5.0),
        {"epochs": 20, "batch_size": 32}, measure="probe_test_accuracy", rtol=0.0,
        atol=PROBE_TOLERANCE,
        description="features of scale 3 around 5 (as ReLU features are), 4 classes: test "
                    "accuracy within 7 points of a converged logistic regression's"),
    "hidden_probe_few_labels": Case(
        PROBE, lambda: blobs(5, 60, 300, 4, 3, 2.0), {"epochs": 50, "batch_size": 16},
        measure="probe_test_accuracy", rtol=0.0, atol=PROBE_TOLERANCE,
        description="60 labelled vectors of 3 classes (4 dimensions): test accuracy within "
                    "7 points of a converged logistic regression's"),
    "hidden_probe_many_dimensions": Case(
        PROBE, lambda: blobs(6, 800, 300, 32, 5, 0.6), {"epochs": 20, "batch_size": 64},
        measure="probe_test_accuracy", rtol=0.0, atol=PROBE_TOLERANCE,
        description="800 vectors of 5 classes in 32 dimensions: test accuracy within 7 "
                    "points of a converged logistic regression's"),
    "hidden_probe_scores_shape": Case(
        PROBE, lambda: [*blobs(7, 100, 30, 5, 7, 1.0)[:4], 10], {"epochs": 2},
        measure="probe_scores_shape",
        description="num_classes=10 with labels 0-6 only: 10 scores per vector"),
    "hidden_probe_linear": Case(
        PROBE, lambda: blobs(8, 200, 50, 6, 3, 1.0), {"epochs": 5, "batch_size": 32},
        measure="probe_is_linear",
        description="the trained probe is linear in the features"),
    # probe_accuracy
    "hidden_accuracy_many": Case(
        ACCURACY, lambda: probe_weights(60, 300, 16, 10), {"batch_size": 64},
        measure="accuracy_of", rtol=0.0, atol=1e-6,
        description="300 vectors of 10 classes in batches of 64"),
    "hidden_accuracy_one_vector": Case(
        ACCURACY, lambda: probe_weights(61, 1, 4, 3), measure="accuracy_of", rtol=0.0,
        atol=1e-6, description="a single feature vector"),
    "hidden_accuracy_int32_labels": Case(
        ACCURACY, lambda: _int32_labels(probe_weights(62, 50, 8, 5)), {"batch_size": 7},
        measure="accuracy_of", rtol=0.0, atol=1e-6,
        description="50 vectors with int32 labels in batches of 7"),
    "hidden_accuracy_exact_batches": Case(
        ACCURACY, lambda: probe_weights(63, 64, 6, 4), {"batch_size": 16},
        measure="accuracy_of", rtol=0.0, atol=1e-6,
        description="64 vectors in 4 full batches of 16"),
}


def _int32_labels(inputs):
    features, labels, kernel, bias = inputs
    return [features, labels.astype("int32"), kernel, bias]

# SimCLRAugmentation is the answer, wherever it is imported from (the self-supervised
# models build one by default, and the jobs' `train_simclr`/`train_method` build one when
# given no augmentation). The individual layers (RandomResizedCrop, RandomColorJitter,
# ...) stay allowed: the students compose them.
_AUGMENTATION = [
    "ssl_keras.SimCLRAugmentation",
    "ssl_keras.layers.SimCLRAugmentation",
    "ssl_keras.layers.simclr_augmentation.SimCLRAugmentation",
    "ssl_keras.models.self_supervised_model.SimCLRAugmentation",
    "ssl_keras.pretrain.train_simclr",
    "ssl_keras.experiments.train_simclr",
    "ssl_keras.experiments.pretrain.train_simclr",
    "ssl_keras.experiments.train_method",
    "ssl_keras.experiments.pretrain.train_method",
]
# The library's projection head (the Figure-8 helper of the ablations builds one too);
# keras.layers.Dense and the activations stay allowed.
_HEAD = [
    "ssl_keras.ProjectionHead",
    "ssl_keras.layers.ProjectionHead",
    "ssl_keras.layers.projection_head.ProjectionHead",
    "ssl_keras.models.simclr.ProjectionHead",
    "ssl_keras.experiments.ablations.projection_head",
]
# The library's batched extraction (and the probe that extracts first); Keras's own
# `Model.predict` stays allowed: it is the way to run a model in batches.
_FEATURES = [
    "ssl_keras.extract_features",
    "ssl_keras.evaluation.extract_features",
    "ssl_keras.evaluation.features.extract_features",
    "ssl_keras.evaluation.features._predict_in_batches",
    "ssl_keras.evaluation.linear_probe_from_encoder",
    "ssl_keras.evaluation.linear_probe.linear_probe_from_encoder",
]
# Any ready-made linear classifier: the library's probe (and its builder), fine-tuning's
# head, scikit-learn's linear models. Keras's Dense, optimizers and losses stay allowed.
_PROBE = [
    "ssl_keras.linear_probe",
    "ssl_keras.evaluation.linear_probe",
    "ssl_keras.evaluation.linear_probe.linear_probe",
    "ssl_keras.evaluation.linear_probe._build_probe",
    "ssl_keras.evaluation.linear_probe_from_encoder",
    "ssl_keras.evaluation.linear_probe.linear_probe_from_encoder",
    "ssl_keras.fine_tune",
    "ssl_keras.evaluation.fine_tune",
    "ssl_keras.evaluation.fine_tune.fine_tune",
    "sklearn.linear_model.LogisticRegression",
    "sklearn.linear_model.LogisticRegressionCV",
    "sklearn.linear_model.SGDClassifier",
    "sklearn.linear_model.RidgeClassifier",
    "sklearn.linear_model.RidgeClassifierCV",
    "sklearn.linear_model.Perceptron",
    "sklearn.svm.LinearSVC",
    "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
]
# Library accuracies: the arg-max and the comparison are the task.
_ACCURACY = [
    "ssl_keras.evaluation.linear_probe._accuracy",
    "keras.metrics.Accuracy",
    "keras.metrics.SparseCategoricalAccuracy",
    "keras.metrics.CategoricalAccuracy",
    "keras.metrics.sparse_categorical_accuracy",
    "keras.metrics.categorical_accuracy",
    "sklearn.metrics.accuracy_score",
    "sklearn.metrics.balanced_accuracy_score",
]

FORBIDDEN: dict[str, list[str]] = {
    TASK: _AUGMENTATION,
    HEAD: _HEAD,
    FEATURES: _FEATURES,
    PROBE: _PROBE,
    ACCURACY: _ACCURACY,
}

# No task calls an earlier one (the probe is trained on features given to it, and the
# accuracy takes a probe): no stand-ins.
STAND_INS: dict = {}

SETUP = ("setup",)
