"""The method registry: every name builds its model class around the given encoder."""

import numpy as np
import pytest

from ssl_keras import losses, models
from ssl_keras.models import METHODS, build_method
from tests.models.helpers import NoiseViews
from tests.models.ssl_model_checks import IMAGE_SHAPE, dense_encoder

EXPECTED = {
    "simclr": (models.SimCLR, losses.nt_xent),
    "moco": (models.MoCo, losses.info_nce),
    "byol": (models.BYOL, losses.negative_cosine_similarity),
    "simsiam": (models.SimSiam, losses.negative_cosine_similarity),
    "barlow_twins": (models.BarlowTwins, losses.barlow_twins_loss),
    "vicreg": (models.VICReg, losses.vicreg_loss),
    "dino": (models.DINO, losses.dino_loss),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_build_method(name):
    model_class, loss = EXPECTED[name]
    assert METHODS[name].model_class is model_class and METHODS[name].loss is loss
    assert issubclass(model_class, models.SelfSupervisedModel)
    encoder, augmentation = dense_encoder(), NoiseViews()
    model = build_method(name, encoder, augmentation, name=f"{name}_model")
    assert type(model) is model_class
    assert model.encoder is encoder and model.augmentation is augmentation
    assert model.name == f"{name}_model"
    for head in METHODS[name].heads:
        assert getattr(model, head) is not None


def test_registry_lists_exactly_the_methods_and_rejects_others():
    assert set(METHODS) == set(EXPECTED)
    with pytest.raises(ValueError, match="swav"):
        build_method("swav", dense_encoder())
    model = build_method("byol", dense_encoder(), total_steps=5, base_momentum=0.9)
    assert model.total_steps == 5 and model.base_momentum == 0.9


class _Scheduled(models.SelfSupervisedModel):
    def __init__(self, encoder, total_steps=None, **kwargs):
        super().__init__(encoder, **kwargs)
        self.total_steps = total_steps


@pytest.mark.parametrize(
    "num_train, batch_size, epochs, steps",
    [(1000, 100, 3, 30), (1050, 100, 2, 20), (10, 128, 4, 4)],  # whole batches, >= 1
)
def test_budget_options_give_total_steps_to_a_class_that_takes_them(
    num_train, batch_size, epochs, steps
):
    options = _Scheduled.budget_options(num_train, batch_size, epochs, seed=1, temperature=0.3)
    assert options == {"total_steps": steps}
    assert models.SimSiam.budget_options(num_train, batch_size, epochs, seed=1) == {}
    assert models.SimCLR.budget_options(num_train, batch_size, epochs) == {}
    assert models.SimCLR.budget_options(num_train, batch_size, epochs, temperature=0.3) == {
        "temperature": 0.3
    }


def test_every_method_names_two_embeddings_of_the_same_image():
    # The main job's similarity plots compare these two outputs of a pair of views.
    images = np.random.default_rng(0).uniform(0, 255, (4, *IMAGE_SHAPE)).astype("float32")
    for name in METHODS:
        augmentation = NoiseViews(seed=0)
        model = build_method(name, dense_encoder(), augmentation)
        keys = model.embedding_pair_keys
        assert len(keys) == 2, name
        views = augmentation(images)
        outputs = model(views, training=False)
        assert outputs[keys[0]].shape == outputs[keys[1]].shape, name
