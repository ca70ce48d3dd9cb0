"""Images with one description each, plus distractors: one's own, or the bundled examples."""

import difflib
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ssl_keras.data.image_folder import load_image_folder

EXAMPLE_IMAGES_DIR = Path(__file__).resolve().parent / "example_images"


class DescribedImages(NamedTuple):
    """Images, the description of each, and descriptions of none of them.

    Attributes:
        images: uint8 `(n, height, width, 3)` images in [0, 255].
        descriptions: `n` strings; `descriptions[i]` describes `images[i]`.
        distractors: strings that describe none of the images.
        file_names: the `n` file names, in the order of `images`.
    """

    images: np.ndarray
    descriptions: list
    distractors: list
    file_names: list

    @property
    def texts(self) -> list:
        """The descriptions, then the distractors: text `i < n` belongs to image `i`."""
        return list(self.descriptions) + list(self.distractors)


def load_described_images(
    directory,
    descriptions,
    distractors=(),
    image_size=224,
    min_images: int = 5,
    max_images: int | None = 10,
) -> DescribedImages:
    """Loads a folder of images and pairs each with its description, for CLIP.

    Zero-shot matching with CLIP needs images, a text per image, and texts that match no
    image (distractors), so that picking the right text among several is a real choice.
    The images are loaded by `ssl_keras.data.load_image_folder` (sorted by file name,
    centre-cropped and resized), and `descriptions` must name each of them exactly once.

    Args:
        directory: the folder of images.
        descriptions: a dict `{file name: description}` with one entry per image of the
            folder (the file name as in the folder, extension included).
        distractors: a list of texts that describe none of the images.
        image_size: output side, or `(height, width)` (see `load_image_folder`).
        min_images: fewer images is an error (the course asks for 5 to 10).
        max_images: more images is an error; `None` for no limit.

    Returns:
        A `DescribedImages` (`images`, `descriptions`, `distractors`, `file_names`), the
        descriptions in the order of the images.

    Raises:
        FileNotFoundError, NotADirectoryError: as `load_image_folder`.
        ValueError: the errors of `load_image_folder`; `descriptions` that is not a dict of
            non-empty strings, misses an image or names a file that is not an image of the
            folder; `distractors` that is not a list of non-empty strings; the same text
            twice among descriptions and distractors (two equal texts have equal
            embeddings, so no model could tell them apart).

    Example:
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.mkdtemp()
    >>> for name, colour in [("a.png", "red"), ("b.png", "blue")]:
    ...     Image.new("RGB", (32, 32), colour).save(f"{folder}/{name}")
    >>> loaded = load_described_images(
    ...     folder, {"b.png": "a blue square", "a.png": "a red square"},
    ...     distractors=["a green square"], image_size=8, min_images=2)
    >>> loaded.texts
    ['a red square', 'a blue square', 'a green square']
    """
    if not isinstance(descriptions, dict):
        raise ValueError(
            "`descriptions` should be a dict {file name: description}, one entry per image. "
            f"Received: {type(descriptions).__name__} {descriptions!r}"
        )
    distractors = _check_texts(distractors)
    images, file_names = load_image_folder(
        directory, image_size=image_size, min_images=min_images, max_images=max_images
    )
    unknown = [name for name in descriptions if name not in file_names]
    missing = [name for name in file_names if name not in descriptions]
    if unknown or missing:
        problems = []
        for name in unknown:
            close = difflib.get_close_matches(str(name), file_names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{name!r} is not an image of the folder{hint}")
        if missing:
            problems.append(f"no description for {', '.join(map(repr, missing))}")
        raise ValueError(
            "`descriptions` should give one description per image, keyed by its file name: "
            + "; ".join(problems) + f". The images of {str(directory)!r} are: "
            + ", ".join(file_names) + "."
        )
    ordered = _check_texts([descriptions[name] for name in file_names], "descriptions")
    texts = ordered + distractors
    repeated = sorted({text for text in texts if texts.count(text) > 1})
    if repeated:
        raise ValueError(
            "Every description and distractor should be different: two equal texts get "
            f"equal embeddings, so no model can tell them apart. Repeated: {repeated}"
        )
    return DescribedImages(images, ordered, distractors, file_names)


def load_example_images(image_size=16) -> DescribedImages:
    """The eight bundled example images, their descriptions and two distractors.

    Pictures of single digits in small scenes (a chalk zero on a blackboard, a neon two,
    a dark ink three on white paper, a small five in a landscape, ...), drawn by the
    script beside them (`example_images/make_images.py`), with descriptions that use only
    the offline mini-CLIP's words ("a photo of the digit zero", "handwritten 3"), so that
    the notebooks can run CLIP on "your own images" where there are none (offline, CI, the
    autograder). The originals are 128x128.

    Args:
        image_size: output side, or `(height, width)`; 16 matches the mini-CLIP.

    Returns:
        A `DescribedImages` with 8 images and 2 distractors.

    Example:
    >>> examples = load_example_images(image_size=16)
    >>> examples.images.shape, len(examples.texts)
    ((8, 16, 16, 3), 10)
    """
    listing = json.loads((EXAMPLE_IMAGES_DIR / "descriptions.json").read_text())
    return load_described_images(
        EXAMPLE_IMAGES_DIR, listing["descriptions"], listing["distractors"],
        image_size=image_size, min_images=5, max_images=10,
    )


def _check_texts(texts, name: str = "distractors") -> list:
    if isinstance(texts, str):
        raise ValueError(
            f"`{name}` should be a list of strings, not one string. Received: {name}={texts!r}"
        )
    try:
        texts = list(texts)
    except TypeError:
        raise ValueError(
            f"`{name}` should be a list of strings. Received: {name}={texts!r}"
        ) from None
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                f"Each of `{name}` should be a non-empty string. Received: {text!r}"
            )
    return texts
