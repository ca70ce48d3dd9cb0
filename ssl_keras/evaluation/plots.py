"""Figures for judging a representation: t-SNE, similarity matrix and histograms,
temperature-softmax bars.

Every function builds a `matplotlib.figure.Figure` directly, without `pyplot`: nothing
here selects a backend or touches pyplot's global figure list, so importing this
module changes nothing in a notebook, and it works headless (saving a PNG needs only
matplotlib's Agg renderer, which `Figure.savefig` uses by itself). Jupyter's inline
backend displays a returned `Figure` as the cell's output.
"""

import logging
import os

import numpy as np
from matplotlib.figure import Figure

from ssl_keras.evaluation._arrays import (
    check_features,
    check_labels,
    l2_normalize_rows,
    to_numpy,
)
from ssl_keras.ops.softmax import softmax_with_temperature
from ssl_keras.validation import check_positive_float

logger = logging.getLogger(__name__)


def positive_negative_similarities(z_a, z_b) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities of the positive pairs and of the negative pairs of a batch.

    The batch holds `N` images seen through two views, embedded as `z_a[i]` and
    `z_b[i]`. SimCLR's positive pairs are the `N` pairs `(z_a[i], z_b[i])`; every
    other pair of the `2N` embeddings is a negative pair. Each unordered pair is
    counted once (the cosine is symmetric), and an embedding is never paired with
    itself, so there are `N` positives and `2N (2N - 1) / 2 - N = 2N (N - 1)`
    negatives: `(z_a[i], z_a[j])`, `(z_b[i], z_b[j])` and `(z_a[i], z_b[j])` for
    `i != j`.

    Args:
        z_a: embeddings of the first views, shape `(N, dim)`.
        z_b: embeddings of the second views, shape `(N, dim)`.

    Returns:
        A tuple `(positives, negatives)` of NumPy float32 arrays of shapes `(N,)` and
        `(2N (N - 1),)`; `positives[i] = cos(z_a[i], z_b[i])`, and `negatives` lists
        the strict upper triangle of the `2N x 2N` similarity matrix of
        `concat([z_a, z_b])` in row-major order, positives removed.

    Raises:
        ValueError: if `z_a` and `z_b` are not rank 2 with equal shapes, or `N < 2`
            (a batch of one has no negatives).

    Example:
    >>> import numpy as np
    >>> positives, negatives = positive_negative_similarities(np.eye(3), np.eye(3))
    >>> positives.tolist(), negatives.shape
    ([1.0, 1.0, 1.0], (12,))
    """
    similarities, num_pairs = _two_view_similarities(z_a, z_b)
    size = 2 * num_pairs
    rows, columns = np.triu_indices(size, k=1)
    is_positive = columns - rows == num_pairs
    upper = similarities[rows, columns]
    positives = similarities[np.arange(num_pairs), np.arange(num_pairs) + num_pairs]
    return positives, upper[~is_positive]


def plot_similarity_matrix(z_a, z_b=None, path: str | None = None, title: str | None = None):
    """Plots the cosine-similarity matrix of a batch of embeddings as a heat map.

    With two views, the matrix is that of `concat([z_a, z_b])`, the `2N x 2N` matrix
    SimCLR's loss is computed from: the diagonal is each embedding with itself (always
    1), and the positive pairs lie on the two off-diagonals `(i, N + i)` and
    `(N + i, i)`, bright when the two views agree. Dashed lines separate the four
    `N x N` blocks. With `z_b=None`, the matrix of `z_a` alone is drawn.

    Args:
        z_a: embeddings of shape `(N, dim)` (the first views).
        z_b: embeddings of the second views, shape `(N, dim)`, or `None`.
        path: where to save the figure as PNG; `None` to only return it.
        title: the figure title; a default one says what is shown.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        ValueError: if the embeddings are not rank 2 or their shapes differ.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(8, 16))
    >>> figure = plot_similarity_matrix(z, z + 0.1)
    """
    if z_b is None:
        z_a = check_features(z_a, "z_a")
        similarities = _cosine_matrix(z_a, z_a)
        num_pairs = None
    else:
        similarities, num_pairs = _two_view_similarities(z_a, z_b, minimum_pairs=1)

    figure = Figure(figsize=(6.0, 5.0), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(similarities, cmap="coolwarm", vmin=-1.0, vmax=1.0)
    figure.colorbar(image, ax=axes, label="cosine similarity")
    if num_pairs is not None:
        axes.axhline(num_pairs - 0.5, color="black", linewidth=0.8, linestyle="--")
        axes.axvline(num_pairs - 0.5, color="black", linewidth=0.8, linestyle="--")
        axes.set_xlabel(f"embedding index (0..{num_pairs - 1}: view a, "
                        f"{num_pairs}..{2 * num_pairs - 1}: view b)")
        axes.set_ylabel("embedding index")
        default_title = "Cosine similarities of 2N views (positives on the off-diagonals)"
    else:
        axes.set_xlabel("embedding index")
        axes.set_ylabel("embedding index")
        default_title = "Cosine similarity matrix"
    axes.set_title(title or default_title, fontsize=10)
    save_figure(figure, path)
    return figure


def plot_similarity_histograms(
    z_a, z_b, path: str | None = None, bins: int = 50, title: str | None = None
):
    """Histograms of the positive-pair and negative-pair cosine similarities.

    A good contrastive representation separates the two: positives (two views of the
    same image) near 1, negatives spread around 0. Both histograms are densities
    (there are `2(N - 1)` times more negatives than positives), and a vertical line
    marks each mean, written in the legend. The pairs are those of
    `positive_negative_similarities`.

    Args:
        z_a: embeddings of the first views, shape `(N, dim)`.
        z_b: embeddings of the second views, shape `(N, dim)`.
        path: where to save the figure as PNG; `None` to only return it.
        bins: number of histogram bins over `[-1, 1]`.
        title: the figure title; a default one says what is shown.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        ValueError: as `positive_negative_similarities`, or if `bins < 1`.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(32, 16))
    >>> figure = plot_similarity_histograms(z, z + 0.3)
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"`bins` should be an integer >= 1. Received: bins={bins!r}")
    positives, negatives = positive_negative_similarities(z_a, z_b)
    edges = np.linspace(-1.0, 1.0, bins + 1)

    figure = Figure(figsize=(6.0, 4.0), layout="constrained")
    axes = figure.add_subplot()
    for values, name, color in (
        (negatives, "negative pairs", "tab:red"),
        (positives, "positive pairs", "tab:blue"),
    ):
        mean = float(np.mean(values))
        axes.hist(values, bins=edges, density=True, alpha=0.5, color=color,
                  label=f"{name} (n={values.size}, mean={mean:.3f})")
        axes.axvline(mean, color=color, linestyle="--", linewidth=1.5)
    axes.set_xlim(-1.0, 1.0)
    axes.set_xlabel("cosine similarity")
    axes.set_ylabel("density")
    axes.legend(fontsize=8)
    axes.set_title(title or "Positive vs negative pair similarities", fontsize=10)
    save_figure(figure, path)
    return figure


def plot_temperature_softmax(
    logits,
    temperatures=(0.1, 0.5, 1.0, 2.0, 5.0),
    path: str | None = None,
    tick_labels=None,
    positive_index: int | None = None,
    title: str | None = None,
    softmax_function=None,
):
    """Bar plots of `softmax(logits / temperature)`, one panel per temperature.

    Shows how the temperature of the NT-Xent loss reshapes the distribution over
    candidates: low temperatures concentrate the mass on the largest logit, high ones
    flatten it towards uniform. Uses `ssl_keras.ops.softmax_with_temperature`, or
    `softmax_function` when given (a student's own implementation, in a notebook).

    Args:
        logits: 1D array of scores, e.g. the cosine similarities of an anchor with
            its positive and its negatives: `[1.0, 0.2, 0.1, -0.1, -0.3]`.
        temperatures: positive floats, one panel each.
        path: where to save the figure as PNG; `None` to only return it.
        tick_labels: names of the candidates for the x axis; defaults to indices.
        positive_index: index of the positive candidate, drawn in another colour.
        title: the figure title.
        softmax_function: a callable `softmax_function(logits, temperature)` returning
            the probabilities (NumPy array or tensor of the shape of `logits`); defaults
            to `ssl_keras.ops.softmax_with_temperature`.

    Returns:
        The `matplotlib.figure.Figure`, with one axes per temperature.

    Raises:
        ValueError: if `logits` is not 1D and non-empty, `temperatures` is empty or
            holds a value <= 0, `tick_labels` has the wrong length, or
            `positive_index` is out of range.

    Example:
    >>> figure = plot_temperature_softmax([1.0, 0.2, 0.1, -0.1, -0.3], positive_index=0)
    """
    logits = to_numpy(logits).astype("float32")
    if logits.ndim != 1 or logits.size == 0:
        raise ValueError(
            f"`logits` should be a non-empty 1D array. Received: logits.shape={logits.shape}"
        )
    temperatures = tuple(temperatures)
    if not temperatures:
        raise ValueError("`temperatures` should hold at least one temperature. Received: ()")
    temperatures = tuple(check_positive_float(t, "temperature") for t in temperatures)
    if tick_labels is None:
        tick_labels = [str(i) for i in range(logits.size)]
    tick_labels = [str(label) for label in tick_labels]
    if len(tick_labels) != logits.size:
        raise ValueError(
            f"`tick_labels` should have one name per logit ({logits.size}). "
            f"Received: len(tick_labels)={len(tick_labels)}"
        )
    if positive_index is not None and not 0 <= positive_index < logits.size:
        raise ValueError(
            f"`positive_index` should be in [0, {logits.size}). "
            f"Received: positive_index={positive_index}"
        )
    if softmax_function is None:
        softmax_function = softmax_with_temperature
    elif not callable(softmax_function):
        raise ValueError(
            "`softmax_function` should be a callable (logits, temperature) -> probabilities. "
            f"Received: softmax_function={softmax_function!r}"
        )

    colors = ["tab:gray"] * logits.size
    if positive_index is not None:
        colors[positive_index] = "tab:blue"
    figure = Figure(figsize=(2.6 * len(temperatures), 3.2), layout="constrained")
    all_axes = figure.subplots(1, len(temperatures), sharey=True, squeeze=False)[0]
    positions = np.arange(logits.size)
    for axes, temperature in zip(all_axes, temperatures):
        probabilities = to_numpy(softmax_function(logits, temperature)).reshape(-1)
        if probabilities.shape != logits.shape:
            raise ValueError(
                "`softmax_function` should return one probability per logit "
                f"({logits.size}). Received: {probabilities.size} values"
            )
        axes.bar(positions, probabilities, color=colors)
        axes.set_xticks(positions, tick_labels, rotation=45 if logits.size > 6 else 0)
        axes.set_ylim(0.0, 1.0)
        axes.set_title(f"τ = {temperature:g}")
        if positive_index is not None:
            axes.text(positive_index, min(probabilities[positive_index] + 0.03, 0.95),
                      f"{probabilities[positive_index]:.2f}", ha="center", fontsize=8)
    all_axes[0].set_ylabel("softmax probability")
    figure.suptitle(title or "softmax(logits / τ)")
    save_figure(figure, path)
    return figure


def plot_tsne(
    features,
    labels,
    path: str | None = None,
    class_names=None,
    perplexity: float = 30.0,
    seed: int = 0,
    max_points: int = 2000,
    title: str | None = None,
):
    """Embeds features in 2D with t-SNE and draws them coloured by class.

    Uses `sklearn.manifold.TSNE` (PCA initialisation, automatic learning rate). t-SNE
    is quadratic-ish and slow on a CPU, so at most `max_points` features, drawn
    uniformly at random with `seed`, are embedded. A `perplexity` that is too large
    for the number of points (t-SNE needs `perplexity < num_points`) is lowered to
    `(num_points - 1) / 3` with a logged warning.

    Args:
        features: array of shape `(num_samples, dim)`.
        labels: integer class ids of shape `(num_samples,)` or `(num_samples, 1)`.
        path: where to save the figure as PNG; `None` to only return it.
        class_names: names of the classes for the legend, indexed by class id;
            defaults to the ids.
        perplexity: t-SNE perplexity (roughly the number of neighbours kept).
        seed: seed of the subsample and of t-SNE.
        max_points: largest number of points embedded.
        title: the figure title.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `features` is not rank 2, `labels` does not match it, fewer
            than 3 points are given, `class_names` is too short, or `perplexity` or
            `max_points` is not positive.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 3, 60)
    >>> features = rng.normal(size=(60, 8)) + 3 * np.eye(3, 8)[labels]
    >>> figure = plot_tsne(features, labels, perplexity=10)
    """
    # Imported here: scikit-learn's manifold module is slow to import and only t-SNE
    # needs it.
    from sklearn.manifold import TSNE

    features = check_features(features, "features")
    labels = check_labels(labels, "labels", features.shape[0])
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or (
        max_points < 3
    ):
        raise ValueError(
            f"`max_points` should be an integer >= 3. Received: max_points={max_points!r}"
        )
    check_positive_float(perplexity, "perplexity")
    num_points = features.shape[0]
    if num_points < 3:
        raise ValueError(
            f"`features` should hold at least 3 points for t-SNE. "
            f"Received: features.shape={features.shape}"
        )
    if num_points > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(num_points, max_points, replace=False))
        features, labels, num_points = features[keep], labels[keep], max_points
    if perplexity >= num_points:
        lowered = (num_points - 1) / 3
        logger.warning(
            "`perplexity`=%s should be < the number of points (%d): using %s.",
            perplexity,
            num_points,
            lowered,
        )
        perplexity = lowered
    classes = np.unique(labels)
    if class_names is not None and len(class_names) <= classes.max():
        raise ValueError(
            f"`class_names` should name every class id up to {classes.max()}. "
            f"Received: len(class_names)={len(class_names)}"
        )

    embedded = TSNE(
        n_components=2, perplexity=perplexity, init="pca", learning_rate="auto",
        random_state=seed,
    ).fit_transform(features)

    figure = Figure(figsize=(7.0, 6.0), layout="constrained")
    axes = figure.add_subplot()
    colormap = _class_colors(len(classes))
    for position, class_id in enumerate(classes):
        members = labels == class_id
        name = str(class_names[class_id]) if class_names is not None else str(class_id)
        axes.scatter(embedded[members, 0], embedded[members, 1], s=8, alpha=0.8,
                     color=colormap[position], label=name)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.legend(markerscale=2, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5),
                ncols=1 if len(classes) <= 20 else 2, frameon=False)
    axes.set_title(title or f"t-SNE of {num_points} features (perplexity {perplexity:g})",
                   fontsize=10)
    save_figure(figure, path)
    return figure


def _two_view_similarities(z_a, z_b, minimum_pairs: int = 2):
    """The `2N x 2N` cosine matrix of `concat([z_a, z_b])`, and `N`."""
    z_a = check_features(z_a, "z_a")
    z_b = check_features(z_b, "z_b")
    if z_a.shape != z_b.shape:
        raise ValueError(
            "`z_a` and `z_b` should have the same shape (N, dim). "
            f"Received: z_a.shape={z_a.shape}, z_b.shape={z_b.shape}"
        )
    if z_a.shape[0] < minimum_pairs:
        raise ValueError(
            f"`z_a` and `z_b` should hold at least {minimum_pairs} pairs: a batch of one "
            f"has no negative pairs. Received: z_a.shape={z_a.shape}"
        )
    embeddings = np.concatenate([z_a, z_b], axis=0)
    return _cosine_matrix(embeddings, embeddings), z_a.shape[0]


def _cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarities with norms clamped as in `ssl_keras.ops` (zero rows give 0)."""
    return np.clip(l2_normalize_rows(a) @ l2_normalize_rows(b).T, -1.0, 1.0)


def _class_colors(num_classes: int):
    """Distinct colours: tab10 up to 10 classes, tab20 up to 20, then a continuous map."""
    from matplotlib import colormaps

    if num_classes <= 10:
        return [colormaps["tab10"](i) for i in range(num_classes)]
    if num_classes <= 20:
        return [colormaps["tab20"](i) for i in range(num_classes)]
    return [colormaps["viridis"](i / (num_classes - 1)) for i in range(num_classes)]


def save_figure(figure: Figure, path: str | None) -> None:
    """Saves `figure` as a PNG at `path` (creating its folder); does nothing for `None`."""
    if path is None:
        return
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(path, dpi=120, format="png")
