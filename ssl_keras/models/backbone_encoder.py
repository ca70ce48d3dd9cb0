"""Turns any Keras or keras-hub backbone into an encoder `images -> (batch, dim)`."""

import keras

from ssl_keras.models._checks import check_image_shape

POOLINGS = ("avg", "max", "cls", None)
# Keys of dict outputs tried in order when `output_key` is None (keras-hub's names).
DEFAULT_OUTPUT_KEYS = ("pooled_output", "sequence_output", "feature_map", "last_hidden_state")


def backbone_encoder(
    backbone: keras.layers.Layer,
    pooling: str | None = "avg",
    input_shape: tuple | None = None,
    rescale: float | keras.layers.Layer | None = 1.0 / 255.0,
    output_key: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Wraps a backbone into an encoder mapping raw images to `(batch, dim)` features.

    SimCLR works with any encoder `f` whose output is one vector per image. Backbones come
    in several shapes; this function adds what each needs:

    - a 4-D feature map `(batch, height, width, channels)` (CNNs such as
      `keras.applications.ResNet50(include_top=False)` or keras-hub's `ResNetBackbone`) is
      pooled over space (`pooling="avg"`, SimCLR's choice, or `"max"`);
    - a 3-D token sequence `(batch, tokens, channels)` (ViTs such as keras-hub's
      `ViTBackbone` or `DINOV2Backbone`) is pooled over tokens (`"avg"`, `"max"`) or
      reduced to its first, class token (`"cls"`);
    - a 2-D output `(batch, dim)` (e.g. a Keras application built with `pooling="avg"`) is
      used as it is, whatever `pooling` says;
    - a dict output picks one entry (`output_key`, or the first present of
      `"pooled_output"`, `"sequence_output"`, `"feature_map"`, `"last_hidden_state"`)
      which is then treated as above.

    ssl_keras feeds encoders raw images in `[0, 255]`, so a preprocessing step is put in
    front of the backbone: `Rescaling(rescale)` for a number (default `1 / 255`), the
    given layer for a layer (e.g. `keras.layers.Normalization(mean=..., variance=...)` or a
    keras-hub `ImageConverter`, which rescales and normalises as its pretrained weights
    expect), nothing for `None`.

    Usage with Keras applications (random init; `weights="imagenet"` needs a download and
    its own `keras.applications.resnet50.preprocess_input`, pass it as a layer):

        backbone = keras.applications.ResNet50(
            include_top=False, weights=None, input_shape=(32, 32, 3))
        encoder = backbone_encoder(backbone)          # (batch, 2048)

    Usage with keras-hub (not a dependency of ssl_keras; any object that behaves like a
    Keras layer works, including backbones whose outputs are dicts):

        import keras_hub
        backbone = keras_hub.models.Backbone.from_preset("dinov2_small")
        converter = keras_hub.layers.ImageConverter.from_preset("dinov2_small")
        encoder = backbone_encoder(backbone, pooling="cls", input_shape=(224, 224, 3),
                                   rescale=converter)

    Args:
        backbone: a Keras model or layer taking a batch of images.
        pooling: `"avg"`, `"max"`, `"cls"` (first token; 3-D outputs only) or `None`
            (the backbone's output must then already be 2-D). Defaults to `"avg"`.
        input_shape: `(height, width, channels)` of the images. Defaults to the
            backbone's own input shape, which must then be known.
        rescale: a number (images are multiplied by it), a preprocessing layer, or `None`.
            Defaults to `1 / 255`.
        output_key: for dict outputs, the entry to use. Defaults to the first present of
            `"pooled_output"`, `"sequence_output"`, `"feature_map"`,
            `"last_hidden_state"`.
        name: name of the model. Defaults to `"<backbone name>_encoder"`.

    Returns:
        A functional `keras.Model` mapping images `(batch, height, width, channels)` to
        features `(batch, dim)`; the backbone is a nested layer, so its weights are shared
        with (and train with) the encoder.

    Raises:
        ValueError: for an unknown `pooling`, an unknown input shape, a dict output without
            a usable entry, `pooling="cls"` on a non-sequence output, a 4-D output with
            `pooling=None`, or an output of another rank.

    Example:
    >>> import numpy as np
    >>> backbone = keras.applications.ResNet50(
    ...     include_top=False, weights=None, input_shape=(32, 32, 3))
    >>> encoder = backbone_encoder(backbone)
    >>> encoder(np.zeros((2, 32, 32, 3), "uint8")).shape  # doctest: +SKIP
    (2, 2048)
    """
    if pooling not in POOLINGS:
        raise ValueError(f"`pooling` should be one of {POOLINGS}. Received: pooling={pooling!r}")
    if input_shape is None:
        input_shape = _backbone_input_shape(backbone)
    input_shape = check_image_shape(input_shape)
    name = name or f"{backbone.name}_encoder"

    inputs = keras.Input(shape=input_shape, name="images")
    x = inputs
    if isinstance(rescale, (int, float)) and not isinstance(rescale, bool):
        x = keras.layers.Rescaling(float(rescale), name="rescaling")(x)
    elif rescale is not None:
        x = rescale(x)
    outputs = backbone(x)
    if isinstance(outputs, dict):
        outputs = _select_output(outputs, output_key)
    elif isinstance(outputs, (list, tuple)):
        raise ValueError(
            "`backbone` should return one tensor or a dict of tensors. Received "
            f"{len(outputs)} outputs."
        )
    features = _pool(outputs, pooling)
    return keras.Model(inputs, features, name=name)


def _backbone_input_shape(backbone) -> tuple:
    shape = None
    try:
        shape = backbone.input_shape
    except (AttributeError, ValueError):
        pass
    if isinstance(shape, dict) or (
        isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple))
    ):
        raise ValueError(
            "`backbone` has several inputs; pass `input_shape=(height, width, channels)` "
            f"and a backbone taking one image tensor. Received: backbone.input_shape={shape}"
        )
    if shape is None or len(shape) != 4:
        raise ValueError(
            "Could not infer the image shape from `backbone`: pass "
            "`input_shape=(height, width, channels)`. "
            f"Received: backbone.input_shape={shape}"
        )
    return tuple(shape[1:])


def _select_output(outputs: dict, output_key: str | None):
    keys = (output_key,) if output_key is not None else DEFAULT_OUTPUT_KEYS
    for key in keys:
        if key in outputs:
            return outputs[key]
    if output_key is None and len(outputs) == 1:
        return next(iter(outputs.values()))
    raise ValueError(
        f"Could not pick a feature tensor from the backbone's dict output; pass "
        f"`output_key` (one of {sorted(outputs)}). Received: output_key={output_key!r}"
    )


def _pool(outputs, pooling: str | None):
    rank = len(outputs.shape)
    if rank == 2:
        return outputs
    if rank == 4:
        if pooling == "avg":
            return keras.layers.GlobalAveragePooling2D(name="global_average_pool")(outputs)
        if pooling == "max":
            return keras.layers.GlobalMaxPooling2D(name="global_max_pool")(outputs)
    elif rank == 3:
        if pooling == "avg":
            return keras.layers.GlobalAveragePooling1D(name="global_average_pool")(outputs)
        if pooling == "max":
            return keras.layers.GlobalMaxPooling1D(name="global_max_pool")(outputs)
        if pooling == "cls":
            return outputs[:, 0, :]
    raise ValueError(
        f"Cannot reduce a backbone output of shape {tuple(outputs.shape)} with "
        f"pooling={pooling!r}: use 'avg' or 'max' for feature maps (batch, height, width, "
        "channels), 'avg', 'max' or 'cls' for token sequences (batch, tokens, channels)."
    )
