"""The projection head g(.) of SimCLR: a small MLP on top of the encoder."""


import keras

from ssl_keras.validation import check_positive_int, is_positive_int


class HeadConfig:
    """Mixin of the MLP heads (`ProjectionHead`, `ssl_keras.models.DINOHead`): output shape
    and serialisation.

    The head keeps each `__init__` argument named in `config_arguments` as an attribute of
    the same name, `hidden_dims` as a tuple and `activation` as a Keras activation (saved
    by name), and maps `(batch, input_dim)` to `(batch, output_dim)`.
    """

    config_arguments: tuple[str, ...] = ("hidden_dims", "output_dim", "use_batch_norm",
                                         "activation")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({name: getattr(self, name) for name in self.config_arguments})
        config["hidden_dims"] = list(self.hidden_dims)
        config["activation"] = keras.activations.serialize(self.activation)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["activation"] = keras.activations.deserialize(config["activation"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="ssl_keras")
class ProjectionHead(HeadConfig, keras.layers.Layer):
    """MLP projection head: `Dense -> BatchNorm -> ReLU` per hidden layer, then `Dense`.

    SimCLR maps the representation `h = f(x)` to the space where the contrastive loss is
    applied with a small MLP: "We use a MLP with one hidden layer to obtain
    z_i = g(h_i) = W(2) sigma(W(1) h_i) where sigma is a ReLU non-linearity" (Chen et al.,
    2020, Sec. 2.1). The head is discarded after pretraining; the representation `h`
    before it is what transfers (Sec. 4.2). The default is this 2-layer head
    (`Linear-BN-ReLU-Linear`); `hidden_dims=()` gives a linear head and
    `keras.layers.Identity()` (used in place of this layer) no head, the three variants
    compared in the paper's Figure 8.

    Departures from the paper, all configurable:
    - The hidden width defaults to 512 (the common choice for CIFAR-size encoders); the
      paper's hidden layer is as wide as the representation (2048 for ResNet-50): pass
      `hidden_dims=(2048,)` to match it.
    - Batch norm follows each hidden `Dense` (as in SimCLR's reference code, which the
      paper's formula leaves out); with `use_batch_norm=True` those `Dense` layers have no
      bias, which the batch norm's offset makes redundant. SimCLR's code also batch-normalises
      the output layer; this head's output layer is a plain `Dense` with bias.

    Args:
        hidden_dims: widths of the hidden layers, in order (an int means one hidden layer).
            `()` gives a linear projection. Defaults to `(512,)`.
        output_dim: dimension of the projection `z`. SimCLR uses 128. Defaults to 128.
        use_batch_norm: whether to batch-normalise each hidden layer before its activation.
            Defaults to `True`.
        activation: activation of the hidden layers, any name or callable accepted by
            `keras.activations.get`. Defaults to `"relu"`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        2D tensor of shape `(batch_size, input_dim)`: the encoder's representation `h`.

    Output shape:
        2D tensor of shape `(batch_size, output_dim)`: the projection `z`.

    Raises:
        ValueError: if `output_dim` or a hidden width is not a positive integer, or the
            input is not rank 2.

    Example:
    >>> import numpy as np
    >>> head = ProjectionHead(hidden_dims=(64,), output_dim=32)
    >>> tuple(head(np.random.rand(8, 256).astype("float32")).shape)
    (8, 32)

    Reference:
        Chen, Kornblith, Norouzi, Hinton. A Simple Framework for Contrastive Learning of
        Visual Representations. ICML 2020, Sec. 2.1 and 4.2.
    """

    def __init__(
        self,
        hidden_dims: tuple[int, ...] | list[int] | int = (512,),
        output_dim: int = 128,
        use_batch_norm: bool = True,
        activation="relu",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(hidden_dims, int):
            hidden_dims = (hidden_dims,)
        hidden_dims = tuple(hidden_dims)
        if not all(is_positive_int(width) for width in hidden_dims):
            raise ValueError(
                f"`hidden_dims` should hold positive integers. Received: hidden_dims={hidden_dims}"
            )
        check_positive_int(output_dim, "output_dim")
        hidden_dims = tuple(int(width) for width in hidden_dims)
        output_dim = int(output_dim)
        self.hidden_dims = hidden_dims
        self.output_dim = output_dim
        self.use_batch_norm = use_batch_norm
        self.activation = keras.activations.get(activation)

        self.hidden_layers = []
        for index, width in enumerate(hidden_dims):
            block = [
                keras.layers.Dense(
                    width,
                    use_bias=not use_batch_norm,
                    dtype=self.dtype_policy,
                    name=f"hidden_{index}",
                )
            ]
            if use_batch_norm:
                block.append(
                    keras.layers.BatchNormalization(
                        dtype=self.dtype_policy, name=f"hidden_{index}_batch_norm"
                    )
                )
            block.append(
                keras.layers.Activation(
                    self.activation, dtype=self.dtype_policy, name=f"hidden_{index}_activation"
                )
            )
            self.hidden_layers.extend(block)
        self.output_layer = keras.layers.Dense(output_dim, dtype=self.dtype_policy, name="output")

    def build(self, input_shape):
        _check_rank(input_shape)
        shape = tuple(input_shape)
        for layer in self.hidden_layers:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.output_layer.build(shape)
        self.built = True

    def call(self, inputs, training=None):
        _check_rank(inputs.shape)
        x = inputs
        for layer in self.hidden_layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                x = layer(x, training=training)
            else:
                x = layer(x)
        return self.output_layer(x)



def _check_rank(shape) -> None:
    if len(shape) != 2:
        raise ValueError(
            "`ProjectionHead` expects inputs of shape (batch_size, input_dim). "
            f"Received: inputs.shape={tuple(shape)}"
        )
