"""`load_image_folder`: one's own images as one array, and clear errors for what is wrong.

The expected pixels come from how the test images are built (a colour per region, a
constant image, a checkerboard whose mean survives an antialiased shrink), not from the
loader.
"""

import numpy as np
import pytest
from PIL import Image

from ssl_keras.data import IMAGE_EXTENSIONS, load_image_folder

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def _thirds(width, height, colours=(RED, GREEN, BLUE), vertical=False):
    """An image cut in three equal bands (left to right, or top to bottom)."""
    pixels = np.zeros((height, width, 3), "uint8")
    size = (height if vertical else width) // 3
    for index, colour in enumerate(colours):
        band = slice(index * size, (index + 1) * size)
        pixels[(band, slice(None)) if vertical else (slice(None), band)] = colour
    return Image.fromarray(pixels)


def test_images_are_sorted_rgb_uint8_of_the_requested_size(tmp_path):
    Image.new("RGB", (50, 40), GREEN).save(tmp_path / "b.jpg", quality=95)
    Image.new("L", (30, 30), 200).save(tmp_path / "a.png")
    Image.new("RGB", (20, 60), BLUE).convert("P").save(tmp_path / "c.gif")
    Image.new("RGB", (16, 16), RED).save(tmp_path / "D.PNG")
    images, names = load_image_folder(tmp_path, image_size=12)
    assert names == ["D.PNG", "a.png", "b.jpg", "c.gif"]
    assert images.shape == (4, 12, 12, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[0], np.broadcast_to(RED, (12, 12, 3)))
    np.testing.assert_array_equal(images[1], np.full((12, 12, 3), 200))  # gray: 3 equal channels
    assert np.abs(images[2].astype(int) - GREEN).max() <= 3  # JPEG
    np.testing.assert_array_equal(images[3], np.broadcast_to(BLUE, (12, 12, 3)))


def test_transparent_background_becomes_white(tmp_path):
    pixels = np.zeros((20, 20, 4), "uint8")
    pixels[5:15, 5:15] = (255, 0, 0, 255)  # an opaque red square on transparent black
    Image.fromarray(pixels, "RGBA").save(tmp_path / "logo.png")
    (image,), _ = load_image_folder(tmp_path, image_size=20)
    np.testing.assert_array_equal(image[0, 0], (255, 255, 255))
    np.testing.assert_array_equal(image[10, 10], RED)


@pytest.mark.parametrize("vertical", [False, True])
def test_the_central_square_is_kept(tmp_path, vertical):
    """A 90x30 (or 30x90) image in thirds: the square crop is exactly the middle third."""
    size = (30, 90) if vertical else (90, 30)
    _thirds(*size, vertical=vertical).save(tmp_path / "wide.png")
    (image,), _ = load_image_folder(tmp_path, image_size=10)
    np.testing.assert_array_equal(image, np.broadcast_to(GREEN, (10, 10, 3)))


def test_a_non_square_size_crops_to_its_aspect_ratio(tmp_path):
    """(height 10, width 30) from a 90x30 image in thirds keeps all three bands."""
    _thirds(90, 30).save(tmp_path / "wide.png")
    (image,), _ = load_image_folder(tmp_path, image_size=(10, 30))
    assert image.shape == (10, 30, 3)
    np.testing.assert_array_equal(image[5, 2], RED)
    np.testing.assert_array_equal(image[5, 15], GREEN)
    np.testing.assert_array_equal(image[5, 27], BLUE)


def test_shrinking_averages_instead_of_sampling(tmp_path):
    """A 1-pixel black and white checkerboard shrunk 16 times is mid-gray everywhere:
    an antialiased resize, not a sampling of every 16th pixel (all black or all white)."""
    board = (np.indices((128, 128)).sum(axis=0) % 2 * 255).astype("uint8")
    Image.fromarray(board).save(tmp_path / "board.png")
    (image,), _ = load_image_folder(tmp_path, image_size=8)
    assert np.abs(image.astype(float) - 127.5).max() < 4


def test_exif_orientation_turns_phone_photos_upright(tmp_path):
    """Stored 40 wide and 20 high, red left and blue right, with EXIF orientation 6
    ("rotate 90 degrees clockwise to view"): upright it is 20 wide and 40 high, red on
    top and blue below."""
    pixels = np.zeros((20, 40, 3), "uint8")
    pixels[:, :20], pixels[:, 20:] = RED, BLUE
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    (image,), _ = load_image_folder(tmp_path, image_size=(40, 20))
    assert np.abs(image[5, 10].astype(int) - RED).max() < 20
    assert np.abs(image[35, 10].astype(int) - BLUE).max() < 20


def test_hidden_files_folders_and_other_files_are_skipped(tmp_path):
    Image.new("RGB", (8, 8), RED).save(tmp_path / "one.png")
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    (tmp_path / "notes.txt").write_text("my descriptions")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / "more").mkdir()
    Image.new("RGB", (8, 8), RED).save(tmp_path / "more" / "nested.png")
    images, names = load_image_folder(tmp_path, image_size=4)
    assert names == ["one.png"] and images.shape == (1, 4, 4, 3)


def test_missing_folder_and_file_instead_of_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="'.*nowhere' does not exist.*Create it"):
        load_image_folder(tmp_path / "nowhere")
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        load_image_folder(tmp_path / "a.png")


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match=r"holds 0 image\(s\) \(none\); at least 1 are needed"):
        load_image_folder(tmp_path)


def test_too_few_images_names_the_images_and_the_skipped_files(tmp_path):
    for name in ("a.png", "b.png"):
        Image.new("RGB", (8, 8), RED).save(tmp_path / name)
    (tmp_path / "IMG_1.HEIC").write_bytes(b"not for Pillow")
    with pytest.raises(ValueError) as error:
        load_image_folder(tmp_path, min_images=5, max_images=10)
    message = str(error.value)
    assert "holds 2 image(s) (a.png, b.png); between 5 and 10 are needed" in message
    assert "Skipped (not an image file of type" in message and "IMG_1.HEIC" in message


def test_too_many_images(tmp_path):
    for index in range(4):
        Image.new("RGB", (8, 8), RED).save(tmp_path / f"{index}.png")
    with pytest.raises(ValueError, match=r"holds 4 image\(s\).*between 1 and 3 are needed"):
        load_image_folder(tmp_path, max_images=3)
    assert len(load_image_folder(tmp_path, max_images=4)[0]) == 4


@pytest.mark.parametrize("content", [b"", b"this is not a picture", b"\x89PNG\r\n\x1a\n\0\0"])
def test_unreadable_files_are_named(tmp_path, content):
    Image.new("RGB", (8, 8), RED).save(tmp_path / "good.png")
    (tmp_path / "broken.jpg").write_bytes(content)
    with pytest.raises(ValueError, match="Could not read 'broken.jpg' as an image"):
        load_image_folder(tmp_path)


def test_truncated_image_is_named(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), "uint8")).save(
        tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="Could not read 'cut.png'"):
        load_image_folder(tmp_path)


@pytest.mark.parametrize("image_size", [0, -3, (16,), (16, 0), "16", True, 16.0, None])
def test_invalid_image_size(tmp_path, image_size):
    with pytest.raises(ValueError, match="`image_size` should be a positive integer"):
        load_image_folder(tmp_path, image_size=image_size)


def test_invalid_counts(tmp_path):
    with pytest.raises(ValueError, match="`min_images` should be an integer >= 1"):
        load_image_folder(tmp_path, min_images=0)
    with pytest.raises(ValueError, match="`max_images` should be an integer >= 5"):
        load_image_folder(tmp_path, min_images=5, max_images=4)


def test_every_listed_extension_is_lower_case_with_a_dot():
    assert all(ext.startswith(".") and ext == ext.lower() for ext in IMAGE_EXTENSIONS)
