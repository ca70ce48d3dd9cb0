"""SimCLR's `objective` and `normalize`: any two-view loss, with or without L2 norm.

Oracle: the model's `ssl_loss` on fixed weights equals NumPy transcriptions of SimCLR's
Table 1 losses (cosine or dot-product similarity) applied to the projections computed
directly with the encoder and the head.
"""

import functools

import keras
import numpy as np
import pytest

from ssl_keras.layers import ProjectionHead
from ssl_keras.losses import MarginTriplet, margin_triplet, nt_logistic, nt_xent
from ssl_keras.models import SimCLR
from tests.models.helpers import NoiseViews, tiny_images, to_numpy, toy_encoder

TEMPERATURE = 0.7


def _similarities(z_a, z_b, normalize):
    z = np.concatenate([z_a, z_b]).astype(np.float64)
    if normalize:
        z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return z @ z.T


def _softplus(x):
    return np.log1p(np.exp(-abs(x))) + max(x, 0.0)


def oracle(name, z_a, z_b, normalize=True, temperature=TEMPERATURE, margin=1.0):
    """SimCLR's Table 1 losses by loops: NT-Xent, NT-Logistic, margin triplet."""
    s = _similarities(z_a, z_b, normalize)
    two_n, n = len(s), len(z_a)
    terms = []
    for i in range(two_n):
        j = (i + n) % two_n
        negatives = [k for k in range(two_n) if k not in (i, j)]
        if name == "nt_xent":
            others = [k for k in range(two_n) if k != i]
            logits = np.array([s[i, k] / temperature for k in others])
            top = logits.max()
            terms.append(top + np.log(np.exp(logits - top).sum()) - s[i, j] / temperature)
        elif name == "nt_logistic":
            negative = np.mean([_softplus(s[i, k] / temperature) for k in negatives])
            terms.append(_softplus(-s[i, j] / temperature) + negative)
        else:
            terms.append(np.mean([max(s[i, k] - s[i, j] + margin, 0.0) for k in negatives]))
    return float(np.mean(terms))


def make_model(**kwargs):
    return SimCLR(toy_encoder(), ProjectionHead(hidden_dims=(8,), output_dim=8),
                  NoiseViews(seed=0), temperature=TEMPERATURE, **kwargs)


def loss_and_projections(model, seed=0):
    images, _ = tiny_images(8, seed=seed)
    rng = np.random.default_rng(seed + 1)
    view_a = images.astype("float32")
    view_b = np.clip(view_a + rng.normal(0, 30, view_a.shape), 0, 255).astype("float32")
    outputs = model((view_a, view_b), training=False)
    loss = float(to_numpy(model.compute_ssl_loss(outputs)))

    def project(view):
        return to_numpy(model.projection_head(model.encoder(view, training=False),
                                              training=False))

    return loss, project(view_a), project(view_b)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("name", ["nt_xent", "nt_logistic", "margin_triplet"])
def test_named_objective_matches_oracle(name, normalize):
    model = make_model(objective=name, normalize=normalize)
    loss, z_a, z_b = loss_and_projections(model)
    np.testing.assert_allclose(loss, oracle(name, z_a, z_b, normalize), rtol=1e-4, atol=1e-5)


def test_normalize_changes_the_loss():
    # The toy projections are far from unit norm, so dot products and cosines differ.
    with_norm = loss_and_projections(make_model(objective="margin_triplet"))[0]
    without = loss_and_projections(make_model(objective="margin_triplet", normalize=False))[0]
    assert abs(with_norm - without) > 1e-3


@pytest.mark.parametrize("function, name", [(nt_xent, "nt_xent"), (nt_logistic, "nt_logistic"),
                                            (margin_triplet, "margin_triplet")])
def test_library_function_stands_for_its_name(function, name):
    model = make_model(objective=function, normalize=False)
    assert model.objective == name
    loss, z_a, z_b = loss_and_projections(model)
    np.testing.assert_allclose(loss, oracle(name, z_a, z_b, False), rtol=1e-4, atol=1e-5)


def _own_loss(z_a, z_b):
    """A student's loss: mean squared distance of the positives (numpy-free, keras.ops)."""
    return keras.ops.mean(keras.ops.sum(keras.ops.square(z_a - z_b), axis=-1))


@pytest.mark.parametrize("normalize", [True, False])
def test_callable_receives_normalised_or_raw_projections(normalize):
    loss, z_a, z_b = loss_and_projections(make_model(objective=_own_loss, normalize=normalize))
    if normalize:
        z_a = z_a / np.linalg.norm(z_a, axis=1, keepdims=True)
        z_b = z_b / np.linalg.norm(z_b, axis=1, keepdims=True)
    np.testing.assert_allclose(loss, np.mean(np.sum((z_a - z_b) ** 2, -1)), rtol=1e-4)


def test_partial_and_loss_instance_with_other_margin():
    partial = functools.partial(margin_triplet, margin=0.3)
    for objective in (partial, MarginTriplet(margin=0.3)):
        loss, z_a, z_b = loss_and_projections(make_model(objective=objective))
        np.testing.assert_allclose(loss, oracle("margin_triplet", z_a, z_b, margin=0.3),
                                   rtol=1e-4, atol=1e-5)


def test_loss_functions_without_norm_match_oracle(rng):
    z_a = rng.normal(size=(5, 3)).astype("float32")
    z_b = rng.normal(size=(5, 3)).astype("float32")
    for name, function, kwargs in (("nt_xent", nt_xent, {"temperature": TEMPERATURE}),
                                   ("nt_logistic", nt_logistic, {"temperature": TEMPERATURE}),
                                   ("margin_triplet", margin_triplet, {})):
        value = float(to_numpy(function(z_a, z_b, normalize=False, **kwargs)))
        np.testing.assert_allclose(value, oracle(name, z_a, z_b, False), rtol=1e-4, err_msg=name)


def test_fit_with_a_custom_objective():
    images, _ = tiny_images(16)
    model = make_model(objective="nt_logistic", normalize=False)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(images, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["ssl_loss"][0])


def test_config_round_trip_of_named_and_registered_objectives():
    for objective in ("nt_logistic", MarginTriplet(margin=0.25)):
        model = make_model(objective=objective, normalize=False)
        config = model.get_config()
        assert config["normalize"] is False
        restored = SimCLR.from_config(config)
        assert restored.normalize is False
        if isinstance(objective, str):
            assert restored.objective == objective
        else:
            assert isinstance(restored.objective, MarginTriplet)
            assert restored.objective.margin == 0.25


@pytest.mark.parametrize("kwargs, message", [
    ({"objective": "triplet"}, "`objective` should be one of"),
    ({"objective": 3}, "`objective` should be one of"),
    ({"normalize": "yes"}, "`normalize` should be True or False"),
    ({"objective": "positives_only", "normalize": False}, "needs normalize=True"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_model(**kwargs)
