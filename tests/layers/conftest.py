import pytest

from tests.layers.helpers import random_images


@pytest.fixture
def images():
    """A (4, 8, 8, 3) uint8 batch; most tests share this shape (fewer jax compilations)."""
    return random_images()
