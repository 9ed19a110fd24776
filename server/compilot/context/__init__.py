"""Cursor context: what kind of Java completion fits at a position, and the text the model sees."""

from compilot.context.classify import classify
from compilot.context.types import CursorContext, Kind, StopRule

__all__ = ["CursorContext", "Kind", "StopRule", "classify"]
