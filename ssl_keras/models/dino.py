"""DINO as a `keras.Model`: a student distils a momentum teacher, centered and sharpened."""

import keras
from keras import ops

from ssl_keras.layers.projection_head import HeadConfig, ProjectionHead
from ssl_keras.losses.dino import dino_loss
from ssl_keras.models._checks import augment_images
from ssl_keras.models.momentum import CosineMomentumTarget, check_momentum
from ssl_keras.models.self_supervised_model import (
    SelfSupervisedModel,
    build_chain,
    check_views,
    float32_outputs,
)
from ssl_keras.ops.similarity import l2_normalize
from ssl_keras.validation import check_positive, check_positive_int

# DINO's teacher sees the two global views; the student sees them and any local views.
NUM_GLOBAL_VIEWS = 2


@keras.saving.register_keras_serializable(package="ssl_keras")
class DINOHead(HeadConfig, keras.layers.Layer):
    """DINO's projection head: an MLP to a bottleneck, L2 normalisation, then K prototypes.

    DINO: "The projection head consists of a 3-layer multi-layer perceptron (MLP) with
    hidden dimension 2048 followed by l2 normalization and a weight normalized fully
    connected layer with K dimensions". The MLP is a `ProjectionHead` (`Dense` + GELU
    per hidden layer, no batch norm, as the official `DINOHead`); the last layer has no
    bias, and its weight normalisation divides each prototype (a column of
    `prototypes`) by its norm, with the official code's gain fixed at 1
    (`norm_last_layer=True`), so each output is the cosine between the bottleneck and a
    prototype, in [-1, 1]; `normalize_last_layer=False` adds a trainable gain per
    prototype (initialised to 1), as `norm_last_layer=False`.

    Departures from the paper: smaller defaults (hidden 1024, bottleneck 256, K = 1024
    instead of 2048, 256, 65,536) for the course's small encoders and datasets; Keras's
    default initialisers (the official code draws truncated normals of std 0.02).

    Args:
        hidden_dims: widths of the MLP's hidden layers. Defaults to `(1024, 1024)` (a
            3-layer MLP with the bottleneck layer).
        bottleneck_dim: width of the L2-normalised bottleneck. Defaults to 256.
        output_dim: K, the number of prototypes (the softmax's size). Defaults to 1024.
        use_batch_norm: batch norm in the MLP's hidden layers. Defaults to `False`.
        activation: activation of the hidden layers. Defaults to `"gelu"`.
        normalize_last_layer: fix the prototypes' norm at 1 (`True`, default) or learn
            a gain per prototype.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, input_dim)`: the encoder's features.

    Output shape:
        `(batch, output_dim)`: the logits over the K prototypes.

    Raises:
        ValueError: if a width is not a positive integer.

    Example:
    >>> import numpy as np
    >>> head = DINOHead(hidden_dims=(32,), bottleneck_dim=8, output_dim=64)
    >>> tuple(head(np.random.rand(4, 16).astype("float32")).shape)
    (4, 64)

    Reference:
        Caron et al. Emerging Properties in Self-Supervised Vision Transformers. ICCV
        2021, Sec. 3.1 ("Network architecture") and Appendix.
    """

    config_arguments = (
        "hidden_dims",
        "bottleneck_dim",
        "output_dim",
        "use_batch_norm",
        "activation",
        "normalize_last_layer",
    )

    def __init__(
        self,
        hidden_dims: tuple[int, ...] | list[int] | int = (1024, 1024),
        bottleneck_dim: int = 256,
        output_dim: int = 1024,
        use_batch_norm: bool = False,
        activation="gelu",
        normalize_last_layer: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.bottleneck_dim = check_positive_int(bottleneck_dim, "bottleneck_dim")
        self.output_dim = check_positive_int(output_dim, "output_dim")
        self.mlp = ProjectionHead(
            hidden_dims,
            bottleneck_dim,
            use_batch_norm=use_batch_norm,
            activation=activation,
            dtype=self.dtype_policy,
            name="mlp",
        )
        self.hidden_dims = self.mlp.hidden_dims
        self.use_batch_norm = use_batch_norm
        self.activation = self.mlp.activation
        self.normalize_last_layer = bool(normalize_last_layer)

    def build(self, input_shape):
        self.mlp.build(input_shape)
        self.prototypes = self.add_weight(
            shape=(self.bottleneck_dim, self.output_dim), initializer="glorot_uniform",
            name="prototypes",
        )
        self.prototype_gain = None
        if not self.normalize_last_layer:
            self.prototype_gain = self.add_weight(
                shape=(self.output_dim,), initializer="ones", name="prototype_gain"
            )
        self.built = True

    def call(self, inputs, training=None):
        bottleneck = l2_normalize(self.mlp(inputs, training=training), axis=-1)
        prototypes = l2_normalize(ops.convert_to_tensor(self.prototypes), axis=0)
        logits = ops.matmul(bottleneck, ops.cast(prototypes, bottleneck.dtype))
        if self.prototype_gain is not None:
            logits = logits * ops.cast(self.prototype_gain, logits.dtype)
        return logits


@keras.saving.register_keras_serializable(package="ssl_keras")
class DINO(CosineMomentumTarget, SelfSupervisedModel):
    """DINO: self-distillation with no labels (Caron et al., 2021).

    "We train the student network to match the output of a given teacher network [...]
    by minimizing the cross-entropy loss w.r.t. the parameters of the student network";
    "the teacher is built from past iterations of the student network", by an
    exponential moving average, and "collapse is avoided with a centering and sharpening
    of the momentum teacher outputs".

    Student: `encoder` -> `projector` (a `DINOHead`: MLP, L2 norm, K prototypes),
    trained. Teacher: copies of both (no gradient), made at build time with the
    student's weights. One step on a batch of N images, as the paper's Algorithm 1:
    1. views: the two views of `augmentation` (default `SimCLRAugmentation`, as the
       other methods), or, with `ssl_keras.layers.MultiCropAugmentation`, its two
       global views then its local views; the teacher sees the two global views, the
       student every view;
    2. the loss `ssl_keras.losses.dino_loss`: for each global view g and each other
       view v, the cross-entropy between the teacher's `softmax((g_t - C) / tau_t)` and
       the student's `softmax(g_s / tau_s)`, averaged over the pairs and the batch;
    3. the optimizer updates the student;
    4. the teacher: `theta_t <- l theta_t + (1 - l) theta_s`, with l on the cosine
       schedule from `base_momentum` (0.996) to 1 over `total_steps` ("lambda following
       a cosine schedule from 0.996 to 1 during training"; constant without
       `total_steps`), the schedule BYOL uses (`ssl_keras.models.momentum`);
    5. the center: `C <- m C + (1 - m) mean(teacher logits of both views)`, m =
       `center_momentum` (0.9), a non-trainable variable `center` of shape `(K,)`,
       starting at 0.
    Train it with `model.compile(optimizer=...)` and `model.fit(images)` on any backend.

    Design notes and departures from the paper:
    - Step 4 of step k is applied at the start of step k + 1, before the teacher's
      outputs are computed, as in `BYOL` and `MoCo`: the teacher every step sees is the
      paper's, and the update runs inside the jit-compiled step on every backend.
      `momentum_step` (saved) counts the steps. Step 5 runs in the loss, after the loss
      was computed with the previous center, as Algorithm 1 orders it; neither runs in
      `evaluate` or `predict`.
    - Only trainable weights are averaged (the official code averages parameters, not
      buffers): the teacher's BatchNorm statistics come from its own forward passes.
    - The teacher temperature is a constant (0.04, the official code's default); the
      paper's linear warm-up of tau_t over the first 30 epochs, its weight-decay
      schedule, gradient clipping and frozen last layer in the first epoch are not
      reproduced.
    - Each view goes through the networks separately (BatchNorm statistics per view;
      the official code batches the views of one resolution together).
    - Default head `DINOHead()`: hidden 1024, bottleneck 256, K = 1024 (the paper:
      2048, 256, 65,536).
    - Views of another size than the images (local crops) need an encoder that accepts
      them, e.g. one built on `keras.Input((None, None, channels))`.

    Args:
        encoder: the student's encoder, a Keras model mapping images to `(batch, dim)`
            features; trained in place and exposed as `model.encoder`.
        projector: the student's head; the teacher's is its clone. Defaults to
            `DINOHead()`.
        augmentation: a layer mapping images to a pair of views, or to 2 global views
            followed by local views (`MultiCropAugmentation(num_global_crops=2)`).
            Defaults to `SimCLRAugmentation(preset="cifar")`.
        student_temperature: tau_s > 0. Defaults to 0.1.
        teacher_temperature: tau_t > 0. Defaults to 0.04.
        center_momentum: m in [0, 1] of the center's moving average. Defaults to 0.9.
        base_momentum: the teacher's momentum l at step 0, in [0, 1]. Defaults to 0.996.
        total_steps: the number of training steps of the cosine schedule (e.g.
            `epochs * steps_per_epoch`); `None` (default) keeps l = `base_momentum`.
        num_classes: classes of the online linear probe; `None` (default): no probe.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments:
        inputs: images `(batch, height, width, channels)` in `[0, 255]`, or a list of
            views (2 global views first, then any local views).
        training: Python boolean. When true the teacher's momentum update runs first.

    Returns:
        A dict of `(batch, ...)` tensors: `"h_a"`, `"h_b"` (the student's features of
        the global views), `"z_a"`, `"z_b"` (its logits),
        `"z_local_0"`, ... (its logits of the local views), `"teacher_a"`,
        `"teacher_b"` (the teacher's logits, uncentered, no gradient) and, with a
        probe, `"probe_logits_a"`, `"probe_logits_b"`.

    Raises:
        ValueError: for a temperature not > 0, a momentum not in [0, 1], `total_steps`
            not a positive integer or None, an augmentation with another number of
            global crops than 2, or inputs that are neither images nor >= 2 views.

    Example (training is `compile` and `fit`, as for every method: see `SimCLR`):
    >>> from ssl_keras.models import DINO, small_cnn_encoder
    >>> model = DINO(small_cnn_encoder((16, 16, 3), width=8), total_steps=1000)
    >>> model.build((None, 16, 16, 3))  # makes the teacher, the center, the step counter
    >>> tuple(model.center.shape), round(float(model.current_momentum()), 6)
    ((1024,), 0.996)

    Reference:
        Caron, Touvron, Misra, Jegou, Mairal, Bojanowski, Joulin. Emerging Properties in
        Self-Supervised Vision Transformers. ICCV 2021, Sec. 3.1 and Algorithm 1.
    """

    serialized_layers = ("projector",)
    config_arguments = (
        "student_temperature",
        "teacher_temperature",
        "center_momentum",
        "base_momentum",
        "total_steps",
    )
    momentum_pairs = (("encoder", "teacher_encoder"), ("projector", "teacher_projector"))

    def __init__(
        self,
        encoder: keras.Model,
        projector: keras.layers.Layer | None = None,
        augmentation: keras.layers.Layer | None = None,
        student_temperature: float = 0.1,
        teacher_temperature: float = 0.04,
        center_momentum: float = 0.9,
        base_momentum: float = 0.996,
        total_steps: int | None = None,
        num_classes: int | None = None,
        **kwargs,
    ):
        check_positive(student_temperature, "student_temperature")
        check_positive(teacher_temperature, "teacher_temperature")
        center_momentum = check_momentum(center_momentum, "center_momentum")
        global_crops = getattr(augmentation, "num_global_crops", NUM_GLOBAL_VIEWS)
        if global_crops != NUM_GLOBAL_VIEWS:
            raise ValueError(
                "DINO's teacher sees 2 global views: `augmentation` should make "
                f"num_global_crops=2. Received: num_global_crops={global_crops}"
            )
        super().__init__(encoder, augmentation, num_classes, **kwargs)
        if projector is None:
            projector = DINOHead(name="projector")
        self.projector = projector
        self.student_temperature = student_temperature
        self.teacher_temperature = teacher_temperature
        self.center_momentum = center_momentum
        self.init_momentum_schedule(base_momentum, total_steps)
        self.center = None

    # -- building ---------------------------------------------------------------------

    def image_input_shape(self, input_shape) -> tuple:
        """The shape of one view: `input_shape` itself, or its first entry for views."""
        if isinstance(input_shape, (list, tuple)) and isinstance(input_shape[0], (list, tuple)):
            return tuple(input_shape[0])
        return tuple(input_shape)

    def build_heads(self, image_shape, feature_shape):
        output_shape = build_chain([self.projector], feature_shape)
        self.build_target(image_shape)
        self.center = self.add_weight(
            shape=(output_shape[-1],), initializer="zeros", trainable=False, name="center"
        )

    # -- forward ----------------------------------------------------------------------

    def views(self, inputs) -> tuple:
        """The views of `inputs`: the list itself, or `augmentation(inputs)`; the two
        global views first. Drawn whatever `training` says (they define the task)."""
        if isinstance(inputs, (list, tuple)):
            views = tuple(inputs)
        else:
            views = augment_images(type(self).__name__, inputs, self.augmentation)
        if not isinstance(views, (list, tuple)) or len(views) < NUM_GLOBAL_VIEWS:
            raise ValueError(
                "`DINO` expects images or a list of at least 2 views (the 2 global views "
                f"first), and an augmentation that makes them. Received: {type(views).__name__}"
                + (f" of {len(views)} views" if isinstance(views, (list, tuple)) else "")
            )
        return check_views(views)

    def forward_views(self, view_a, view_b, *local_views, training=None):
        if training:
            self.update_target()
        global_views = (view_a, view_b)
        outputs = self.encode_views(global_views, {"z": self.projector}, training)
        for index, view in enumerate(local_views):
            features = self.encoder(view, training=training)
            outputs[f"z_local_{index}"] = self.projector(features, training=training)
        outputs.update(self.target_views(global_views, "teacher", training))
        return outputs

    # -- loss -------------------------------------------------------------------------

    def compute_ssl_loss(self, outputs, training=False):
        """`dino_loss` of the student's views against the teacher's, with the current
        center; when training, then updates the center (`update_center`)."""
        local_keys = sorted(
            (key for key in outputs if key.startswith("z_local_")),
            key=lambda key: int(key.rsplit("_", 1)[1]),
        )
        student = float32_outputs(outputs, ("z_a", "z_b", *local_keys))
        teacher = float32_outputs(outputs, ("teacher_a", "teacher_b"), stop_gradient=True)
        center = ops.convert_to_tensor(self.center)
        loss = dino_loss(
            student, teacher, center, self.student_temperature, self.teacher_temperature
        )
        if training:
            self.update_center(teacher)
        return loss

    def update_center(self, teacher_logits):
        """`C <- m C + (1 - m) mean(teacher_logits)`, the mean over views and images.

        Algorithm 1: `C = m*C + (1-m)*cat([t1, t2]).mean(dim=0)`.

        Args:
            teacher_logits: a list of the teacher's `(N, K)` logits, one per global view.
        """
        batch_center = ops.mean(ops.stack(teacher_logits, axis=0), axis=(0, 1))
        momentum = self.center_momentum
        center = ops.convert_to_tensor(self.center)
        self.center.assign(momentum * center + (1.0 - momentum) * ops.stop_gradient(batch_center))
