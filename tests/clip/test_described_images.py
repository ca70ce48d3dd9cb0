"""Own images with descriptions (`load_described_images`) and the bundled example images
(`load_example_images`): pairing, clear errors, and the shipped files themselves."""

import fnmatch
import importlib.util
import json
import pathlib

import numpy as np
import pytest
from PIL import Image

from ssl_keras.clip import (
    DIGIT_NUMERALS,
    DIGIT_WORDS,
    EXAMPLE_IMAGES_DIR,
    WordTokenizer,
    caption_vocabulary,
    load_described_images,
    load_example_images,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLOURS = {"apple.jpg": (200, 30, 30), "bike.png": (30, 30, 200), "cat.png": (90, 90, 90),
           "dog.jpeg": (150, 100, 40), "egg.png": (240, 240, 220)}
DESCRIPTIONS = {"dog.jpeg": "a photo of a dog", "apple.jpg": "a red apple",
                "egg.png": "an egg", "cat.png": "a gray cat", "bike.png": "a blue bike"}


@pytest.fixture
def folder(tmp_path):
    for name, colour in COLOURS.items():
        Image.new("RGB", (40, 30), colour).save(tmp_path / name, quality=95)
    return tmp_path


def test_descriptions_follow_the_images_sorted_by_file_name(folder):
    loaded = load_described_images(folder, DESCRIPTIONS, ["a car", "a tree"], image_size=8)
    assert loaded.file_names == sorted(COLOURS)
    assert loaded.descriptions == [DESCRIPTIONS[name] for name in sorted(COLOURS)]
    assert loaded.distractors == ["a car", "a tree"]
    assert loaded.texts == loaded.descriptions + ["a car", "a tree"]
    assert loaded.images.shape == (5, 8, 8, 3) and loaded.images.dtype == np.uint8
    for image, name in zip(loaded.images, loaded.file_names):
        assert np.abs(image.astype(int) - COLOURS[name]).max() <= 3  # each image its own colour


def test_a_description_for_a_file_that_is_not_there_suggests_the_close_name(folder):
    wrong = dict(DESCRIPTIONS)
    wrong["dog.jpg"] = wrong.pop("dog.jpeg")
    with pytest.raises(ValueError) as error:
        load_described_images(folder, wrong)
    message = str(error.value)
    assert "'dog.jpg' is not an image of the folder (did you mean 'dog.jpeg'?)" in message
    assert "no description for 'dog.jpeg'" in message
    assert "apple.jpg, bike.png, cat.png, dog.jpeg, egg.png" in message


def test_an_image_without_description(folder):
    partial = {name: text for name, text in DESCRIPTIONS.items() if name != "egg.png"}
    with pytest.raises(ValueError, match="no description for 'egg.png'"):
        load_described_images(folder, partial)


@pytest.mark.parametrize("descriptions, words", [
    (list(DESCRIPTIONS.values()), "should be a dict"),
    ({**DESCRIPTIONS, "cat.png": ""}, "non-empty string"),
    ({**DESCRIPTIONS, "cat.png": 3}, "non-empty string"),
    ({**DESCRIPTIONS, "cat.png": "an egg"}, r"Repeated: \['an egg'\]"),
])
def test_invalid_descriptions(folder, descriptions, words):
    with pytest.raises(ValueError, match=words):
        load_described_images(folder, descriptions)


@pytest.mark.parametrize("distractors, words", [
    ("a car", "a list of strings, not one string"),
    (["a car", "  "], "non-empty string"),
    (3, "should be a list of strings"),
    (["a gray cat"], r"Repeated: \['a gray cat'\]"),
    (["a car", "a car"], r"Repeated: \['a car'\]"),
])
def test_invalid_distractors(folder, distractors, words):
    with pytest.raises(ValueError, match=words):
        load_described_images(folder, DESCRIPTIONS, distractors)


def test_five_to_ten_images_by_default(folder):
    (folder / "egg.png").unlink()
    four = {name: text for name, text in DESCRIPTIONS.items() if name != "egg.png"}
    with pytest.raises(ValueError, match=r"holds 4 image\(s\).*between 5 and 10 are needed"):
        load_described_images(folder, four)
    assert len(load_described_images(folder, four, min_images=4).images) == 4


def test_folder_errors_come_before_description_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_described_images(tmp_path / "my_images", {})
    with pytest.raises(ValueError, match=r"holds 0 image\(s\)"):
        load_described_images(tmp_path, {})


# ------------------------------------------------------------------ the bundled examples


def test_example_images_load_at_any_size():
    small = load_example_images()
    assert small.images.shape == (8, 16, 16, 3) and small.images.dtype == np.uint8
    assert len(small.descriptions) == 8 and len(small.distractors) == 2
    assert len(set(small.texts)) == 10
    assert load_example_images(image_size=128).images.shape == (8, 128, 128, 3)


def test_example_descriptions_use_only_the_mini_clip_words():
    tokenizer = WordTokenizer(caption_vocabulary())
    assert tokenizer.unknown_words(load_example_images().texts) == []


def test_each_description_names_the_digit_its_file_shows():
    """The file names start with the digit's word (`three_paper.png`); each description
    holds that digit, as a word or a numeral, and no other; distractors hold digits that
    no image shows."""
    examples = load_example_images()
    tokenizer = WordTokenizer(caption_vocabulary())
    digit_of = {word: index for index, word in enumerate(DIGIT_WORDS)}
    digit_of.update({numeral: index for index, numeral in enumerate(DIGIT_NUMERALS)})
    shown = set()
    for name, text in zip(examples.file_names, examples.descriptions):
        digits = {digit_of[word] for word in tokenizer.split(text) if word in digit_of}
        assert digits == {DIGIT_WORDS.index(name.split("_")[0])}, (name, text)
        shown |= digits
    for text in examples.distractors:
        digits = {digit_of[word] for word in tokenizer.split(text) if word in digit_of}
        assert len(digits) == 1 and not digits & shown, text


def test_example_files_are_small_and_match_their_listing():
    listing = json.loads((EXAMPLE_IMAGES_DIR / "descriptions.json").read_text())
    pngs = sorted(path.name for path in EXAMPLE_IMAGES_DIR.glob("*.png"))
    assert pngs == sorted(listing["descriptions"])
    total = sum((EXAMPLE_IMAGES_DIR / name).stat().st_size for name in pngs)
    assert total < 200 * 1024, total
    for name in pngs:
        with Image.open(EXAMPLE_IMAGES_DIR / name) as image:
            assert image.size == (128, 128) and image.mode == "RGB"


def _build_script():
    path = EXAMPLE_IMAGES_DIR / "make_images.py"
    spec = importlib.util.spec_from_file_location("make_example_images", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_script_redraws_the_committed_images(tmp_path):
    """The images are what `make_images.py` draws (to the rounding of one gray level),
    with the same descriptions."""
    script = _build_script()
    script.main(tmp_path)
    assert (json.loads((tmp_path / "descriptions.json").read_text())
            == json.loads((EXAMPLE_IMAGES_DIR / "descriptions.json").read_text()))
    for name in script.SCENES:
        committed = np.asarray(Image.open(EXAMPLE_IMAGES_DIR / name), dtype=int)
        redrawn = np.asarray(Image.open(tmp_path / name), dtype=int)
        assert np.abs(committed - redrawn).max() <= 1, name


def test_the_digits_are_drawn_where_the_script_says():
    """The light-on-dark seven: stroke pixels (within the stroke's half-width of a
    segment) are light, pixels far from every stroke are the dark background."""
    script = _build_script()
    image = script.render("seven_gray.png").astype(int)
    distance = script._stroke_distance(7, (16, 14, 100), slant=0.12)
    assert (image[distance < 6] > 200).all()
    assert (np.abs(image[distance > 12] - round(0.25 * 255)) <= 1).all()


def test_the_package_data_ships_the_example_images():
    """pyproject's package-data globs cover every image and the listing (and not the
    build script, which stays in the repository)."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["ssl_keras.clip"]
    files = [path.relative_to(EXAMPLE_IMAGES_DIR.parent).as_posix()
             for path in EXAMPLE_IMAGES_DIR.iterdir() if path.is_file()]

    def shipped(name):
        return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)

    assert all(shipped(name) for name in files if not name.endswith(".py")), files
    assert not shipped("example_images/make_images.py")
