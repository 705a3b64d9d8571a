"""Problem 2's exact values as numbers: settled to the digits asked, beyond float64's range where need be.

The bounds are exact SymPy values; they are shown, compared and printed through these helpers. A value float64
cannot hold (1e-400, 1e400) stays a SymPy Float with an unbounded exponent, and a logarithm that SymPy would round
to 0 at its default precision (log(1 + 1e-100)) is evaluated at higher precision until it settles.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy

from dgm_cli.solvers.symbolic import to_sympy

# The most digits SymPy may use to settle a value (see evaluate: 40, 80, …, 2560): a log within 1e-2500 of 0 needs
# that many; the parser's 400-digit numbers cannot come closer to a tie than ~1e-800.
EVALUATION_MAX_DIGITS = 5000


def evaluate(expr: Any, digits: int = 30) -> sympy.Float:
    """expr to ``digits`` significant digits, raising SymPy's working precision until two evaluations agree.

    sympy.N(log(x), 20) returns 0 when x is within 1e-30 of 1 (r² = 2 log(1/(2πcτ)) just past the edge
    of A): its precision is set by the argument, not the result. Doubling the precision until the value
    is stable resolves that, up to EVALUATION_MAX_DIGITS; a value that never settles is 0 to that precision.
    """
    expr = to_sympy(expr)
    if expr.is_Rational:
        return sympy.Float(expr, digits)
    return _evaluate_settled(expr, digits)


@lru_cache(maxsize=1024)
def _evaluate_settled(expr: sympy.Expr, digits: int) -> sympy.Float:
    """:func:`evaluate` of an expression that is not a Rational. Kept per (expression, digits): one run evaluates the
    same 60 values about 200 times (h − 1/e, KL, the plateau…), each at two or more precisions."""
    previous = None
    precision = digits + 10
    while precision <= EVALUATION_MAX_DIGITS:
        value = sympy.N(expr, precision)
        if value.has(sympy.nan, sympy.zoo, sympy.oo) or (value.is_Number and not value.is_finite):
            value = sympy.Integer(0)  # log(N(r²)) with r² still 0 at this precision: go on
        elif not value.is_Number:
            raise RuntimeError(f"{expr} does not evaluate to a number")
        # Two zeros in a row are not proof: N(log(1 + 1e-100), 80) is 0 too. Only an exact zero
        # (already a Rational above) or agreement to the digits asked ends the search early.
        if previous is not None and not value.is_zero:
            if abs(value - previous) <= abs(value) * sympy.Float(10, 30) ** (-digits - 2):
                return sympy.Float(value, digits)
        previous = value
        precision *= 2
    return sympy.Float(0, digits)


def float_of(expr: Any) -> float:
    """expr in float64, from its value settled to 30 digits."""
    return float(evaluate(expr, 30))


def rational(value: Fraction) -> sympy.Rational:
    """A Fraction as SymPy's exact rational."""
    return sympy.Rational(value.numerator, value.denominator)


def is_positive(expr: sympy.Expr) -> bool:
    """expr > 0 for a real constant, decided numerically (relative digits, not an absolute threshold).

    SymPy's own comparison can refuse: near 2π(h − ε) = 1 it reports log(…) as "non-real".
    :func:`evaluate` settles the digits, so a value of 1e-400 is positive; an exact tie (the c = 1
    kink ε = h − 1/(2π), where r² = 2 log 1) evaluates to 0, and a value that cannot be told from 0
    within EVALUATION_MAX_DIGITS digits is treated as 0 too (not positive).
    """
    return bool(evaluate(expr, 20) > 0)


def exact_text(expr: sympy.Expr) -> str:
    """An exact value as a string, for the result mapping (never for prose or a message)."""
    return sympy.sstr(expr)


def short(value: Any) -> str:
    """A number for a one-line message: 3 significant digits, like f"{x:.3g}", never through a float64.

    Exact inputs (Fraction, SymPy) are rounded at 15 digits by SymPy, whose exponent is unbounded, so
    1e-400 stays 1e-400 instead of underflowing to 0 and 1e308 is not spelled as a 309-digit integer.
    """
    if isinstance(value, Fraction):
        value = rational(value)
    number = evaluate(value, 15)
    if number.is_zero:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, exponent = _mantissa_exponent(abs(number), 3)
    if -4 <= exponent < 3:
        return f"{sign}{float(mantissa) * 10.0**exponent:.3g}"
    return f"{sign}{mantissa:.3g}e{exponent:+03d}"


def _mantissa_exponent(number: sympy.Float, digits: int) -> tuple[float, int]:
    """number = mantissa·10^exponent with 1 ≤ mantissa < 10 after rounding to ``digits`` digits (number > 0)."""
    import mpmath

    with mpmath.workdps(30):
        x = mpmath.mpf(number)
        exponent = int(mpmath.floor(mpmath.log10(x)))
        mantissa = round(float(x / mpmath.mpf(10) ** exponent), digits - 1)
    if mantissa >= 10.0:  # 9.996 rounds to 10.0: carry into the exponent
        mantissa, exponent = mantissa / 10.0, exponent + 1
    elif mantissa < 1.0:  # log10 rounding just below a power of ten
        mantissa, exponent = round(mantissa * 10.0, digits - 1), exponent - 1
    return mantissa, exponent


def as_number(expr: Any) -> float | sympy.Float:
    """A value for the result and the prose: a float64 where one holds it, else a 15-digit SymPy Float.

    float64 cannot hold 1e-400 (it underflows to 0) or 1e400 (it overflows to ∞), and below
    2.2e-308 it loses digits; SymPy's Float has an unbounded exponent, and every renderer prints it.
    """
    if isinstance(expr, float):
        return expr
    value = evaluate(expr, 30)
    if value.is_zero:
        return 0.0
    as_float = float(value)
    if math.isfinite(as_float) and abs(as_float) >= sys.float_info.min:
        return as_float
    return sympy.Float(value, 15)


def log_of(expr: Any) -> float:
    """log of a positive exact value, in float64 (the logarithm of 1e-400 is −921, though 1e-400 is not a float64)."""
    return float(evaluate(sympy.log(expr), 30))


def from_log(log_value: float) -> float | sympy.Float:
    """exp(log_value) as :func:`as_number` gives it: a float64 where it holds, else a 15-digit SymPy Float."""
    import mpmath

    with mpmath.workdps(30):
        return as_number(sympy.Float(mpmath.exp(mpmath.mpf(log_value)), 30))
