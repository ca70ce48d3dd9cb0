"""Checks that notebook test cells call, one module per assignment."""

from ._core import Case, normal

__all__ = ["Case", "normal"]
