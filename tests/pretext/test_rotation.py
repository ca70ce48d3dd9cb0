"""Rotation prediction: the dataset against an index-formula oracle, the model on every backend."""

import keras
import numpy as np
import pytest

from ssl_keras.pretext import RotationPrediction, rotate_images, rotation_dataset
from tests.conftest import to_numpy
from tests.pretext.helpers import IMAGE_SHAPE, tiny_images, toy_encoder


def _rotate_oracle(image, quarter_turns):
    """Counter-clockwise rotation by index formulas, pixel by pixel (no np.rot90)."""
    size = image.shape[0]
    out = np.empty_like(image)
    for r in range(size):
        for c in range(size):
            source = {
                0: (r, c),
                1: (c, size - 1 - r),
                2: (size - 1 - r, size - 1 - c),
                3: (size - 1 - c, r),
            }[quarter_turns % 4]
            out[r, c] = image[source]
    return out


def test_oracle_agrees_with_rot90_convention():
    # The docstring promises np.rot90's convention (counter-clockwise): [[1, 2], [3, 4]]
    # turned once is [[2, 4], [1, 3]].
    image = np.array([[1, 2], [3, 4]])[..., None]
    np.testing.assert_array_equal(_rotate_oracle(image, 1)[..., 0], [[2, 4], [1, 3]])


def test_all_mode_holds_every_rotation_of_every_image():
    images = tiny_images(3, shape=(5, 5, 2))
    rotated, labels = rotation_dataset(images, mode="all")
    assert rotated.shape == (12, 5, 5, 2) and rotated.dtype == images.dtype
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(labels, [0, 1, 2, 3] * 3)
    for row in range(12):
        image, turns = images[row // 4], row % 4
        np.testing.assert_array_equal(rotated[row], _rotate_oracle(image, turns))


def test_rotating_back_recovers_the_images():
    images = tiny_images(4)
    rotated, labels = rotation_dataset(images, mode="all")
    restored = rotate_images(rotated, -labels)
    np.testing.assert_array_equal(restored, np.repeat(images, 4, axis=0))
    # The four rotations of a generic image differ from each other.
    for i in range(4):
        quads = rotated[4 * i : 4 * i + 4].reshape(4, -1)
        assert len({q.tobytes() for q in quads}) == 4


def test_random_mode_is_seeded_and_matches_its_labels():
    images = tiny_images(16)
    rotated, labels = rotation_dataset(images, mode="random", seed=3)
    again, labels_again = rotation_dataset(images, mode="random", seed=3)
    np.testing.assert_array_equal(labels, labels_again)
    np.testing.assert_array_equal(rotated, again)
    assert rotated.shape == images.shape and set(labels.tolist()) <= {0, 1, 2, 3}
    assert len(set(labels.tolist())) > 1
    for image, rotated_image, turns in zip(images, rotated, labels):
        np.testing.assert_array_equal(rotated_image, _rotate_oracle(image, int(turns)))


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 8, 6, 3)), "square"),
        (np.zeros((8, 8, 3)), "rank-4"),
    ],
)
def test_bad_images_raise(images, message):
    with pytest.raises(ValueError, match=message):
        rotation_dataset(images)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="mode"):
        rotation_dataset(tiny_images(2), mode="some")
    with pytest.raises(ValueError, match="quarter_turns"):
        rotate_images(tiny_images(2), [1])
    with pytest.raises(ValueError, match="seed"):
        rotation_dataset(tiny_images(2), mode="random", seed=1.5)
    with pytest.raises(ValueError, match="encoder"):
        RotationPrediction("not a model")


def test_model_fits_one_step_and_exposes_the_encoder():
    encoder = toy_encoder()
    model = RotationPrediction(encoder)
    x, y = rotation_dataset(tiny_images(2))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = [to_numpy(w).copy() for w in encoder.trainable_weights]
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert 0.0 <= history.history["accuracy"][0] <= 1.0
    assert model.encoder is encoder
    after = [to_numpy(w) for w in encoder.trainable_weights]
    assert any(not np.allclose(b, a) for b, a in zip(before, after)), "encoder not trained"
    assert tuple(model(x).shape) == (8, 4)
    with pytest.raises(ValueError, match="inputs.shape"):
        model(x[0])


def test_initial_loss_is_log4_with_a_zero_head():
    # A zero head gives uniform logits: cross-entropy log(4) whatever the encoder does.
    model = RotationPrediction(toy_encoder())
    x, y = rotation_dataset(tiny_images(2))
    model(x)
    model.head.set_weights([np.zeros_like(w) for w in model.head.get_weights()])
    model.compile()
    loss = model.evaluate(x, y, verbose=0)[0]
    np.testing.assert_allclose(loss, np.log(4.0), rtol=1e-5)


def test_config_and_saving_round_trip(tmp_path):
    model = RotationPrediction(toy_encoder(), name="rotnet")
    x, _ = rotation_dataset(tiny_images(2))
    expected = to_numpy(model(x))
    clone = RotationPrediction.from_config(model.get_config())
    assert clone.name == "rotnet"
    clone(x)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(to_numpy(clone(x)), expected, rtol=1e-5, atol=1e-5)

    model.compile(optimizer="adam")
    model.optimizer.build(model.trainable_variables)
    path = tmp_path / "rotation.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, RotationPrediction)
    assert tuple(loaded.encoder.input_shape[1:]) == IMAGE_SHAPE
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, rtol=1e-5, atol=1e-5)
