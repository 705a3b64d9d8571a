"""Renderers: one module per output format, each turning a Derivation into text.

A renderer never computes: every number it prints is in the Derivation.
"""

from __future__ import annotations

FORMATS = ("rich", "plain", "json")
