"""Keras callbacks for self-supervised training: the kNN accuracy monitor."""

from ssl_keras.callbacks.knn_monitor import KNNMonitor

__all__ = ["KNNMonitor"]
