"""The base of every two-view self-supervised model: views, collapse monitor, online probe."""

import inspect
import numbers

import keras
from keras import ops

from ssl_keras.layers.simclr_augmentation import SimCLRAugmentation
from ssl_keras.models._checks import views_from_inputs
from ssl_keras.models.pretraining_model import PretrainingModel, build_chain
from ssl_keras.ops.similarity import l2_normalize

__all__ = [
    "PROBE_METRIC_NAMES",
    "SelfSupervisedModel",
    "build_chain",
    "check_views",
    "embedding_std",
    "float32_outputs",
]

# Names of the metrics that only exist with an online linear probe and only make sense
# when labels are given.
PROBE_METRIC_NAMES = ("probe_loss", "probe_accuracy")


class SelfSupervisedModel(PretrainingModel):
    """Base class of the two-view self-supervised models (SimCLR, MoCo, SimSiam, BYOL, ...).

    A subclass says what its method computes; this class and its base,
    `PretrainingModel` (building, regularisation losses, `ssl_loss`, saving), do the rest,
    the same way for every method:
    - **Views.** `call` takes images `(batch, height, width, channels)` (augmented into two
      views by `augmentation`, a layer returning a pair) or a pair of pre-made views, and
      checks them. `fit(images)` and `fit(images, labels)` both work.
    - **Building** from the input shape (images or a pair): the encoder, then the
      subclass's heads (`build_heads`), then the online probe.
    - **Loss.** `compute_loss` = the subclass's `compute_ssl_loss(outputs)` + the online
      probe's cross-entropy (with labels) + the regularisation losses of every sublayer,
      scaled for `tf.distribute` replicas.
    - **Metrics:** `ssl_loss`, `embedding_std` (the collapse monitor on the embeddings named
      by `embedding_keys`: about `1 / sqrt(d)` when spread, 0 when collapsed) and, with
      `num_classes` and labels, `probe_loss` and `probe_accuracy`.
    - **Saving:** `get_config` serialises `encoder`, `augmentation`, every layer named in
      `serialized_layers`, `num_classes` and the scalar arguments named in
      `config_arguments`; `from_config` deserialises them.

    A subclass implements:
    - `__init__`: validate and keep its own arguments, call
      `super().__init__(encoder, augmentation, num_classes, **kwargs)`, create its heads;
      name its scalar arguments in `config_arguments`.
    - `forward_views(view_a, view_b, training)`: a dict of outputs (keys of its choice).
    - `compute_ssl_loss(outputs, training)`: the self-supervised loss, a float32 scalar.
    - optionally `build_heads(image_shape, feature_shape)` (default: builds the layers in
      `serialized_layers` one after the other from the features) and
      `update_metrics(outputs)` for method-specific metrics.
    Class attributes: `serialized_layers` (names of the head attributes, also `__init__`
    arguments), `view_names` (for error messages), `feature_keys` (outputs the online
    probe reads: one probe logit output `"probe_logits" + key[1:]` per key, e.g. `"h_a"`
    -> `"probe_logits_a"`), `embedding_keys` (outputs the collapse monitor reads) and
    `embedding_pair_keys` (the two outputs that embed the two views of each image, which
    the jobs compare in their similarity plots). A subclass whose arguments depend on a
    training job's budget overrides the classmethod `budget_options`.

    The online probe is a `Dense(num_classes)` on `stop_gradient` of the features, as in
    SimCLR's reference code: it trains with the same optimizer and never changes the
    encoder. Fitting without labels leaves it untouched (Keras warns that its weights get
    no gradient) and leaves its metrics out of the logs. `sample_weight` is ignored.

    Args:
        encoder: a Keras model mapping images to `(batch, dim)` features; trained in place
            and exposed as `model.encoder`.
        augmentation: a layer mapping images to a pair of views. Defaults to
            `SimCLRAugmentation(preset="cifar")`.
        num_classes: classes of the online linear probe; `None` (default): no probe.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments:
        inputs: images `(batch, height, width, channels)` in `[0, 255]`, or a pair of
            pre-made views (`view_names`, by default `(view_a, view_b)`).
        training: Python boolean (BatchNorm mode).

    Returns:
        The dict of `forward_views`: for most methods `"h_a"`, `"h_b"` (features) and
        `"z_a"`, `"z_b"` (embeddings); and, with a probe, one `"probe_logits" + key[1:]`
        per key of `feature_keys` (`"probe_logits_a"`, `"probe_logits_b"`).

    Raises:
        ValueError: if `num_classes` is not a positive integer or None, or the inputs are
            neither a rank-4 image batch nor a pair of them.
    """

    serialized_layers: tuple[str, ...] = ()
    view_names: tuple[str, str] = ("view_a", "view_b")
    feature_keys: tuple[str, ...] = ("h_a", "h_b")
    embedding_keys: tuple[str, ...] = ("z_a", "z_b")
    embedding_pair_keys: tuple[str, str] = ("z_a", "z_b")

    def __init__(
        self,
        encoder: keras.Model,
        augmentation: keras.layers.Layer | None = None,
        num_classes: int | None = None,
        **kwargs,
    ):
        if num_classes is not None and (
            isinstance(num_classes, bool)
            or not isinstance(num_classes, numbers.Integral)
            or num_classes < 1
        ):
            raise ValueError(
                f"`num_classes` should be a positive integer or None. Received: "
                f"num_classes={num_classes}"
            )
        super().__init__(encoder, **kwargs)
        if augmentation is None:
            augmentation = SimCLRAugmentation(preset="cifar", name="augmentation")
        self.augmentation = augmentation
        self.num_classes = None if num_classes is None else int(num_classes)
        self.linear_probe = None
        if self.num_classes is not None:
            self.linear_probe = keras.layers.Dense(self.num_classes, name="linear_probe")
        self.embedding_std_tracker = keras.metrics.Mean(name="embedding_std")
        if self.linear_probe is not None:
            self.probe_loss_tracker = keras.metrics.Mean(name="probe_loss")
            self.probe_accuracy_tracker = keras.metrics.Mean(name="probe_accuracy")

    @classmethod
    def budget_options(
        cls,
        num_train: int,
        batch_size: int,
        epochs: int,
        seed: int | None = None,
        temperature: float | None = None,
    ) -> dict:
        """The constructor arguments that a training job sets from its budget and settings.

        The jobs (`ssl_keras.experiments`) build every method with these, so a method
        whose arguments depend on the budget says so here and nowhere else. Default:
        `total_steps = max(1, num_train // batch_size) * epochs` (the job's number of
        training steps) when `__init__` takes a `total_steps` argument (a momentum
        schedule, as BYOL's and DINO's), else nothing.

        Args:
            num_train: the number of training images.
            batch_size: images per batch.
            epochs: training epochs.
            seed: the job's seed (for a method with its own random state).
            temperature: the job's contrastive temperature (for a method that takes it
                from the job).

        Returns:
            A dict of keyword arguments of the class's constructor.
        """
        del seed, temperature
        if "total_steps" in inspect.signature(cls.__init__).parameters:
            return {"total_steps": max(1, num_train // batch_size) * epochs}
        return {}

    # -- building ---------------------------------------------------------------------

    def build(self, input_shape):
        super().build(input_shape)
        if self.linear_probe is not None and not self.linear_probe.built:
            image_shape = self.image_input_shape(input_shape)
            self.linear_probe.build(self.encoder_output_shape(image_shape))

    def image_input_shape(self, input_shape) -> tuple:
        """The shape of one view: `input_shape` itself, or its first entry for a pair."""
        if _is_pair(input_shape) and not isinstance(input_shape[0], (int, type(None))):
            return tuple(input_shape[0])
        return tuple(input_shape)

    # -- forward ----------------------------------------------------------------------

    def call(self, inputs, training=None):
        outputs = self.forward_views(*self.views(inputs), training=training)
        if self.linear_probe is not None:
            features = [outputs[key] for key in self.feature_keys]
            logits = self.linear_probe(ops.stop_gradient(ops.concatenate(features, axis=0)))
            for key, part in zip(self.feature_keys, ops.split(logits, len(features), axis=0)):
                outputs["probe_logits" + key[1:]] = part
        return outputs

    def forward_views(self, view_a, view_b, training=None) -> dict:
        """The method's forward pass on the two views; returns a dict of tensors.

        (Not `forward`: on the torch backend a Keras model is a `torch.nn.Module`, whose
        `forward` Keras already defines.)
        """
        raise NotImplementedError(f"{type(self).__name__} should implement `forward_views`.")

    def encode_views(self, views, heads: dict, training=None, encoder=None, features_key="h"):
        """Each view through `encoder` (default `self.encoder`), then through `heads`.

        The views go through separately, as the papers' pseudo-code writes it (BatchNorm
        statistics per view). `heads` maps output names to layers applied one after the
        other: `{"z": projector, "p": predictor}` gives `z_a = projector(h_a)`,
        `p_a = predictor(z_a)` and the same for view b.

        Returns:
            A dict with `"{features_key}_a"`, `"{features_key}_b"` (left out if
            `features_key` is None) and `"{name}_a"`, `"{name}_b"` for each head.
        """
        encoder = self.encoder if encoder is None else encoder
        outputs = {}
        for suffix, view in zip(("a", "b"), views):
            x = encoder(view, training=training)
            if features_key is not None:
                outputs[f"{features_key}_{suffix}"] = x
            for name, layer in heads.items():
                x = layer(x, training=training)
                outputs[f"{name}_{suffix}"] = x
        return outputs

    def views(self, inputs) -> tuple:
        """The views `call` passes to `forward_views`: by default the two of `two_views`.

        A method with more views (DINO's local crops) overrides it and checks them with
        `check_views`.
        """
        return self.two_views(inputs)

    def two_views(self, inputs):
        """The two views of `inputs`: the pair itself, or `augmentation(inputs)`.

        Views are drawn whatever `training` says: they define the task, so the loss in
        `evaluate()` is measured on views too.
        """
        pair = "(" + ", ".join(self.view_names) + ")"
        views, augmented = views_from_inputs(type(self).__name__, pair, inputs, self.augmentation)
        if augmented and (not isinstance(views, (list, tuple)) or len(views) != 2):
            raise ValueError(
                f"`augmentation` should return a pair of views {pair}. "
                f"Received: {type(views).__name__}"
            )
        return check_views(views)

    # -- loss and metrics -------------------------------------------------------------

    def compute_ssl_loss(self, outputs: dict, training: bool = False):
        """The self-supervised loss of `outputs` (from `call`), a float32 scalar."""
        raise NotImplementedError(f"{type(self).__name__} should implement `compute_ssl_loss`.")

    def update_metrics(self, outputs: dict) -> None:
        """Updates the subclass's own metrics from `outputs` (default: none)."""
        del outputs

    def compute_objective(self, x, y, y_pred, sample_weight=None, training=True):
        """`compute_ssl_loss(y_pred)`; also updates `embedding_std` and the subclass's metrics.

        `sample_weight` is ignored.
        """
        del x, y, sample_weight
        ssl_loss = self.compute_ssl_loss(y_pred, training=training)
        embeddings = [ops.cast(y_pred[key], "float32") for key in self.embedding_keys]
        self.embedding_std_tracker.update_state(
            embedding_std(ops.stop_gradient(ops.concatenate(embeddings, axis=0)))
        )
        self.update_metrics(y_pred)
        return ssl_loss

    def compute_auxiliary_loss(self, x, y, y_pred, training=True):
        """The online probe's cross-entropy when there is a probe and labels, else 0."""
        del x, training
        if self.linear_probe is None or y is None:
            return 0.0
        return self._probe_loss(y, y_pred)

    def _probe_loss(self, y, y_pred):
        if len(y.shape) > 2 or (len(y.shape) == 2 and y.shape[-1] != 1):
            raise ValueError(
                "The labels of the online probe should be integer class indices of shape "
                f"(batch,) or (batch, 1). Received: y.shape={tuple(y.shape)}"
            )
        labels = ops.reshape(ops.cast(y, "int32"), (-1,))
        labels = ops.concatenate([labels] * len(self.feature_keys), axis=0)
        logits = ops.cast(
            ops.concatenate([y_pred["probe_logits" + key[1:]] for key in self.feature_keys], 0),
            "float32",
        )
        probe_loss = ops.mean(
            keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        )
        correct = ops.equal(ops.cast(ops.argmax(logits, axis=-1), "int32"), labels)
        self.probe_loss_tracker.update_state(ops.stop_gradient(probe_loss))
        self.probe_accuracy_tracker.update_state(ops.cast(correct, "float32"))
        return probe_loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        results = super().compute_metrics(x, y, y_pred, sample_weight)
        if y is None:
            # Without labels the probe metrics were not updated: leave them out of the
            # logs instead of reporting zeros.
            results = {
                key: value for key, value in results.items() if key not in PROBE_METRIC_NAMES
            }
        return results

    # -- saving -----------------------------------------------------------------------

    @classmethod
    def layer_arguments(cls) -> tuple[str, ...]:
        return ("encoder", "augmentation") + tuple(cls.serialized_layers)

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config


def embedding_std(embeddings):
    """Collapse monitor: std over the batch of L2-normalised embeddings, averaged over dims.

    For `n` embeddings of dimension `d` spread uniformly on the unit sphere each
    coordinate has variance `1 / d`, so the value is about `1 / sqrt(d)`; if every
    embedding is the same vector (complete collapse) it is 0. This is Lightly's
    `std_of_l2_normalized`, with the population (1 / n) standard deviation.

    Args:
        embeddings: `(n, d)` tensor.

    Returns:
        float32 scalar tensor.
    """
    normalized = l2_normalize(ops.cast(embeddings, "float32"), axis=-1)
    return ops.mean(ops.std(normalized, axis=0))


def check_views(views) -> tuple:
    """Returns `views` as a tuple, or raises `ValueError` if a view is not rank 4."""
    for view in views:
        if len(view.shape) != 4:
            raise ValueError(
                "Each view should have shape (batch, height, width, channels). "
                f"Received: view.shape={tuple(view.shape)}"
            )
    return tuple(views)


def float32_outputs(outputs: dict, keys, stop_gradient: bool = False) -> list:
    """The tensors `outputs[key]` for each of `keys`, cast to float32 (the losses' dtype
    under mixed precision), and with `stop_gradient` detached (for metrics)."""
    values = [ops.cast(outputs[key], "float32") for key in keys]
    return [ops.stop_gradient(value) for value in values] if stop_gradient else values


def _is_pair(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2
