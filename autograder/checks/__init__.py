"""Checks that notebook test cells call, one module per assignment."""

from ._core import RECORD_MARKER, Case, expect_close, normal, record, record_cases

__all__ = ["RECORD_MARKER", "Case", "expect_close", "normal", "record", "record_cases"]
