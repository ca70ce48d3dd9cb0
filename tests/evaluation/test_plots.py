"""Evaluation figures: PNGs written, plotted values checked against NumPy."""

import logging

import numpy as np
import pytest
from matplotlib.figure import Figure

from ssl_keras.evaluation import (
    plot_similarity_histograms,
    plot_similarity_matrix,
    plot_temperature_softmax,
    plot_tsne,
    positive_negative_similarities,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _assert_png(path):
    assert path.exists()
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000


def _cosine(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def _pairs_oracle(z_a, z_b):
    """Positives (i, i+N) and negatives (every other unordered pair), by a double loop."""
    views = np.concatenate([z_a, z_b]).astype("float64")
    n = len(z_a)
    positives = [_cosine(views[i], views[i + n]) for i in range(n)]
    negatives = [
        _cosine(views[u], views[v])
        for u in range(2 * n)
        for v in range(u + 1, 2 * n)
        if v != u + n
    ]
    return np.array(positives), np.array(negatives)


@pytest.mark.parametrize("n", [2, 3, 7])
def test_positive_negative_split_matches_numpy_loop(rng, n):
    z_a = rng.normal(size=(n, 5)).astype("float32")
    z_b = rng.normal(size=(n, 5)).astype("float32")
    positives, negatives = positive_negative_similarities(z_a, z_b)
    expected_positives, expected_negatives = _pairs_oracle(z_a, z_b)
    assert negatives.shape == (2 * n * (n - 1),)
    np.testing.assert_allclose(positives, expected_positives, atol=1e-6)
    np.testing.assert_allclose(negatives, expected_negatives, atol=1e-6)


def test_identical_views_have_positive_similarity_one(rng):
    z = rng.normal(size=(4, 6))
    positives, negatives = positive_negative_similarities(z, 3.0 * z)
    np.testing.assert_allclose(positives, 1.0, atol=1e-6)
    assert np.all(negatives < 1.0)


def test_similarity_pairs_reject_bad_inputs(rng):
    with pytest.raises(ValueError, match="at least 2 pairs"):
        positive_negative_similarities(rng.normal(size=(1, 3)), rng.normal(size=(1, 3)))
    with pytest.raises(ValueError, match="same shape"):
        positive_negative_similarities(rng.normal(size=(3, 3)), rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="rank-2"):
        positive_negative_similarities(rng.normal(size=(3,)), rng.normal(size=(3,)))


def test_similarity_matrix_plots_the_2n_cosine_matrix(rng, tmp_path):
    z_a = rng.normal(size=(5, 4))
    z_b = z_a + 0.1 * rng.normal(size=(5, 4))
    path = tmp_path / "nested" / "matrix.png"
    figure = plot_similarity_matrix(z_a, z_b, path=path)
    assert isinstance(figure, Figure)
    _assert_png(path)
    shown = np.asarray(figure.axes[0].images[0].get_array())
    views = np.concatenate([z_a, z_b])
    unit = views / np.linalg.norm(views, axis=1, keepdims=True)
    np.testing.assert_allclose(shown, unit @ unit.T, atol=1e-5)
    # The positives sit on the off-diagonals (i, N + i) and (N + i, i).
    np.testing.assert_allclose(np.diagonal(shown, offset=5), [_cosine(a, b) for a, b in
                                                              zip(z_a, z_b)], atol=1e-5)


def test_similarity_matrix_of_one_set(rng):
    z = rng.normal(size=(6, 3))
    shown = np.asarray(plot_similarity_matrix(z).axes[0].images[0].get_array())
    assert shown.shape == (6, 6)
    np.testing.assert_allclose(np.diagonal(shown), 1.0, atol=1e-5)


def test_histograms_mark_the_oracle_means(rng, tmp_path):
    z_a = rng.normal(size=(10, 8))
    z_b = z_a + 0.5 * rng.normal(size=(10, 8))
    path = tmp_path / "histograms.png"
    figure = plot_similarity_histograms(z_a, z_b, path=path, bins=20)
    _assert_png(path)
    positives, negatives = _pairs_oracle(z_a, z_b)
    marked = sorted(line.get_xdata()[0] for line in figure.axes[0].lines)
    np.testing.assert_allclose(marked, sorted([positives.mean(), negatives.mean()]), atol=1e-5)
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert any("n=180" in text for text in legend)  # 2N(N-1) negatives for N=10
    with pytest.raises(ValueError, match="`bins`"):
        plot_similarity_histograms(z_a, z_b, bins=0)


def test_temperature_softmax_bars_match_numpy(tmp_path):
    logits = np.array([1.0, 0.2, 0.1, -0.1, -0.3])
    temperatures = (0.1, 1.0, 10.0)
    path = tmp_path / "softmax.png"
    figure = plot_temperature_softmax(logits, temperatures, path=path, positive_index=0,
                                      tick_labels=["pos", "a", "b", "c", "d"])
    _assert_png(path)
    assert len(figure.axes) == len(temperatures)
    for axes, temperature in zip(figure.axes, temperatures):
        expected = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
        heights = [patch.get_height() for patch in axes.patches]
        np.testing.assert_allclose(heights, expected, rtol=1e-5, atol=1e-7)
        assert f"{temperature:g}" in axes.get_title()


def test_temperature_softmax_draws_a_given_softmax_function():
    # A notebook passes the student's softmax: the bars are its values, whatever they are.
    logits = np.array([2.0, 1.0, 0.2, -0.5])
    calls = []

    def uniform_plus_tau(values, temperature):
        calls.append(temperature)
        return np.full(len(values), 0.1) + 0.01 * temperature

    figure = plot_temperature_softmax(logits, (0.5, 2.0), softmax_function=uniform_plus_tau)
    assert calls == [0.5, 2.0]
    for axes, temperature in zip(figure.axes, (0.5, 2.0)):
        heights = [patch.get_height() for patch in axes.patches]
        np.testing.assert_allclose(heights, 0.1 + 0.01 * temperature)
    with pytest.raises(ValueError, match="one probability per logit"):
        plot_temperature_softmax(logits, softmax_function=lambda values, t: values[:2])
    with pytest.raises(ValueError, match="callable"):
        plot_temperature_softmax(logits, softmax_function="softmax")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"temperatures": (1.0, 0.0)}, "`temperature` should be > 0. Received: temperature=0"),
        ({"temperatures": ()}, "at least one temperature"),
        ({"tick_labels": ["a"]}, "one name per logit"),
        ({"positive_index": 3}, "positive_index"),
    ],
)
def test_temperature_softmax_rejects_bad_inputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_temperature_softmax([1.0, 0.0, -1.0], **kwargs)
    with pytest.raises(ValueError, match="1D"):
        plot_temperature_softmax(np.zeros((2, 2)))


def test_tsne_subsamples_and_names_classes(rng, tmp_path, caplog):
    labels = rng.integers(0, 3, 100)
    features = rng.normal(size=(100, 6)) + 4.0 * np.eye(3, 6)[labels]
    path = tmp_path / "tsne.png"
    with caplog.at_level(logging.WARNING, logger="ssl_keras.evaluation.plots"):
        figure = plot_tsne(features, labels, path=path, class_names=["cat", "dog", "car"],
                           max_points=40, perplexity=50)
    _assert_png(path)
    assert "perplexity" in caplog.text  # 50 >= 40 points: lowered, with a warning
    axes = figure.axes[0]
    assert sum(len(collection.get_offsets()) for collection in axes.collections) == 40
    legend = {text.get_text() for text in axes.get_legend().get_texts()}
    assert legend <= {"cat", "dog", "car"} and len(legend) >= 2
    with pytest.raises(ValueError, match="class_names"):
        plot_tsne(features, labels, class_names=["cat"])
    with pytest.raises(ValueError, match="one label per sample"):
        plot_tsne(features, labels[:10])


def test_plots_leave_pyplot_state_alone(rng):
    # Figures are built without pyplot: nothing is registered in pyplot's figure list
    # (which would display twice, and leak, in a notebook) and the backend is unchanged.
    import matplotlib
    from matplotlib import pyplot

    backend = matplotlib.get_backend()
    figures_before = pyplot.get_fignums()
    z = rng.normal(size=(4, 3))
    plot_similarity_matrix(z, z)
    plot_similarity_histograms(z, z)
    plot_temperature_softmax([1.0, 0.0])
    assert pyplot.get_fignums() == figures_before
    assert matplotlib.get_backend() == backend
