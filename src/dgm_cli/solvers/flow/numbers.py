"""Numbers at any size, for display and for the result's strings: a value beyond float64 (p_X = 10^(−10^600))
shown as SymPy's Float or as ±10^L, decimal strings of mpmath numbers, and exact values shortened where no
renderer could print them. Nothing here formats a number into prose: steps hold numbers, renderers print them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.distributions import mp_fraction
from dgm_cli.solvers.symbolic import mp_to_float, mp_value

FLOAT_MAX = Fraction(np.finfo(np.float64).max)
FLOAT_TINY = float(np.finfo(np.float64).tiny)  # the smallest normal float64
READABLE_EXPONENT_DIGITS = 15  # a number beyond float64 whose exponent has more digits is shown as ±10^L
DISPLAY_DIGITS = 30  # the renderers show a longer exact integer or fraction as a 15-digit Float
RESULT_DIGITS = 300  # the result's exact string keeps rationals up to this many digits


def short_text(value: Fraction) -> str:
    """A number for a message: three significant digits, whatever its size (no 300-digit integer)."""
    import mpmath

    with mpmath.workdps(15):
        return mpmath.nstr(mp_fraction(value), 3)


def float_representable(values: Sequence | np.ndarray) -> bool:
    """Whether every value is 0 or a normal float64."""
    return all(v == 0 or FLOAT_TINY <= abs(float(v)) < math.inf for v in values)


def _exponent_digits(value) -> int:
    """How many digits the decimal exponent of an mpmath number has (0 for a number near 1)."""
    import mpmath

    if not value or mpmath.isinf(value):
        return 0
    exponent = abs(int(mpmath.mag(value))) * 30103 // 100000  # integer arithmetic: the magnitude may exceed a float
    return exponent.bit_length() * 30103 // 100000 + 1


def _mp_text(value) -> str:
    """An mpmath number as text with 15 significant digits; ±10^(…) when its exponent has more than 15 digits."""
    import mpmath

    if _exponent_digits(value) <= READABLE_EXPONENT_DIGITS:
        return mpmath.nstr(value, 15)
    with mpmath.workdps(30):
        return ("-" if value < 0 else "") + f"10^({_mp_text(mpmath.log10(abs(value)))})"


def signed_text(value) -> str:
    """A log-density as a decimal string with 15 significant digits, "-Infinity" or "Infinity" where it is infinite
    (for a result value: the exact exponent of a density beyond float64)."""
    import mpmath

    if mpmath.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    with mpmath.workdps(30):
        return _mp_text(value)


def shown(value):
    """A number for display: the float64 when it holds the value as a normal number, else SymPy's Float
    (an exponent of up to 15 digits), else ±10^L."""
    import mpmath

    number = mp_to_float(value)
    if mpmath.isinf(value) or not value or FLOAT_TINY <= abs(number) < math.inf:
        return number
    if _exponent_digits(value) <= READABLE_EXPONENT_DIGITS:
        return sympy.Float(value, 15)
    with mpmath.workdps(30):
        power = sympy.Pow(10, shown(mpmath.log10(abs(value))), evaluate=False)
    return -power if value < 0 else power


def digits_before_point(value) -> int:
    """How many decimal digits the integer part of |value| has (from its binary magnitude: no huge int is built)."""
    import mpmath

    if not value or mpmath.isinf(value):
        return 0
    return max(1, int(mpmath.mag(value)) * 30103 // 100000 + 1)


def density_from_log(log_density, digits: int):
    """p_X = e^(log p_X) as an mpmath number when its 15-digit mantissa is known at ``digits`` digits; else None.

    The mantissa needs log p_X to about 17 digits after the decimal point, so ``digits`` must cover the
    digits before it as well: 10^(−10^600) is the smallest density written out in decimal.
    """
    import mpmath

    if log_density == -mpmath.inf:
        return mpmath.mpf(0)
    if log_density == mpmath.inf:
        return mpmath.inf
    if digits < 17 + digits_before_point(log_density):
        return None
    with mpmath.workdps(digits):
        return mpmath.exp(log_density)


def density_shown(log_density, digits: int):
    """p_X for display from its logarithm: the number, or 10^(log10 p_X) when its mantissa is beyond reach."""
    import mpmath

    density = density_from_log(log_density, digits)
    if density is not None:
        return shown(density)
    return sympy.Pow(10, shown(log_density / mpmath.ln10), evaluate=False)


def density_text(log_density, digits: int) -> str:
    """p_X as a decimal string with 15 significant digits; 10^(log10 p_X) when the mantissa is beyond reach."""
    import mpmath

    if log_density == mpmath.inf:
        return "Infinity"
    density = density_from_log(log_density, digits)
    if density is not None:
        return sympy.sstr(sympy.Float(density, 15)) if density else "0"
    with mpmath.workdps(digits):
        return f"10^({_mp_text(log_density / mpmath.ln10)})"


def compact(expr: sympy.Basic, digits: int = RESULT_DIGITS) -> sympy.Basic:
    """The expression with every rational of more than ``digits`` digits as a 15-digit Float, nothing evaluated.

    Evaluation is held back: exp(Float(-1e307)) would be evaluated by SymPy at once (and overflow its
    integer arithmetic), while exp(-10**307) stays exact.
    """
    bits = digits * 3.33
    long = [a for a in expr.atoms(sympy.Rational) if max(int(abs(a.p)).bit_length(), int(a.q).bit_length()) > bits]
    if not long:
        return expr
    with sympy.evaluate(False):
        return expr.xreplace({a: sympy.Float(mp_value(a), 15) for a in long})


def exact_text(expr: sympy.Basic) -> str:
    """SymPy's text of an exact value; rationals beyond Python's 4,300-digit conversion limit as 15-digit Floats."""
    try:
        return sympy.sstr(expr)
    except ValueError:
        return sympy.sstr(compact(expr))


def _display_safe(expr: sympy.Basic) -> bool:
    """Whether the renderers can print the exact value: they turn long rationals into Floats, and SymPy then
    evaluates a function of a Float at once (e^(1e307) overflows its integer arithmetic)."""
    for function in expr.atoms(sympy.Function, sympy.Pow):
        arguments = function.args if isinstance(function, sympy.Function) else function.args[1:]
        for a in arguments:  # only a bare number becomes a bare Float; exp(Float·exp(2)) stays unevaluated
            if a.is_Rational and abs(a) > 10**15 and max(
                int(abs(a.p)).bit_length(), int(a.q).bit_length()
            ) > DISPLAY_DIGITS * 3.33:
                return False
    return True


def for_display(expr):
    """An exact value at the point for a step, or None when no renderer could print it (see _display_safe)."""
    if expr is None or not _display_safe(expr):
        return None
    # Shortened here as the renderers would: they cannot measure a rational beyond Python's 4,300-digit
    # conversion limit, and print a matrix's entries without shortening them.
    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(lambda e: compact(e, DISPLAY_DIGITS))
    return compact(expr, DISPLAY_DIGITS)
