"""The method registry: every name builds its model class around the given encoder."""

import pytest

from ssl_keras import losses, models
from ssl_keras.models import METHODS, build_method
from tests.models.helpers import NoiseViews
from tests.models.ssl_model_checks import dense_encoder

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
