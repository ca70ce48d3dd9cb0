"""SimCLR as a `keras.Model`: `model.compile(optimizer)`, then `model.fit(images)`."""

import math
import numbers

import keras
from keras import ops

from ssl_keras.distributed.gathered_nt_xent import gathered_nt_xent
from ssl_keras.layers.projection_head import ProjectionHead
from ssl_keras.losses.margin_triplet import margin_triplet
from ssl_keras.losses.nt_logistic import nt_logistic
from ssl_keras.losses.nt_xent import nt_xent, nt_xent_logits
from ssl_keras.losses.positives_only import positives_only_loss
from ssl_keras.models.self_supervised_model import (
    PROBE_METRIC_NAMES,
    SelfSupervisedModel,
    embedding_std,
    float32_outputs,
)
from ssl_keras.ops.similarity import l2_normalize

# The named objectives: name -> (function, whether it takes the temperature, whether it
# takes `normalize`). The library functions themselves, passed as `objective`, map to
# their names, so that the model's temperature and `normalize` apply to them too.
NAMED_OBJECTIVES = {
    "nt_xent": (nt_xent, True, True),
    "nt_logistic": (nt_logistic, True, True),
    "margin_triplet": (margin_triplet, False, True),
    "positives_only": (positives_only_loss, False, False),
}
OBJECTIVES = tuple(NAMED_OBJECTIVES)
TOP_K = (1, 5)
__all__ = ["PROBE_METRIC_NAMES", "SimCLR", "contrastive_ranking", "embedding_std"]


@keras.saving.register_keras_serializable(package="ssl_keras")
class SimCLR(SelfSupervisedModel):
    """SimCLR: contrastive pretraining of an encoder on two augmented views per image.

    "SimCLR learns representations by maximizing agreement between differently augmented
    views of the same data example via a contrastive loss in the latent space" (Chen et
    al., 2020). For a batch of N images the model draws two views `x_a = t(x)`,
    `x_b = t'(x)` with the `augmentation`, encodes both (`h = f(x)`, the `encoder`),
    projects them (`z = g(h)`, the `projection_head`) and minimises NT-Xent on the 2N
    projections: each view must find its partner among the 2N - 1 other views.

    Training is plain Keras, identical on the JAX, TensorFlow and PyTorch backends:
    `model.compile(optimizer=...)` (no `loss`: the objective is built in) and
    `model.fit(images)`, or `model.fit(images, labels)` to also train the online linear
    probe. The whole step (augmentation included) runs on the device and jit-compiles;
    the objective is computed in `compute_loss`, not in a backend-specific `train_step`.

    Metrics (reset every epoch, shown in the progress bar and `History`; `val_` prefixed
    in `evaluate`/validation):
    - `loss`: the total loss minimised (`ssl_loss` + `probe_loss` + regularisation).
    - `ssl_loss`: the self-supervised objective (NT-Xent, or the positives-only loss).
    - `top1_accuracy`, `top5_accuracy`: how often the positive is the best (among the 5
      best) of the 2N - 1 candidates of an anchor, by cosine similarity; chance is
      `k / (2N - 1)`.
    - `positive_rank`: the positive's mean rank among the 2N - 1 candidates (1 is best,
      N is chance). Ties are broken uniformly at random in expectation (see
      `contrastive_ranking`), so a collapsed encoder scores chance, not perfection.
    - `embedding_std`: the collapse monitor, `embedding_std(z)`: about `1 / sqrt(d)` for
      well spread projections of dimension d, about 0 when they have collapsed.
    - `temperature`: the temperature used (useful when it is learned).
    - `probe_loss`, `probe_accuracy`: the online linear probe's cross-entropy and accuracy
      on the training views; only with `num_classes` and when labels are given.

    Design notes and departures from the paper:
    - The two views are concatenated into one batch of 2N images for a single encoder
      pass, as in SimCLR's reference code; BatchNorm statistics are therefore computed
      over both views together (2N samples). SimCLR additionally synchronises BatchNorm
      across accelerators ("global BN"); on one device this is the same thing.
    - The views are drawn in `evaluate()` and `predict()` as well (the task is defined
      on them); the encoder and head run in inference mode there. For deterministic
      features of un-augmented images use `model.encoder`.
    - The online probe is a `Dense(num_classes)` on `stop_gradient(h)` of both views
      (labels repeated), as in SimCLR's reference code (`lineareval_while_pretraining`);
      it trains with the same optimizer but never changes the encoder. Fitting a model
      that has a probe without labels makes Keras warn that the probe's weights get no
      gradient: expected, they are simply not updated.
    - A learned temperature is parametrised as `tau = exp(log_tau)` (positive by
      construction, scale-free updates, as CLIP's logit scale) and clamped to
      `temperature_bounds` in the forward pass, so the value used always stays within
      them; outside the bounds the clamp passes no gradient.
    - `sample_weight` is ignored: every image is one contrastive sample.
    - Under mixed precision the projections and probe logits are cast to float32 before
      the losses; the losses themselves are computed in float32.
    - Data-parallel training needs no change to this model. With `gather_negatives=True`
      (the default) the loss is the NT-Xent of the global batch, as in SimCLR's
      reference code, whatever the number of devices: on JAX, call
      `keras.distribution.set_distribution(keras.distribution.DataParallel())` before
      building the model (one global program; XLA gathers the projections); on
      TensorFlow, build, compile and fit under `tf.distribute.MirroredStrategy().scope()`
      (projections all-gathered across replicas in the step); on PyTorch, run one process
      per device with `torch.distributed` initialised and call
      `ssl_keras.distributed.torch_data_parallel(model)` once built. With
      `gather_negatives=False` each TensorFlow replica / PyTorch process contrasts only
      its own shard (2n - 2 negatives instead of 2N - 2; JAX always uses the global
      batch). BatchNorm is per replica on TensorFlow and PyTorch (the paper synchronises
      it) and global on JAX. The ranking metrics use the replica's own shard.

    Args:
        encoder: the encoder `f`, a Keras model mapping images to `(batch, dim)`
            features, e.g. `small_cnn_encoder()`, `cifar_resnet18_encoder()` or
            `backbone_encoder(...)`. It is trained in place and exposed as
            `model.encoder` for downstream use.
        projection_head: the projection head `g`, a layer mapping `(batch, dim)` to
            `(batch, d)`. Defaults to `ProjectionHead()` (Linear-BN-ReLU-Linear,
            512 -> 128). `keras.layers.Identity()` trains on the representation itself.
        augmentation: a layer mapping images to a pair of views `(view_a, view_b)`, both
            shaped like the encoder's input. Defaults to
            `SimCLRAugmentation(preset="cifar")`. Inputs given as a pair
            `(view_a, view_b)` of pre-made views skip it.
        temperature: the NT-Xent temperature tau > 0, or its initial value if learned.
            Defaults to 0.5 (SimCLR's value for CIFAR-10).
        learn_temperature: whether tau is a trainable weight. Defaults to `False`.
        temperature_bounds: `(minimum, maximum)` of a learned temperature. Defaults to
            `(0.01, 1.0)`.
        num_classes: number of classes of the online linear probe; `None` (default)
            means no probe.
        objective: the two-view loss of the projections. A name: `"nt_xent"`
            (SimCLR), `"nt_logistic"` or `"margin_triplet"` (the alternatives of SimCLR's
            Tables 1 and 2; margin 1.0), or `"positives_only"` (pull positives together
            without negatives: the representation-collapse experiment); the functions
            `ssl_keras.losses.nt_xent`, `nt_logistic`, `margin_triplet` and
            `positives_only_loss` stand for their names. Or any callable
            `(z_a, z_b) -> scalar` of two `(N, d)` batches of projections (your own
            loss, or a `functools.partial` of a library loss with other arguments), or a
            `keras.losses.Loss` on the stacked views `(2N, d)` such as
            `ssl_keras.losses.MarginTriplet(margin=0.5)` (called with `y_true` zeros,
            which two-view losses ignore). A callable is called with the projections
            L2-normalised if `normalize`, raw otherwise; the temperature is the named
            losses' only. Named `objective` because `Model.loss` holds `compile()`'s
            loss, which SimCLR does not use. A `keras.losses.Loss` or function
            registered with `keras.saving.register_keras_serializable` is saved by
            `get_config()`.
        normalize: whether the similarities of the loss are cosines, i.e. of
            L2-normalised projections (`True`, SimCLR), or dot products of the raw
            projections (`False`: the "w/o l2 norm" rows of SimCLR's Tables 2 and 5).
            Passed to the named losses; for a callable, decides whether it receives
            normalised projections. `"positives_only"` needs `True`. Defaults to `True`.
        gather_negatives: whether, in data-parallel training, each view is contrasted
            with the views of every replica (the global-batch NT-Xent) rather than only
            those of its own replica. No effect on one device. Defaults to `True`.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments:
        inputs: images `(batch, height, width, channels)` with values in `[0, 255]`, or
            a tuple `(view_a, view_b)` of such batches.
        training: Python boolean, passed to the encoder and head (BatchNorm mode).

    Returns:
        A dict of `(batch, ...)` tensors: `"h_a"`, `"h_b"` (encoder features of the two
        views), `"z_a"`, `"z_b"` (projections) and, with a probe, `"probe_logits_a"`,
        `"probe_logits_b"`.

    Raises:
        ValueError: if `temperature` is not > 0, `temperature_bounds` is not
            `0 < minimum <= maximum`, a learned `temperature` lies outside its bounds,
            `num_classes` is not a positive integer, `objective` is unknown, or the
            inputs are neither a rank-4 image batch nor a pair of them.

    Example:
    >>> import numpy as np
    >>> from ssl_keras.models import SimCLR, small_cnn_encoder
    >>> images = np.random.randint(0, 256, (64, 32, 32, 3)).astype("uint8")
    >>> model = SimCLR(small_cnn_encoder(), temperature=0.5)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> history = model.fit(images, batch_size=32, epochs=1)  # doctest: +SKIP
    >>> features = model.encoder.predict(images)  # (64, 256)  # doctest: +SKIP

    Reference:
        Chen, Kornblith, Norouzi, Hinton. A Simple Framework for Contrastive Learning of
        Visual Representations. ICML 2020.
    """

    serialized_layers = ("projection_head",)
    config_arguments = (
        "temperature",
        "learn_temperature",
        "temperature_bounds",
        "gather_negatives",
        "normalize",
    )

    def __init__(
        self,
        encoder: keras.Model,
        projection_head: keras.layers.Layer | None = None,
        augmentation: keras.layers.Layer | None = None,
        temperature: float = 0.5,
        learn_temperature: bool = False,
        temperature_bounds: tuple[float, float] = (0.01, 1.0),
        num_classes: int | None = None,
        objective="nt_xent",
        gather_negatives: bool = True,
        normalize: bool = True,
        **kwargs,
    ):
        _check_arguments(temperature, learn_temperature, temperature_bounds)
        if isinstance(objective, dict):  # from get_config()
            objective = keras.saving.deserialize_keras_object(objective)
        objective = _objective_name(objective)
        if objective not in OBJECTIVES if isinstance(objective, str) else not callable(objective):
            raise ValueError(
                f"`objective` should be one of {OBJECTIVES} or a callable "
                f"(z_a, z_b) -> loss. Received: objective={objective!r}"
            )
        if not isinstance(normalize, bool):
            raise ValueError(
                f"`normalize` should be True or False. Received: normalize={normalize!r}"
            )
        if isinstance(objective, str) and objective == "positives_only" and not normalize:
            raise ValueError(
                "The positives-only loss is a cosine similarity: it needs normalize=True. "
                f"Received: objective={objective!r}, normalize={normalize}"
            )
        super().__init__(encoder, augmentation, num_classes, **kwargs)
        if projection_head is None:
            projection_head = ProjectionHead(name="projection_head")
        self.projection_head = projection_head
        self.temperature = float(temperature)
        self.learn_temperature = bool(learn_temperature)
        self.temperature_bounds = tuple(float(bound) for bound in temperature_bounds)
        self.objective = objective
        self.gather_negatives = bool(gather_negatives)
        self.normalize = normalize

        self.log_temperature = None
        if self.learn_temperature:
            self.log_temperature = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(math.log(self.temperature)),
                trainable=True,
                name="log_temperature",
            )

        self.top1_accuracy_tracker = keras.metrics.Mean(name="top1_accuracy")
        self.top5_accuracy_tracker = keras.metrics.Mean(name="top5_accuracy")
        self.positive_rank_tracker = keras.metrics.Mean(name="positive_rank")
        self.temperature_tracker = keras.metrics.Mean(name="temperature")

    @classmethod
    def budget_options(cls, num_train, batch_size, epochs, seed=None, temperature=None):
        """The job's `temperature` (when it sets one): SimCLR's loss depends on it most."""
        del num_train, batch_size, epochs, seed
        return {} if temperature is None else {"temperature": temperature}

    def current_temperature(self):
        """The temperature used by the loss, as a float32 scalar tensor.

        Fixed temperature: `temperature`. Learned: `exp(log_tau)` clamped to
        `temperature_bounds`.
        """
        if self.log_temperature is None:
            return ops.convert_to_tensor(self.temperature, dtype="float32")
        minimum, maximum = self.temperature_bounds
        log_temperature = ops.clip(
            ops.cast(self.log_temperature, "float32"), math.log(minimum), math.log(maximum)
        )
        return ops.exp(log_temperature)

    def forward_views(self, view_a, view_b, training=None):
        # One encoder pass over both views (2N images): BatchNorm sees both views.
        views = ops.concatenate([view_a, view_b], axis=0)
        features = self.encoder(views, training=training)
        projections = self.projection_head(features, training=training)
        h_a, h_b = ops.split(features, 2, axis=0)
        z_a, z_b = ops.split(projections, 2, axis=0)
        return {"h_a": h_a, "h_b": h_b, "z_a": z_a, "z_b": z_b}

    def compute_ssl_loss(self, outputs, training=False):
        """The objective (NT-Xent by default) of the two views' projections."""
        del training
        z_a, z_b = float32_outputs(outputs, ("z_a", "z_b"))
        if self.objective == "nt_xent" and self.normalize and self.gather_negatives:
            return gathered_nt_xent(z_a, z_b, self.current_temperature())
        if isinstance(self.objective, str):
            function, takes_temperature, takes_normalize = NAMED_OBJECTIVES[self.objective]
            arguments = {"normalize": self.normalize} if takes_normalize else {}
            if takes_temperature:
                arguments["temperature"] = self.current_temperature()
            return function(z_a, z_b, **arguments)
        if self.normalize:
            z_a, z_b = l2_normalize(z_a), l2_normalize(z_b)
        if isinstance(self.objective, keras.losses.Loss):
            stacked = ops.concatenate([z_a, z_b], axis=0)
            return self.objective(ops.zeros_like(stacked), stacked)
        return self.objective(z_a, z_b)

    def update_metrics(self, outputs):
        detached_a, detached_b = float32_outputs(outputs, ("z_a", "z_b"), stop_gradient=True)
        ranking = contrastive_ranking(detached_a, detached_b, top_k=TOP_K)
        self.top1_accuracy_tracker.update_state(ranking["top1_accuracy"])
        self.top5_accuracy_tracker.update_state(ranking["top5_accuracy"])
        self.positive_rank_tracker.update_state(ranking["rank"])
        self.temperature_tracker.update_state(ops.stop_gradient(self.current_temperature()))

    def get_config(self):
        config = super().get_config()
        config["objective"] = (
            self.objective
            if isinstance(self.objective, str)
            else keras.saving.serialize_keras_object(self.objective)
        )
        return config


def _objective_name(objective):
    """The name of a library loss function passed as `objective`; anything else as is."""
    for name, (function, _, _) in NAMED_OBJECTIVES.items():
        if objective is function:
            return name
    return objective


def contrastive_ranking(z_a, z_b, top_k: tuple[int, ...] = TOP_K) -> dict:
    """Where each anchor's positive ranks among its 2N - 1 candidates, by cosine similarity.

    For anchor `i` of the 2N views `[z_a; z_b]`, let `g` be the number of candidates
    strictly more similar to it than its positive and `t` the number of other candidates
    exactly as similar (ties). Breaking ties uniformly at random, the positive's expected
    rank is `1 + g + t / 2` and the probability that it is among the `k` best is
    `clip((k - g) / (t + 1), 0, 1)`. Without ties these are the usual rank and top-k
    hit; with every candidate tied (collapsed embeddings) they are chance level, N and
    `k / (2N - 1)`, rather than a perfect score.

    The candidates and the positive's position come from `nt_xent_logits`, so this is
    exactly the classification problem NT-Xent solves (the temperature does not change
    the ranking).

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.
        top_k: the values of k for which a top-k accuracy is returned.

    Returns:
        Dict of float32 tensors of shape `(2N,)`: `"rank"` (in `[1, 2N - 1]`) and
        `"top{k}_accuracy"` (in `[0, 1]`) for each k.
    """
    logits, positive_index = nt_xent_logits(z_a, z_b, temperature=1.0)
    positive = ops.take_along_axis(logits, ops.expand_dims(positive_index, -1), axis=-1)
    greater = ops.sum(ops.cast(ops.greater(logits, positive), "float32"), axis=-1)
    # The positive equals itself: remove it from the ties.
    ties = ops.sum(ops.cast(ops.equal(logits, positive), "float32"), axis=-1) - 1.0
    result = {"rank": 1.0 + greater + 0.5 * ties}
    for k in top_k:
        result[f"top{k}_accuracy"] = ops.clip((float(k) - greater) / (ties + 1.0), 0.0, 1.0)
    return result


def _check_arguments(temperature, learn_temperature, temperature_bounds) -> None:
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, numbers.Real)
        or not temperature > 0
    ):
        raise ValueError(f"`temperature` should be > 0. Received: temperature={temperature}")
    if (
        not isinstance(temperature_bounds, (list, tuple))
        or len(temperature_bounds) != 2
        or not 0 < temperature_bounds[0] <= temperature_bounds[1]
    ):
        raise ValueError(
            "`temperature_bounds` should be (minimum, maximum) with 0 < minimum <= "
            f"maximum. Received: temperature_bounds={temperature_bounds}"
        )
    if learn_temperature and not (temperature_bounds[0] <= temperature <= temperature_bounds[1]):
        raise ValueError(
            "A learned `temperature` should start within `temperature_bounds`. "
            f"Received: temperature={temperature}, temperature_bounds={temperature_bounds}"
        )
