"""Argument checks shared by the model builders (private)."""

import keras


def check_image_shape(input_shape) -> tuple:
    """Returns `input_shape` as a tuple, or raises `ValueError` if it is not rank 3."""
    if input_shape is None or len(tuple(input_shape)) != 3:
        raise ValueError(
            "`input_shape` should be (height, width, channels). "
            f"Received: input_shape={input_shape}"
        )
    return tuple(input_shape)


def views_from_inputs(model_name: str, pair: str, inputs, augmentation):
    """The two views a two-branch model trains on: `inputs` itself when it is a pair,
    else `augmentation(inputs, training=True)` (views define the task, so they are drawn
    whatever `training` says). Raises `ValueError` on any other input.

    Returns:
        `(views, augmented)`: the views and whether `augmentation` made them.
    """
    if isinstance(inputs, (list, tuple)):
        if len(inputs) != 2:
            raise ValueError(
                f"`{model_name}` expects images (batch, height, width, channels) or a pair "
                f"{pair} of them. Received: {len(inputs)} inputs"
            )
        return tuple(inputs), False
    return augment_images(model_name, inputs, augmentation), True


def augment_images(model_name: str, images, augmentation):
    """`augmentation(images, training=True)`, or raises `ValueError` if `images` is not
    a rank-4 batch `(batch, height, width, channels)`."""
    if len(images.shape) != 4:
        raise ValueError(
            f"`{model_name}` expects images of shape (batch, height, width, channels). "
            f"Received: inputs.shape={tuple(images.shape)}"
        )
    return augmentation(images, training=True)


def check_encoder(encoder) -> None:
    """Raises `ValueError` if `encoder` is not a Keras layer or model."""
    if not isinstance(encoder, keras.layers.Layer):
        raise ValueError(
            "`encoder` should be a Keras model or layer mapping images to (batch, dim) "
            f"features. Received: encoder={encoder!r}"
        )


def encoder_output_dim(encoder) -> int:
    """The feature dimension of an encoder built from an `Input` (e.g. `small_cnn_encoder`)."""
    try:
        shape = encoder.output_shape
    except (AttributeError, ValueError):
        shape = None
    if not isinstance(shape, tuple) or len(shape) != 2 or shape[-1] is None:
        raise ValueError(
            "`encoder` should be a functional model with a rank-2 output (batch, dim), such "
            f"as `small_cnn_encoder()`. Received: output_shape={shape}"
        )
    return int(shape[-1])
