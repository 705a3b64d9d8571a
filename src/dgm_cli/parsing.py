"""The project's own grammar for the text a user types.

Numbers are read as exact fractions (``1/3``, ``0.333``, ``-2``, ``1e-3``) so
that solvers can derive exact results. Nothing here calls ``eval`` or SymPy's
parser: those run Python. Every function raises :class:`InputError` naming the
option on bad input.
"""

from __future__ import annotations

import re
from fractions import Fraction

from dgm_cli.errors import InputError

MAX_TEXT_LENGTH = 10_000
MAX_DECIMAL_EXPONENT = 400  # beyond float64's range either way; keeps Fraction small
MAX_DIGITS = 400  # far beyond float64's 17 significant digits; keeps exact arithmetic cheap

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# Minus signs that arrive when a value is pasted from a PDF or a web page.
_MINUS_LOOKALIKES = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})


def _check_length(text: str, option: str) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(f"value is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}", option)


def _parse_decimal(text: str, option: str, whole: str) -> Fraction:
    if not _DECIMAL.fullmatch(text):
        raise InputError(f"{whole!r} is not a number (expected forms like 2, -0.5, 1e-3, 1/3)", option)
    mantissa, _, exponent = text.lower().partition("e")
    if sum(c.isdigit() for c in mantissa) > MAX_DIGITS:
        raise InputError(f"a number of more than {MAX_DIGITS} digits", option)
    if exponent and (len(exponent) > 6 or abs(int(exponent)) > MAX_DECIMAL_EXPONENT):
        raise InputError(f"{whole!r}: exponent {exponent} is outside ±{MAX_DECIMAL_EXPONENT}", option)
    return Fraction(text)


def parse_number(text: str, option: str = "value") -> Fraction:
    """Read a finite real number exactly: an integer, a decimal, or a fraction ``p/q`` of two such."""
    if not isinstance(text, str):
        raise InputError("expected text", option)
    _check_length(text, option)
    cleaned = text.strip().translate(_MINUS_LOOKALIKES)
    if not cleaned:
        raise InputError("empty value; expected a number", option)
    lowered = cleaned.lower().lstrip("+-")
    if lowered in {"nan", "inf", "infinity"}:
        raise InputError(f"{text!r} is not a finite number", option)
    numerator, slash, denominator = cleaned.partition("/")
    if not slash:
        return _parse_decimal(numerator, option, text)
    top = _parse_decimal(numerator.strip(), option, text)
    bottom = _parse_decimal(denominator.strip(), option, text)
    if bottom == 0:
        raise InputError(f"{text!r} divides by zero", option)
    return top / bottom


def parse_vector(parts: list[str] | tuple[str, ...], option: str, length: int | None = None) -> list[Fraction]:
    """Read a vector from separate values, comma- or space-separated values, or a mix of both."""
    items: list[str] = []
    for part in parts:
        _check_length(part, option)
        if not part.strip():
            raise InputError("empty value; expected a number", option)
        items.extend(item for item in re.split(r"[,\s]+", part.strip()) if item)
    if not items:
        raise InputError("no values given", option)
    if length is not None and len(items) != length:
        raise InputError(f"expected {length} coordinates, got {len(items)}", option)
    return [parse_number(item, option) for item in items]
