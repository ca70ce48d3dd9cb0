"""MoCo v2 as a `keras.Model`: a momentum encoder and a queue of negative keys."""


import keras
from keras import ops

from ssl_keras.distributed.collectives import replica_context
from ssl_keras.layers.projection_head import ProjectionHead
from ssl_keras.losses.info_nce import info_nce, info_nce_logits
from ssl_keras.models.momentum import MomentumTarget, check_momentum
from ssl_keras.models.self_supervised_model import SelfSupervisedModel, build_chain
from ssl_keras.ops.similarity import l2_normalize
from ssl_keras.validation import check_positive_float, check_positive_int


@keras.saving.register_keras_serializable(package="ssl_keras")
class MoCo(MomentumTarget, SelfSupervisedModel):
    """MoCo v2: contrastive learning against a queue of keys from a momentum encoder.

    "We maintain the dictionary as a queue of data samples: the encoded representations
    of the current mini-batch are enqueued, and the oldest are dequeued" and "the key
    encoder is a momentum-based moving average of the query encoder" (He et al., 2020).
    The number of negatives is the queue size K, not the batch size, so hardware that
    cannot hold a large batch still contrasts each view with thousands of negatives.

    One training step on a batch of N images (MoCo's Algorithm 1):
    1. momentum update of the key encoder, `theta_k <- m theta_k + (1 - m) theta_q`;
    2. two views per image (`augmentation`); queries `q = g_q(f_q(x_q))` from the
       trained encoder and head, keys `k = g_k(f_k(x_k))` from their momentum copies,
       without gradient;
    3. InfoNCE (`ssl_keras.losses.info_nce`) of each query against its key (positive)
       and the K queued keys (negatives), temperature tau, all L2-normalised;
    4. the N normalised keys are enqueued, replacing the N oldest (FIFO, a circular
       buffer with a pointer, as MoCo's `_dequeue_and_enqueue`).
    Train it as SimCLR: `model.compile(optimizer=...)` (no `loss`), `model.fit(images)`.
    The queue and the momentum encoder are non-trainable weights: saved with the model.

    Design notes and departures from the paper:
    - The momentum encoder is a clone of `encoder` and `projection_head`
      (`keras.models.clone_model`, or `from_config` for a layer) and starts as an exact
      copy of them. Its weights are all non-trainable. With `key_encoder_training=True`
      (default) the momentum average covers the query side's trainable weights (MoCo's
      "parameters", `encoder_q.parameters()` in its code); the BatchNorm moving
      statistics are the key encoder's own, updated by its training-mode passes on the
      keys, as MoCo's buffers are (its code neither averages nor copies them; averaging
      them as well would mix the query batches' statistics into those of the keys).
    - In `fit` the key encoder runs in training mode, as in MoCo's code (BatchNorm
      normalises the key batch with its own statistics); in `evaluate`/`predict` both
      encoders run in inference mode. MoCo adds "shuffling BN" across GPUs against a
      BatchNorm information leak between queries and keys; it is not implemented here
      (single device). With an encoder without BatchNorm this does not arise.
      `key_encoder_training=False` is another way to stop the leak: the key encoder and
      head always run in inference mode, so BatchNorm normalises the keys with the key
      encoder's moving statistics. Inference-mode passes never update them, so the
      momentum average then covers them too: `s_k <- m s_k + (1 - m) s_q` for the
      moving mean and variance, with the same momentum as the weights, from the query
      encoder's (moved by its training-mode passes). The key encoder's statistics thus
      follow its weights, which are averaged the same way; without this they would keep
      the values copied at build time. (A departure: MoCo's code has no such mode.)
    - The loss is MoCo v2's asymmetric one (queries from the first view, keys from the
      second). The queue starts as random unit vectors, as in MoCo's code. The pointer
      wraps around, so the queue size need not be a multiple of the batch size.
    - The queue and momentum update happen in `fit` only (`evaluate` leaves them as is).
    - Devices: on JAX, `keras.distribution.DataParallel` works unchanged (one global
      program: the global batch's keys are enqueued). TensorFlow replicas and PyTorch
      processes are refused with an error: the per-replica queue update would need
      MoCo's `concat_all_gather` of the keys, not implemented; use `SimCLR` there.

    Args:
        encoder: the query encoder `f_q`, a Keras model mapping images to
            `(batch, dim)` features; trained in place, exposed as `model.encoder`.
        projection_head: the head `g_q`. Defaults to MoCo v2's MLP without BatchNorm,
            `ProjectionHead(hidden_dims=(512,), output_dim=128, use_batch_norm=False)`.
        augmentation: a layer mapping images to a pair of views. Defaults to
            `SimCLRAugmentation(preset="cifar")` (MoCo v2 uses SimCLR's augmentation).
            Inputs given as a pair `(view_q, view_k)` skip it.
        queue_size: the number K of queued negative keys. Defaults to 4096 (MoCo on
            ImageNet: 65536).
        momentum: the momentum m in `[0, 1]` of the key encoder. Defaults to 0.999.
        temperature: the InfoNCE temperature tau > 0. Defaults to 0.2 (MoCo v2).
        seed: seed of the queue's random initial keys.
        num_classes: classes of the online linear probe on `stop_gradient(h_q)`; `None`
            (default): no probe. See `SelfSupervisedModel`.
        key_encoder_training: whether the key encoder and head run in training mode in
            `fit` (`True`, default, MoCo's code: BatchNorm uses the key batch's
            statistics) or always in inference mode (`False`: BatchNorm uses the key
            encoder's moving statistics, momentum-averaged from the query encoder's; see
            the design notes).
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments:
        inputs: images `(batch, height, width, channels)` in `[0, 255]`, or a pair
            `(view_q, view_k)`.
        training: Python boolean. When true the momentum update is applied first.

    Returns:
        A dict: `"h_q"` (query features), `"z_q"` (query projections) and `"z_k"`
        (key projections, no gradient).

    Raises:
        ValueError: for a `queue_size` that is not a positive integer, a `momentum`
            outside `[0, 1]`, `temperature <= 0`, a `key_encoder_training` that is not a
            bool, inputs that are neither images nor a
            pair of them, a batch larger than the queue, or more than one TensorFlow
            replica / PyTorch process.

    Example:
    >>> import numpy as np
    >>> from ssl_keras.models import MoCo, small_cnn_encoder
    >>> images = np.random.randint(0, 256, (64, 32, 32, 3)).astype("uint8")
    >>> model = MoCo(small_cnn_encoder(), queue_size=256)
    >>> model.compile(optimizer=keras.optimizers.SGD(0.03, momentum=0.9))
    >>> history = model.fit(images, batch_size=32, epochs=1)  # doctest: +SKIP

    Reference:
        He, Fan, Wu, Xie, Girshick. Momentum Contrast for Unsupervised Visual
        Representation Learning. CVPR 2020. Chen, Fan, Girshick, He. Improved Baselines
        with Momentum Contrastive Learning (MoCo v2). arXiv:2003.04297, 2020.
    """

    serialized_layers = ("projection_head",)
    config_arguments = ("queue_size", "momentum", "temperature", "seed", "key_encoder_training")
    view_names = ("view_q", "view_k")
    feature_keys = ("h_q",)
    embedding_keys = ("z_q",)
    embedding_pair_keys = ("z_q", "z_k")
    momentum_pairs = (
        ("encoder", "momentum_encoder"),
        ("projection_head", "momentum_projection_head"),
    )

    def __init__(
        self,
        encoder: keras.Model,
        projection_head: keras.layers.Layer | None = None,
        augmentation: keras.layers.Layer | None = None,
        queue_size: int = 4096,
        momentum: float = 0.999,
        temperature: float = 0.2,
        seed: int | None = None,
        num_classes: int | None = None,
        key_encoder_training: bool = True,
        **kwargs,
    ):
        queue_size = check_positive_int(queue_size, "queue_size")
        momentum = check_momentum(momentum)
        temperature = check_positive_float(temperature, "temperature")
        if not isinstance(key_encoder_training, bool):
            raise ValueError(
                "`key_encoder_training` should be True or False. Received: "
                f"key_encoder_training={key_encoder_training!r}"
            )
        super().__init__(encoder, augmentation, num_classes, **kwargs)
        if projection_head is None:
            projection_head = ProjectionHead(
                hidden_dims=(512,), output_dim=128, use_batch_norm=False, name="projection_head"
            )
        self.projection_head = projection_head
        self.queue_size = int(queue_size)
        self.momentum = momentum
        self.temperature = float(temperature)
        self.seed = seed
        self.key_encoder_training = key_encoder_training

        self.init_target_layers()
        self.queue = None
        self.queue_pointer = None

        self.top1_accuracy_tracker = keras.metrics.Mean(name="top1_accuracy")

    @classmethod
    def budget_options(cls, num_train, batch_size, epochs, seed=None, temperature=None):
        """A queue of at most 4,096 keys and at most an eighth of the training set (but at
        least one batch), a key-encoder momentum of 0.99 and the job's `seed`.

        A queue that holds most of the training set holds a key of every query's own
        image, drawn an epoch before, as a negative (MoCo's 65,536 keys are 5% of
        ImageNet); measured on the embedded digits with a queue of 1,130 keys, MoCo's
        encoder fell below random init. MoCo's momentum 0.999 is for runs of 100,000+
        steps; over a few hundred steps the key encoder would stay near its random
        initialisation. The temperature stays MoCo v2's 0.2.
        """
        del epochs, temperature
        queue_size = max(batch_size, min(4096, num_train // 8))
        return {"queue_size": queue_size, "momentum": 0.99, "seed": seed}

    def build_heads(self, image_shape, feature_shape):
        projection_shape = build_chain([self.projection_head], feature_shape)
        self.build_target(image_shape)
        seed = self.seed

        def unit_rows(shape, dtype=None):
            rows = keras.random.normal(shape, dtype="float32", seed=seed)
            return ops.cast(l2_normalize(rows), dtype or "float32")

        self.queue = self.add_weight(
            shape=(self.queue_size, projection_shape[-1]),
            initializer=unit_rows,
            dtype="float32",
            trainable=False,
            name="queue",
        )
        self.queue_pointer = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, name="queue_pointer"
        )

    def update_momentum_encoder(self):
        """`theta_k <- m theta_k + (1 - m) theta_q` for the query's trainable weights.

        Called at the start of each training step by `call(..., training=True)`, before
        the keys are computed, as in MoCo's Algorithm 1. No gradient flows through it.
        With `key_encoder_training=False` the BatchNorm moving statistics are averaged
        the same way (see the design notes); otherwise they are the key encoder's own.
        """
        self.momentum_average(self.momentum, include_statistics=not self.key_encoder_training)

    def enqueue(self, keys):
        """Writes `keys` (`(n, d)`, n <= K) over the n oldest queue rows; moves the pointer.

        Row `(pointer + i) % K` receives `keys[i]`, then `pointer <- (pointer + n) % K`.
        The keys are stored as given (the model enqueues normalised keys).
        """
        keys = ops.cast(ops.convert_to_tensor(keys), "float32")
        batch = keys.shape[0]
        if batch is not None and batch > self.queue_size:
            raise ValueError(
                f"The batch ({batch} keys) should not exceed `queue_size`. Received: "
                f"queue_size={self.queue_size}"
            )
        batch = ops.shape(keys)[0]
        pointer = ops.cast(ops.convert_to_tensor(self.queue_pointer), "int32")
        indices = (pointer + ops.arange(batch, dtype="int32")) % self.queue_size
        queue = ops.convert_to_tensor(self.queue)
        self.queue.assign(ops.scatter_update(queue, ops.expand_dims(indices, -1), keys))
        self.queue_pointer.assign(
            ops.cast((pointer + ops.cast(batch, "int32")) % self.queue_size, "int32")
        )

    def forward_views(self, view_q, view_k, training=None):
        if training:
            self.update_momentum_encoder()
        h_q = self.encoder(view_q, training=training)
        z_q = self.projection_head(h_q, training=training)
        key_training = training if self.key_encoder_training else False
        h_k = self.momentum_encoder(view_k, training=key_training)
        z_k = self.momentum_projection_head(h_k, training=key_training)
        return {"h_q": h_q, "z_q": z_q, "z_k": ops.stop_gradient(z_k)}

    def compute_ssl_loss(self, outputs, training=False):
        """InfoNCE against the queue, then (in training) enqueue the keys.

        The loss uses the queue as it was before this batch's keys are enqueued, as in
        MoCo's Algorithm 1.
        """
        if replica_context()[1] > 1:
            raise ValueError(
                "`MoCo` does not support tf.distribute replicas or torch.distributed "
                "processes (its queue would need the keys of every replica). Train it on "
                "one device, or on JAX with keras.distribution.DataParallel."
            )
        query = ops.cast(outputs["z_q"], "float32")
        keys = l2_normalize(ops.cast(outputs["z_k"], "float32"))
        # A copy: the queue variable is overwritten below (in place on torch).
        negatives = ops.stop_gradient(ops.copy(ops.convert_to_tensor(self.queue)))
        loss = info_nce(query, keys, negatives, self.temperature)
        logits = info_nce_logits(ops.stop_gradient(query), keys, negatives, self.temperature)
        hit = ops.equal(ops.argmax(logits, axis=-1), 0)
        self.top1_accuracy_tracker.update_state(ops.cast(hit, "float32"))
        if training:
            self.enqueue(keys)
        return loss
