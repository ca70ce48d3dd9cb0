"""Zero-shot classification and image-text retrieval with any CLIP-style encoder pair."""

import numbers

import numpy as np
from keras import ops

from ssl_keras.ops.similarity import l2_normalize

DEFAULT_TEMPLATES = ("a photo of a {}.",)
# CLIP's learned logit scale is clipped at 100 (Radford et al., 2021, Section 2.5), and
# the released models sit at that value: it is the usual scale for zero-shot logits.
DEFAULT_LOGIT_SCALE = 100.0


class CLIPZeroShotClassifier:
    """Zero-shot classifier and retriever built from an image encoder and a text encoder.

    CLIP classifies an image by comparing its embedding with the embeddings of one text
    per class: "we use the names of all the classes in the dataset as the set of potential
    text pairings and predict the most probable (image, text) pair" (Radford et al., 2021,
    Section 3.1.2). The predicted class is the sheet's formula

        c = argmax_i  f(x)^T g(t_i) / (|f(x)| |g(t_i)|),

    and the logits are that cosine similarity times a scale (CLIP's learned `1 / tau`,
    100 for the released models), so that `predict` returns the softmax over classes.

    Prompt ensembling (CLIP, Section 3.1.4 and its notebook): every class name is written
    into each template (`"a photo of a {}."`), the template embeddings are L2-normalised,
    averaged per class, and the mean is L2-normalised again. With one template this is
    just the normalised embedding of that prompt.

    The encoders are plain callables, so any pair works: a `keras.Model` for images and a
    function for texts (a keras-hub CLIP through `from_keras_hub`, the package's
    `ssl_keras.clip.MiniCLIP`, or a frozen sentence encoder). This is a Python object, not
    a `keras.Model`: a text encoder takes Python strings, which have no place in a Keras
    graph. Results are NumPy arrays, as from `keras.Model.predict`.

    Args:
        image_encoder: callable mapping a batch of images `(B, ...)` to embeddings
            `(B, d)` (e.g. a `keras.Model`); called on slices of `batch_size` images.
        text_encoder: callable mapping a list of `T` strings to embeddings `(T, d)`.
        class_names: sequence of distinct, non-empty class names, written into the
            templates in this order (class `i` is `class_names[i]`).
        templates: sequence of prompt templates, each containing `"{}"` where the class
            name goes. Defaults to `("a photo of a {}.",)`.
        logit_scale: positive float multiplying the cosine similarities; `None` means
            `1 / temperature` if `temperature` is given, else 100 (CLIP's value).
        temperature: positive float, the alternative way to set the scale
            (`logit_scale = 1 / temperature`). Give at most one of the two.
        batch_size: number of images per call of `image_encoder`. Defaults to 256.

    Attributes:
        class_embeddings: `(num_classes, d)` NumPy array of the ensembled, L2-normalised
            class embeddings, computed on first use and cached.
        prompts: list (one entry per class) of the list of prompts of that class.

    Input shape:
        Images: whatever `image_encoder` takes, with the batch first.

    Output shape:
        `logits` and `predict`: `(B, num_classes)`; `predict_classes`: `(B,)`.

    Raises:
        ValueError: for an empty or duplicated class list, a template without `"{}"`, a
            non-positive scale or temperature, both a scale and a temperature, or (when
            the encoders run) embeddings that are not `(n, d)` with the same `d`.

    Example:
    >>> import numpy as np
    >>> codes = {"cat": [1.0, 0.0], "dog": [0.0, 1.0]}
    >>> def text_encoder(texts):
    ...     return np.array([codes[text.split()[-1].rstrip(".")] for text in texts])
    >>> def image_encoder(images):
    ...     return images.reshape(len(images), -1)
    >>> classifier = CLIPZeroShotClassifier(image_encoder, text_encoder, ["cat", "dog"])
    >>> classifier.predict_classes(np.array([[0.9, 0.1], [0.2, 0.8]]))
    array([0, 1])

    Reference:
        Radford et al., "Learning Transferable Visual Models From Natural Language
        Supervision", ICML 2021 (zero-shot transfer, Section 3.1; prompt engineering and
        ensembling, Section 3.1.4).
    """

    def __init__(
        self,
        image_encoder,
        text_encoder,
        class_names,
        templates=DEFAULT_TEMPLATES,
        logit_scale: float | None = None,
        temperature: float | None = None,
        batch_size: int = 256,
    ):
        if not callable(image_encoder):
            raise ValueError(
                f"`image_encoder` should be callable. Received: image_encoder={image_encoder!r}"
            )
        if not callable(text_encoder):
            raise ValueError(
                f"`text_encoder` should be callable. Received: text_encoder={text_encoder!r}"
            )
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.class_names = _check_class_names(class_names)
        self.templates = _check_templates(templates)
        self.logit_scale = logit_scale
        self.temperature = temperature
        self.scale = _resolve_scale(logit_scale, temperature)
        if (
            not isinstance(batch_size, numbers.Integral)
            or isinstance(batch_size, bool)
            or batch_size <= 0
        ):
            raise ValueError(
                f"`batch_size` should be a positive integer. Received: batch_size={batch_size}"
            )
        self.batch_size = int(batch_size)
        self.prompts = [[template.format(name) for template in self.templates]
                        for name in self.class_names]
        self._class_embeddings = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def get_config(self) -> dict:
        """The constructor's arguments other than the two encoders (which are callables)."""
        return {
            "class_names": list(self.class_names),
            "templates": list(self.templates),
            "logit_scale": self.logit_scale,
            "temperature": self.temperature,
            "batch_size": self.batch_size,
        }

    # ------------------------------------------------------------------ embeddings
    def encode_texts(self, texts) -> np.ndarray:
        """L2-normalised text embeddings `(T, d)` of a string or a list of `T` strings."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not texts:
            raise ValueError("`texts` should contain at least one string. Received: texts=[]")
        for text in texts:
            if not isinstance(text, str):
                raise ValueError(f"`texts` should be strings. Received: {text!r}")
        embeddings = _to_float_matrix(self.text_encoder(texts), "text_encoder")
        if embeddings.shape[0] != len(texts):
            raise ValueError(
                f"`text_encoder` should return one embedding per text. Received "
                f"{len(texts)} texts and embeddings of shape {embeddings.shape}"
            )
        return _normalize(embeddings)

    def encode_images(self, images) -> np.ndarray:
        """L2-normalised image embeddings `(B, d)`, computed `batch_size` images at a time."""
        count = len(images)
        if count == 0:
            raise ValueError("`images` should contain at least one image. Received 0 images")
        parts = []
        for start in range(0, count, self.batch_size):
            batch = images[start:start + self.batch_size]
            part = _to_float_matrix(self.image_encoder(batch), "image_encoder")
            if part.shape[0] != len(batch):
                raise ValueError(
                    f"`image_encoder` should return one embedding per image. Received "
                    f"{len(batch)} images and embeddings of shape {part.shape}"
                )
            parts.append(part)
        return _normalize(np.concatenate(parts, axis=0))

    @property
    def class_embeddings(self) -> np.ndarray:
        """`(num_classes, d)`: per class, the normalised mean of the normalised prompts."""
        if self._class_embeddings is None:
            flat_prompts = [prompt for prompts in self.prompts for prompt in prompts]
            embeddings = self.encode_texts(flat_prompts)
            per_class = embeddings.reshape(self.num_classes, len(self.templates), -1)
            self._class_embeddings = _normalize(per_class.mean(axis=1))
        return self._class_embeddings

    def reset_cache(self):
        """Forgets the cached class embeddings (call it after training the text encoder)."""
        self._class_embeddings = None

    # ------------------------------------------------------------------ classification
    def logits(self, images) -> np.ndarray:
        """Scaled cosine similarities `(B, num_classes)`: `scale * cos(f(x), class_i)`."""
        image_embeddings = self.encode_images(images)
        return self.logits_from_embeddings(image_embeddings)

    def logits_from_embeddings(self, image_embeddings) -> np.ndarray:
        """Like `logits`, for image embeddings `(B, d)` computed beforehand."""
        image_embeddings = _normalize(_to_float_matrix(image_embeddings, "image_embeddings"))
        classes = self.class_embeddings
        _check_same_dim(image_embeddings, classes, "image embeddings", "class embeddings")
        return self.scale * (image_embeddings @ classes.T)

    def predict(self, images) -> np.ndarray:
        """Class probabilities `(B, num_classes)`: the softmax of `logits`."""
        logits = ops.convert_to_tensor(self.logits(images), "float32")
        return np.asarray(ops.convert_to_numpy(ops.softmax(logits, axis=-1)))

    def predict_classes(self, images) -> np.ndarray:
        """Predicted class indices `(B,)`, the argmax of the cosine similarities."""
        return np.argmax(self.logits(images), axis=-1)

    def top_k(self, images, k: int = 5):
        """The `k` most probable classes of each image, best first.

        Returns:
            `(indices, probabilities)`, both `(B, k)`; ties keep the class order.
        """
        k = _check_k(k, self.num_classes, "classes")
        return _top_k(self.predict(images), k)

    # ------------------------------------------------------------------ retrieval
    def retrieve_images(self, text_queries, images, k: int = 5):
        """Text-to-image retrieval: for each query, the `k` most similar images.

        Args:
            text_queries: a string or a list of `Q` strings.
            images: `N` images (or anything `image_encoder` takes).
            k: number of results per query, at most `N`.

        Returns:
            `(indices, similarities)`, both `(Q, k)`, most similar first (cosine
            similarities, ties in image order).
        """
        texts = self.encode_texts(text_queries)
        return _retrieve(texts, self.encode_images(images), k, ("text", "image"))

    def retrieve_texts(self, images, texts, k: int = 5):
        """Image-to-text retrieval: for each image, the `k` most similar texts.

        Returns:
            `(indices, similarities)`, both `(B, k)`, most similar first (ties in text
            order).
        """
        text_embeddings = self.encode_texts(texts)
        return _retrieve(self.encode_images(images), text_embeddings, k, ("image", "text"))

    # ------------------------------------------------------------------ keras-hub
    @classmethod
    def from_keras_hub(
        cls,
        preset_or_backbone,
        class_names,
        preprocessor=None,
        templates=DEFAULT_TEMPLATES,
        logit_scale: float | None = None,
        temperature: float | None = None,
        batch_size: int = 32,
    ):
        """Builds the classifier from a keras-hub CLIP (`keras_hub.models.CLIPBackbone`).

        Args:
            preset_or_backbone: a keras-hub preset name such as `"clip_vit_base_patch32"`
                (downloaded once, needs internet), the path of a local preset directory
                (works offline: see below), or a `CLIPBackbone` instance.
            class_names: the class names, as in the constructor.
            preprocessor: a `keras_hub.models.CLIPPreprocessor` (tokenizer, and image
                converter that resizes and normalises raw images). Loaded from the same
                preset when `preset_or_backbone` is a name or path; required with a
                backbone instance.
            templates: prompt templates, as in the constructor.
            logit_scale: as in the constructor; by default the backbone's learned scale
                `exp(logit_scale)` is used.
            temperature: as in the constructor.
            batch_size: images per forward pass.

        Returns:
            A `CLIPZeroShotClassifier`.

        Raises:
            ImportError: if keras-hub is not installed.
            RuntimeError: if a preset cannot be loaded (e.g. offline); the message explains
                how to load it from a local directory instead.
            ValueError: for a backbone without a preprocessor, or the constructor's errors.

        Offline use: on a machine with internet, run
        `keras_hub.models.CLIPBackbone.from_preset(name).save_to_preset(directory)` and
        `keras_hub.models.CLIPPreprocessor.from_preset(name).save_to_preset(directory)` (or
        download the preset's files from Kaggle), copy the directory, and pass its path.
        """
        keras_hub = _import_keras_hub()
        if isinstance(preset_or_backbone, str):
            backbone, loaded_preprocessor = _load_keras_hub_preset(
                keras_hub, preset_or_backbone, load_preprocessor=preprocessor is None
            )
            preprocessor = preprocessor or loaded_preprocessor
        else:
            backbone = preset_or_backbone
            if preprocessor is None:
                raise ValueError(
                    "`preprocessor` is required when `preset_or_backbone` is a backbone "
                    "instance: pass a `keras_hub.models.CLIPPreprocessor` (its tokenizer "
                    "turns the prompts into token ids). Received: preprocessor=None"
                )
        image_encoder, text_encoder = keras_hub_clip_encoders(backbone, preprocessor)
        if logit_scale is None and temperature is None:
            logit_scale = float(ops.convert_to_numpy(ops.exp(backbone.clip_head.logit_scale)))
        return cls(
            image_encoder,
            text_encoder,
            class_names,
            templates=templates,
            logit_scale=logit_scale,
            temperature=temperature,
            batch_size=batch_size,
        )


def keras_hub_clip_encoders(backbone, preprocessor):
    """Image and text encoder callables for a keras-hub `CLIPBackbone`.

    The image encoder runs the preprocessor's image converter (resize, rescale,
    normalise; skipped if it has none) and `backbone.get_vision_embeddings`; the text
    encoder tokenises with the preprocessor (start/end tokens, padding to its
    `sequence_length`) and runs `backbone.get_text_embeddings`. Both return the projected
    embeddings, before normalisation, as the CLIP paper's `I_e` and `T_e`.

    Args:
        backbone: a `keras_hub.models.CLIPBackbone`.
        preprocessor: a `keras_hub.models.CLIPPreprocessor`.

    Returns:
        `(image_encoder, text_encoder)`: callables for `CLIPZeroShotClassifier`.
    """
    image_converter = getattr(preprocessor, "image_converter", None)

    def image_encoder(images):
        images = ops.convert_to_tensor(images, "float32")
        if image_converter is not None:
            images = image_converter(images)
        return backbone.get_vision_embeddings(images)

    def text_encoder(texts):
        tokens = preprocessor({"images": None, "prompts": list(texts)})
        token_ids = ops.convert_to_tensor(ops.convert_to_numpy(tokens["token_ids"]), "int32")
        return backbone.get_text_embeddings(token_ids)

    return image_encoder, text_encoder


def _import_keras_hub():
    try:
        import keras_hub
    except ImportError as error:
        raise ImportError(
            "`CLIPZeroShotClassifier.from_keras_hub` needs keras-hub: `pip install keras-hub` "
            "(without internet access to the presets, see its docstring for local presets)."
        ) from error
    return keras_hub


def _load_keras_hub_preset(keras_hub, preset: str, load_preprocessor: bool):
    try:
        backbone = keras_hub.models.CLIPBackbone.from_preset(preset)
        preprocessor = (
            keras_hub.models.CLIPPreprocessor.from_preset(preset) if load_preprocessor else None
        )
    except Exception as error:  # downloads raise many types (ImportError, HTTP, OSError...)
        raise RuntimeError(
            f"Could not load the keras-hub CLIP preset {preset!r}. Presets are downloaded "
            "from Kaggle on first use, which needs internet (and `pip install kagglehub`). "
            "Offline, pass the path of a local preset directory instead of the name: on a "
            "machine with internet run `keras_hub.models.CLIPBackbone.from_preset(name)"
            ".save_to_preset(directory)` and the same with `keras_hub.models."
            "CLIPPreprocessor`, copy the directory, then call "
            "`CLIPZeroShotClassifier.from_keras_hub('/path/to/directory', class_names)`. "
            f"The loading failed with: {type(error).__name__}: {error}"
        ) from error
    return backbone, preprocessor


def _check_class_names(class_names) -> tuple:
    if isinstance(class_names, str):
        raise ValueError(
            "`class_names` should be a sequence of strings, not one string. Received: "
            f"class_names={class_names!r}"
        )
    names = tuple(class_names)
    if not names:
        raise ValueError("`class_names` should contain at least one class. Received: []")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(
                f"`class_names` should be non-empty strings. Received: {name!r} in "
                f"class_names={list(names)}"
            )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(
            f"`class_names` should be distinct. Received duplicates {duplicates} in "
            f"class_names={list(names)}"
        )
    return names


def _check_templates(templates) -> tuple:
    if isinstance(templates, str):
        templates = (templates,)
    templates = tuple(templates)
    if not templates:
        raise ValueError("`templates` should contain at least one template. Received: []")
    for template in templates:
        if not isinstance(template, str) or "{}" not in template:
            raise ValueError(
                "Each template should be a string containing '{}' where the class name goes "
                f"(e.g. 'a photo of a {{}}.'). Received: template={template!r}"
            )
        try:
            template.format("x")
        except (IndexError, KeyError, ValueError) as error:
            raise ValueError(
                "Each template should have exactly one '{}' and no other braces. "
                f"Received: template={template!r}"
            ) from error
    return templates


def _resolve_scale(logit_scale, temperature) -> float:
    if logit_scale is not None and temperature is not None:
        raise ValueError(
            "Give `logit_scale` or `temperature`, not both. Received: "
            f"logit_scale={logit_scale}, temperature={temperature}"
        )
    if temperature is not None:
        if not isinstance(temperature, numbers.Real) or not temperature > 0:
            raise ValueError(
                f"`temperature` should be > 0. Received: temperature={temperature}"
            )
        return 1.0 / float(temperature)
    if logit_scale is None:
        return DEFAULT_LOGIT_SCALE
    if not isinstance(logit_scale, numbers.Real) or not logit_scale > 0:
        raise ValueError(f"`logit_scale` should be > 0. Received: logit_scale={logit_scale}")
    return float(logit_scale)


def _check_k(k, available: int, what: str) -> int:
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= available:
        raise ValueError(
            f"`k` should be an integer between 1 and the number of {what} ({available}). "
            f"Received: k={k}"
        )
    return int(k)


def _to_float_matrix(embeddings, name: str) -> np.ndarray:
    array = np.asarray(ops.convert_to_numpy(embeddings), dtype="float32")
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` should return embeddings of shape (batch, dim). Received shape "
            f"{array.shape}"
        )
    return array


def _normalize(embeddings: np.ndarray) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(l2_normalize(embeddings, axis=-1)), "float32")


def _check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str):
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"The {name_a} and {name_b} should have the same size to be compared (both "
            f"encoders must map into one joint space). Received: {name_a}.shape={a.shape}, "
            f"{name_b}.shape={b.shape}"
        )


def _top_k(scores: np.ndarray, k: int):
    """`(indices, scores)` of the `k` best scores of each row, best first, both `(rows, k)`."""
    # A stable sort of the negated scores: best first, ties in their original order.
    indices = np.argsort(-scores, axis=-1, kind="stable")[:, :k]
    return indices, np.take_along_axis(scores, indices, axis=-1)


def _retrieve(queries: np.ndarray, candidates: np.ndarray, k, names: tuple[str, str]):
    """For each of the `Q` query embeddings, the `k` candidate embeddings most similar to
    it: `(indices, similarities)`, both `(Q, k)`, best first, ties in candidate order.

    Both are unit vectors (`encode_texts`, `encode_images`): similarities are cosines.
    `names` are the query's and the candidates' kinds (`("text", "image")`), for errors.
    """
    query_name, candidate_name = names
    k = _check_k(k, len(candidates), f"{candidate_name}s")
    _check_same_dim(queries, candidates, f"{query_name} embeddings", f"{candidate_name} embeddings")
    return _top_k(queries @ candidates.T, k)
