"""The benchmark's architectures written once against a tiny layer interface, so the
plain-JAX and plain-TensorFlow references share them (the PyTorch reference uses
`torch.nn` modules instead, the idiomatic way there).

An interface object `o` provides `conv(name, x, filters, kernel_size, strides, zero_init)`
(no bias, He-normal, "same" padding), `batch_norm(name, x, zero_gamma=False)` (momentum
0.99, epsilon 1e-3: Keras's defaults), `relu(x)`, `max_pool(x)` (2x2), `mean_pool(x)`
(global average) and `dense(name, x, units, use_bias)`. Layouts are NHWC, exactly the
ssl_keras models:

- `small_cnn`: `ssl_keras.models.small_cnn_encoder(width=64)`: 3 blocks of
  Conv3x3-BN-ReLU-Conv3x3-BN-ReLU-MaxPool, 64/128/256 channels, global average pool.
- `resnet18`: `ssl_keras.models.cifar_resnet18_encoder()`: 3x3 stem, 4 stages of 2
  BasicBlocks (zero-initialised last BN gamma), projection shortcuts, 512-d.
- `projection_head`: `ssl_keras.layers.ProjectionHead()`: Dense(512, no bias)-BN-ReLU-
  Dense(128).
"""


def small_cnn(o, x, width: int = 64, output_dim: int = 256):
    for block, filters in enumerate((width, 2 * width, output_dim), start=1):
        for conv in (1, 2):
            name = f"block{block}_conv{conv}"
            x = o.relu(o.batch_norm(name + "_bn", o.conv(name, x, filters, 3, 1)))
        x = o.max_pool(x)
    return o.mean_pool(x)


def resnet18(o, x, width: int = 64):
    x = o.relu(o.batch_norm("stem_bn", o.conv("stem", x, width, 3, 1)))
    channels = width
    for stage, stride in enumerate((1, 2, 2, 2), start=1):
        filters = width * 2 ** (stage - 1)
        for block in (1, 2):
            strides = stride if block == 1 else 1
            name = f"stage{stage}_block{block}"
            shortcut = x
            if strides != 1 or channels != filters:
                shortcut = o.batch_norm(
                    name + "_shortcut_bn", o.conv(name + "_shortcut", x, filters, 1, strides)
                )
            y = o.relu(o.batch_norm(name + "_bn1", o.conv(name + "_conv1", x, filters, 3, strides)))
            y = o.conv(name + "_conv2", y, filters, 3, 1)
            y = o.batch_norm(name + "_bn2", y, zero_gamma=True)
            x = o.relu(shortcut + y)
            channels = filters
    return o.mean_pool(x)


def projection_head(o, h, hidden: int = 512, output_dim: int = 128):
    h = o.relu(o.batch_norm("head_bn", o.dense("head_hidden", h, hidden, use_bias=False)))
    return o.dense("head_output", h, output_dim, use_bias=True)


ENCODERS = {"small_cnn": small_cnn, "resnet18": resnet18}
