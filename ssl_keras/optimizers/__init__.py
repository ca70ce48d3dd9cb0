"""Optimizers used by self-supervised methods: LARS (SimCLR's large-batch optimizer)."""

from ssl_keras.optimizers.lars import LARS

__all__ = ["LARS"]
