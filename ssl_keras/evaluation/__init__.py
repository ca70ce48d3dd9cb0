"""Judging a frozen representation: features, linear probe, kNN, few-label subsets, plots.

Everything here runs after (or between) training, on the host, and returns NumPy
arrays, Python floats or matplotlib figures, identically on the jax, tensorflow and
torch backends.

Example:
>>> from ssl_keras import evaluation
>>> train = evaluation.extract_features(encoder, x_train)  # doctest: +SKIP
>>> test = evaluation.extract_features(encoder, x_test)  # doctest: +SKIP
>>> evaluation.linear_probe(train, y_train, test, y_test).accuracy  # doctest: +SKIP
>>> evaluation.knn_accuracy(train, y_train, test, y_test)  # doctest: +SKIP
"""

from ssl_keras.evaluation.features import extract_features
from ssl_keras.evaluation.fine_tune import FineTuneResult, fine_tune
from ssl_keras.evaluation.knn import knn_accuracy, knn_predict
from ssl_keras.evaluation.linear_probe import (
    LinearProbeResult,
    linear_probe,
    linear_probe_from_encoder,
)
from ssl_keras.evaluation.plots import (
    plot_similarity_histograms,
    plot_similarity_matrix,
    plot_temperature_softmax,
    plot_tsne,
    positive_negative_similarities,
)
from ssl_keras.evaluation.subsets import stratified_subset

__all__ = [
    "FineTuneResult",
    "LinearProbeResult",
    "extract_features",
    "fine_tune",
    "knn_accuracy",
    "knn_predict",
    "linear_probe",
    "linear_probe_from_encoder",
    "plot_similarity_histograms",
    "plot_similarity_matrix",
    "plot_temperature_softmax",
    "plot_tsne",
    "positive_negative_similarities",
    "stratified_subset",
]
