"""A folder of one's own images (JPEG, PNG, ...) as one array of square images."""

import numbers
from pathlib import Path

import numpy as np

# What Pillow reads without plug-ins. Phones often save HEIC: export those as JPEG.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


def load_image_folder(
    directory,
    image_size=224,
    min_images: int = 1,
    max_images: int | None = None,
):
    """Loads every image of a folder, centre-cropped and resized to one size.

    The images are the folder's files with an image extension (`IMAGE_EXTENSIONS`, any
    case), sorted by file name; sub-folders, hidden files (`.DS_Store`) and other files are
    skipped (and named in the error when too few images are found). Each image is read
    with Pillow, turned upright by its EXIF orientation (photos from a phone), converted to
    RGB (a transparent background becomes white, a gray image gets three equal channels),
    centre-cropped to the aspect ratio of `image_size` and resized with a bicubic filter,
    antialiased when shrinking. This is CLIP's own preprocessing up to the order of the
    two steps (CLIP resizes the shorter side, then crops the centre).

    Args:
        directory: the folder (a string or `pathlib.Path`).
        image_size: side of the square output images, or `(height, width)`.
        min_images: fewer images than this is an error.
        max_images: more images than this is an error; `None` for no limit.

    Returns:
        `(images, file_names)`: uint8 images `(n, height, width, 3)` with values in
        [0, 255] (as `keras.datasets` gives them), and the `n` file names in the same order.

    Raises:
        FileNotFoundError: if `directory` does not exist.
        NotADirectoryError: if it is a file.
        ValueError: if a file with an image extension cannot be read as an image, if the
            folder holds fewer than `min_images` or more than `max_images` images, or for
            an invalid `image_size`, `min_images` or `max_images`.

    Example:
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.mkdtemp()
    >>> Image.new("RGB", (40, 30), "red").save(f"{folder}/red.png")
    >>> images, names = load_image_folder(folder, image_size=16)
    >>> images.shape, images.dtype, names
    ((1, 16, 16, 3), dtype('uint8'), ['red.png'])
    """
    height, width = _check_image_size(image_size)
    min_images = _check_count(min_images, "min_images", minimum=1)
    if max_images is not None:
        max_images = _check_count(max_images, "max_images", minimum=min_images)
    folder = Path(directory)
    if not folder.exists():
        raise FileNotFoundError(
            f"The image folder {str(folder)!r} does not exist (relative paths start from "
            f"the current folder, {str(Path.cwd())!r}). Create it and put the images in it."
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            f"{str(folder)!r} is a file, not a folder: give the folder that holds the images."
        )
    entries = sorted(folder.iterdir(), key=lambda path: path.name)
    paths = [path for path in entries if path.is_file() and not path.name.startswith(".")
             and path.suffix.lower() in IMAGE_EXTENSIONS]
    skipped = [path.name for path in entries if path not in paths
               and not path.name.startswith(".")]
    count = len(paths)
    if count < min_images or (max_images is not None and count > max_images):
        wanted = (f"at least {min_images}" if max_images is None
                  else f"between {min_images} and {max_images}")
        found = ", ".join(path.name for path in paths) or "none"
        message = (f"The folder {str(folder)!r} holds {count} image(s) ({found}); "
                   f"{wanted} are needed.")
        if skipped:
            message += (f" Skipped (not an image file of type "
                        f"{', '.join(IMAGE_EXTENSIONS)}): {', '.join(skipped)}.")
        raise ValueError(message)
    images = np.stack([_read(path, height, width) for path in paths])
    return images, [path.name for path in paths]


def _read(path: Path, height: int, width: int) -> np.ndarray:
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (max(height, width), max(height, width)))  # JPEG: faster
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValueError(
            f"Could not read {path.name!r} as an image ({type(error).__name__}: {error}). "
            "Open it and save it again as JPEG or PNG, or remove it from the folder."
        ) from error
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    image = image.convert("RGB").crop(_centre_box(image.size, width / height))
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype="uint8")


def _centre_box(size: tuple[int, int], aspect: float) -> tuple[int, int, int, int]:
    """The largest central (left, top, right, bottom) box of width / height `aspect`.

    Cropping before resizing keeps every pixel outside the box out of the result (a
    resize of a box of the whole image, as `ImageOps.fit` does, blends them in at the
    edges)."""
    image_width, image_height = size
    width = min(image_width, max(1, round(image_height * aspect)))
    height = min(image_height, max(1, round(width / aspect)))
    left, top = (image_width - width) // 2, (image_height - height) // 2
    return left, top, left + width, top + height


def _check_image_size(image_size) -> tuple[int, int]:
    sizes = (image_size, image_size) if isinstance(image_size, numbers.Integral) else image_size
    try:
        height, width = sizes
    except (TypeError, ValueError):
        height = width = None
    if not all(isinstance(side, numbers.Integral) and not isinstance(side, bool) and side > 0
               for side in (height, width)):
        raise ValueError(
            "`image_size` should be a positive integer or a (height, width) pair of them. "
            f"Received: image_size={image_size!r}"
        )
    return int(height), int(width)


def _check_count(value, name: str, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` should be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)
