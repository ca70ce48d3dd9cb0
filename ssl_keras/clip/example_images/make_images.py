"""Draws the example images of `ssl_keras.clip.load_example_images` (run it to rebuild them).

    python ssl_keras/clip/example_images/make_images.py

Eight 128x128 pictures of single digits, each in a small scene of its own, and
`descriptions.json` (one description per image, two distractors). Everything is drawn here
with NumPy, from strokes written below: no font, photograph or dataset goes into them, so
the package may ship them. The drawing is deterministic; `tests/clip/test_described_images.py`
redraws the images and compares them with the committed files.

The descriptions use only words of the offline mini-CLIP's captions
(`ssl_keras.clip.caption_vocabulary()`), since that model knows no other word. The scenes
move away from its training digits (light gray strokes on a darker gray background,
`ssl_keras.data.load_digits`) step by step, so that its successes and failures can be
discussed: a light digit on a dark board or on a dark sky is close to what it saw; colours,
a glow, a digit inside a sign, a dark digit on white paper (the polarity it never saw) and a
small digit in a corner of a landscape are further away.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZE = 128

# Strokes of each digit in a unit box (x to the right, y downwards), as polylines.


def _arc(cx, cy, rx, ry, start, end, points=48):
    """Points of an elliptic arc; angles in degrees, 0 = right, 90 = down."""
    angles = np.radians(np.linspace(start, end, points))
    return list(zip(cx + rx * np.cos(angles), cy + ry * np.sin(angles)))


DIGIT_STROKES = {
    0: [_arc(0.5, 0.5, 0.3, 0.42, 0, 360)],
    1: [[(0.3, 0.28), (0.56, 0.08), (0.56, 0.92)]],
    2: [_arc(0.5, 0.32, 0.29, 0.24, 175, 395) + [(0.2, 0.9), (0.84, 0.9)]],
    3: [_arc(0.5, 0.3, 0.27, 0.21, 200, 450), _arc(0.5, 0.7, 0.31, 0.22, 270, 515)],
    4: [[(0.64, 0.92), (0.64, 0.08), (0.14, 0.64), (0.86, 0.64)]],
    5: [[(0.8, 0.1), (0.32, 0.1), (0.27, 0.46)] + _arc(0.5, 0.66, 0.31, 0.26, 220, 510)],
    6: [[(0.72, 0.08), (0.48, 0.24), (0.33, 0.46), (0.28, 0.68)],
        _arc(0.5, 0.7, 0.23, 0.21, 0, 360)],
    7: [[(0.18, 0.1), (0.82, 0.1), (0.42, 0.92)]],
    8: [_arc(0.5, 0.29, 0.22, 0.19, 0, 360), _arc(0.5, 0.7, 0.27, 0.22, 0, 360)],
    9: [_arc(0.5, 0.3, 0.25, 0.21, 0, 360), [(0.75, 0.3), (0.62, 0.92)]],
}


# ------------------------------------------------------------------ drawing


def _grid(size=SIZE):
    """Pixel centres (x, y), each (size, size)."""
    centres = np.arange(size, dtype="float64") + 0.5
    return np.meshgrid(centres, centres)


def _segment_distance(x, y, start, end):
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else np.clip(((x - x0) * dx + (y - y0) * dy) / length, 0.0, 1.0)
    return np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))


def _stroke_distance(digit, box, slant=0.0):
    """Distance of each pixel to the strokes of `digit` drawn in `box` = (left, top, size)."""
    left, top, size = box
    x, y = _grid()
    distance = np.full(x.shape, np.inf)
    for stroke in DIGIT_STROKES[digit]:
        points = [(left + size * (u + slant * (0.5 - v)), top + size * v) for u, v in stroke]
        for start, end in zip(points[:-1], points[1:]):
            distance = np.minimum(distance, _segment_distance(x, y, start, end))
    return distance


def _coverage(distance, half_width):
    """Anti-aliased coverage of a line of half-width `half_width` (pixels)."""
    return np.clip(half_width + 0.5 - distance, 0.0, 1.0)


def _paint(image, alpha, colour):
    alpha = alpha[..., None]
    return image * (1 - alpha) + alpha * np.asarray(colour, "float64")


def _solid(colour):
    return np.broadcast_to(np.asarray(colour, "float64"), (SIZE, SIZE, 3)).copy()


def _vertical_gradient(top, bottom):
    weight = (np.arange(SIZE) + 0.5)[:, None, None] / SIZE
    return np.broadcast_to(
        (1 - weight) * np.asarray(top, "float64") + weight * np.asarray(bottom, "float64"),
        (SIZE, SIZE, 3)).copy()


def _disc(cx, cy, radius):
    x, y = _grid()
    return np.clip(radius + 0.5 - np.hypot(x - cx, y - cy), 0.0, 1.0)


def _rectangle(left, top, right, bottom):
    x, y = _grid()
    return ((x >= left) & (x < right) & (y >= top) & (y < bottom)).astype("float64")


def _digit(image, digit, colour, box=(20, 14, 100), half_width=8.0, slant=0.12):
    return _paint(image, _coverage(_stroke_distance(digit, box, slant), half_width), colour)


# ------------------------------------------------------------------ the scenes


def zero_blackboard():
    """A chalk-white zero on a dark green board in a wooden frame."""
    image = _paint(_solid((0.45, 0.3, 0.15)), _rectangle(8, 8, 120, 120), (0.12, 0.3, 0.2))
    return _digit(image, 0, (0.92, 0.92, 0.88), box=(18, 16, 96), half_width=7.0)


def one_night_sky():
    """A pale yellow one against a dark blue night sky with a few stars."""
    image = _vertical_gradient((0.02, 0.04, 0.18), (0.1, 0.16, 0.38))
    for cx, cy in ((18, 20), (100, 14), (112, 60), (14, 98), (30, 64), (104, 108)):
        image = _paint(image, _disc(cx, cy, 1.6), (1.0, 1.0, 0.85))
    return _digit(image, 1, (1.0, 0.93, 0.55), box=(16, 14, 100), half_width=8.0)


def two_neon():
    """A glowing magenta two on black, like a neon sign."""
    distance = _stroke_distance(2, (18, 14, 96), slant=0.1)
    image = _paint(_solid((0.03, 0.02, 0.05)), 0.8 * np.exp(-distance / 9.0), (0.9, 0.1, 0.75))
    return _paint(image, _coverage(distance, 4.0), (1.0, 0.75, 0.97))


def three_paper():
    """A dark blue ink three on white ruled paper (dark on light: the reverse polarity)."""
    image = _solid((0.97, 0.97, 0.94))
    for line in range(12, SIZE, 16):
        image = _paint(image, 0.6 * _rectangle(0, line, SIZE, line + 1), (0.6, 0.75, 0.95))
    image = _paint(image, _rectangle(22, 0, 23, SIZE), (0.95, 0.5, 0.5))
    return _digit(image, 3, (0.08, 0.12, 0.45), box=(20, 14, 100), half_width=6.0)


def four_sign():
    """A white four on a red round sign with a gray post, under a pale sky."""
    image = _vertical_gradient((0.65, 0.8, 0.95), (0.85, 0.9, 0.97))
    image = _paint(image, _rectangle(59, 100, 69, SIZE), (0.45, 0.45, 0.48))
    image = _paint(image, _disc(64, 58, 56), (0.85, 0.1, 0.1))
    return _digit(image, 4, (1.0, 1.0, 1.0), box=(28, 22, 72), half_width=6.0, slant=0.0)


def five_small():
    """A small white five in the corner of a landscape of green hills and a sun."""
    image = _vertical_gradient((0.45, 0.7, 0.95), (0.75, 0.88, 0.98))
    x, y = _grid()
    hills = np.clip(y - (82 + 10 * np.sin(x / 14.0)), 0.0, 1.0)
    image = _paint(image, hills, (0.25, 0.6, 0.25))
    image = _paint(image, _disc(96, 30, 14), (1.0, 0.85, 0.2))
    return _digit(image, 5, (1.0, 1.0, 1.0), box=(10, 8, 34), half_width=3.0)


def seven_gray():
    """A light gray seven on a darker gray: the closest to the digits the mini-CLIP saw."""
    image = _solid((0.25, 0.25, 0.25))
    return _digit(image, 7, (0.85, 0.85, 0.85), box=(16, 14, 100), half_width=8.0)


def eight_colours():
    """An orange eight on a teal background."""
    image = _solid((0.0, 0.45, 0.45))
    return _digit(image, 8, (1.0, 0.6, 0.1), box=(18, 14, 100), half_width=8.0)


SCENES = {
    "zero_blackboard.png": (zero_blackboard, "a photo of the digit zero"),
    "one_night_sky.png": (one_night_sky, "a picture of a one"),
    "two_neon.png": (two_neon, "a drawing of the number two"),
    "three_paper.png": (three_paper, "handwritten 3"),
    "four_sign.png": (four_sign, "a photo of the number 4"),
    "five_small.png": (five_small, "a picture of a five"),
    "seven_gray.png": (seven_gray, "a handwritten seven"),
    "eight_colours.png": (eight_colours, "the digit 8"),
}
DISTRACTORS = ("a photo of the digit six", "handwritten 9")


def render(name: str) -> np.ndarray:
    """The image `name` as uint8 `(SIZE, SIZE, 3)`."""
    draw, _ = SCENES[name]
    return np.round(np.clip(draw(), 0.0, 1.0) * 255).astype("uint8")


def main(folder: Path = HERE) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for name in SCENES:
        Image.fromarray(render(name)).save(folder / name, optimize=True)
    descriptions = {
        "descriptions": {name: text for name, (_, text) in SCENES.items()},
        "distractors": list(DISTRACTORS),
    }
    (folder / "descriptions.json").write_text(json.dumps(descriptions, indent=1) + "\n")
    total = sum((folder / name).stat().st_size for name in SCENES)
    print(f"wrote {len(SCENES)} images ({total / 1024:.0f} KiB) and descriptions.json "
          f"to {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
