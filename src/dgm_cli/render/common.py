"""Formatting shared by the text renderers: numbers, formulas, check verdicts."""

from __future__ import annotations

import math
from typing import Any

SIGNIFICANT_DIGITS = 15


def format_number(value: Any) -> str:
    """A value for a human: floats to 15 significant digits, ±∞ spelled out, lists bracketed."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "undefined"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{SIGNIFICANT_DIGITS}g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_number(v) for v in value) + "]"
    return str(value)


def format_tolerance(value: float) -> str:
    return f"{value:.2g}"


def formula_text(expr: Any) -> str:
    """A one-line, copy-pasteable form of a formula: ``lhs = rhs`` for equations."""
    import sympy

    if isinstance(expr, sympy.Equality):
        return f"{formula_text(expr.lhs)} = {formula_text(expr.rhs)}"
    if isinstance(expr, sympy.MatrixBase):
        return sympy.sstr(expr.tolist())  # one line, unlike Matrix's own repr
    return sympy.sstr(expr)


def formula_pretty(expr: Any, unicode: bool = True) -> str:
    """SymPy's two-dimensional rendering, never wrapped (a pipe has no width)."""
    import sympy

    return sympy.pretty(expr, use_unicode=unicode, wrap_line=False)


def formula_latex(expr: Any) -> str:
    import sympy

    return sympy.latex(expr)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"
