"""Bounds of a real expression over all real values of its variables, by interval arithmetic: the argument that a
layer's derivative keeps one sign (so that the layer is strictly monotone) without solving anything.

Sound, not tight: every occurrence of a variable ranges on its own. Ends are exact Fractions or ±inf; an end
computed by mpmath is widened outward by a relative 2^-100, so that the true value always lies inside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy

from dgm_cli.solvers.symbolic import MpOutOfRange, MpUndefined, mp_value, real_cbrt, to_sympy

End = Fraction | float  # an exact end, or ±inf
EndFunction = Callable[[End, bool], End]  # the value at an end, rounded up (True) or down (False)

_INF = float("inf")
_BOUND_DIGITS = 40  # mpmath digits for a transcendental end; the end is then widened by a relative 2^-100
_WIDEN = Fraction(1, 2**100)
_MAGNITUDE_BITS = 1000  # ends beyond 2^±1000 are replaced by bounds that are not (no billion-bit Fractions)


class NoBounds(ValueError):
    """No bounds over the reals: an unknown function, a possible pole, or a logarithm or root that may see 0."""


@dataclass(frozen=True)
class Bounds:
    """lo <= e <= hi for every real value of the variables. Ends are exact Fractions or ±inf; an ``open`` end
    is never attained (an infinite end is always open)."""

    lo: End
    hi: End
    lo_open: bool = False
    hi_open: bool = False

    @property
    def positive(self) -> bool:
        return self.lo > 0 or (self.lo == 0 and self.lo_open)

    @property
    def negative(self) -> bool:
        return self.hi < 0 or (self.hi == 0 and self.hi_open)

    @property
    def attains_zero(self) -> bool:
        """Whether 0 may be a value (conservative: True unless the bounds exclude it)."""
        if self.positive or self.negative:
            return False
        return self.lo < 0 < self.hi or (self.lo == 0 and not self.lo_open) or (self.hi == 0 and not self.hi_open)


def _bounds(lo: End, hi: End, lo_open: bool, hi_open: bool) -> Bounds:
    return Bounds(lo, hi, lo_open or lo == -_INF, hi_open or hi == _INF)


def _point(value: End) -> Bounds:
    return Bounds(value, value)


def _fraction_of(value) -> End:
    """An mpmath number as an exact Fraction (its binary digits), or ±inf."""
    if mpmath.isinf(value):
        return _INF if value > 0 else -_INF
    if not value:
        return Fraction(0)
    sign, mantissa, exponent, _ = mpmath.mpf(value)._mpf_
    number = Fraction(mantissa) * Fraction(2) ** exponent
    return -number if sign else number


def _outward(value, up: bool) -> End:
    """An mpmath value computed at _BOUND_DIGITS digits, widened so that the true value lies on the inner side.

    A magnitude beyond 2^1000 (e^(10^9)) becomes ±2^1000 on its inner side and ±inf on its outer side; one below
    2^−1000 becomes 0 or ±2^−1000: still bounds, without building huge exact numbers.
    """
    if not mpmath.isinf(value) and value and abs(mpmath.mag(value)) > _MAGNITUDE_BITS:
        positive = value > 0
        if mpmath.mag(value) > 0:  # huge
            big = Fraction(2) ** _MAGNITUDE_BITS
            if up:
                return _INF if positive else -big
            return big if positive else -_INF
        tiny = Fraction(1, 2**_MAGNITUDE_BITS)  # tiny
        if up:
            return tiny if positive else Fraction(0)
        return Fraction(0) if positive else -tiny
    number = _fraction_of(value)
    if not isinstance(number, Fraction) or number == 0:
        return number
    margin = abs(number) * _WIDEN
    return number + margin if up else number - margin


def _mp_of(end: End):
    if not isinstance(end, Fraction):
        return mpmath.mpf(end)  # ±inf
    return mpmath.mpf(end.numerator) / end.denominator


def _times(a: End, b: End) -> End:
    if a == 0 or b == 0:  # 0·∞ = 0 for the ends of a product of sets
        return Fraction(0)
    return a * b


def _add(a: Bounds, b: Bounds) -> Bounds:
    return _bounds(a.lo + b.lo, a.hi + b.hi, a.lo_open or b.lo_open, a.hi_open or b.hi_open)


def _negate(a: Bounds) -> Bounds:
    return Bounds(-a.hi, -a.lo, a.hi_open, a.lo_open)


def _multiply(a: Bounds, b: Bounds) -> Bounds:
    corners = [
        (_times(x, y), x_open or y_open)
        for x, x_open in ((a.lo, a.lo_open), (a.hi, a.hi_open))
        for y, y_open in ((b.lo, b.lo_open), (b.hi, b.hi_open))
    ]
    lo = min(c for c, _ in corners)
    hi = max(c for c, _ in corners)
    # A nonzero extreme of x·y over a box is reached only at corners; 0 is reached wherever a factor is 0.
    lo_open = all(is_open for c, is_open in corners if c == lo)
    hi_open = all(is_open for c, is_open in corners if c == hi)
    zero = a.attains_zero or b.attains_zero
    if lo == 0:
        lo_open = not zero
    if hi == 0:
        hi_open = not zero
    return _bounds(lo, hi, lo_open, hi_open)


def _even(a: Bounds, function: EndFunction) -> Bounds:
    """An even function increasing on [0, ∞) (|w|, w², cosh): from the bounds of |w|."""
    if a.lo >= 0:
        magnitude = a
    elif a.hi <= 0:
        magnitude = _negate(a)
    else:
        top_open = a.hi_open if a.hi > -a.lo else a.lo_open if -a.lo > a.hi else (a.hi_open and a.lo_open)
        magnitude = Bounds(Fraction(0), max(a.hi, -a.lo), False, top_open)
    return _increasing(magnitude, function)


def _increasing(a: Bounds, function: EndFunction) -> Bounds:
    """A strictly increasing function of w: ``function(end, up)`` gives the value at an end, rounded outward."""
    return _bounds(function(a.lo, False), function(a.hi, True), a.lo_open, a.hi_open)


def _monotone(mp_function, at_minus_inf: Callable[[bool], End], at_plus_inf: Callable[[bool], End],
              exact: dict[End, End] | None = None) -> EndFunction:
    """An end evaluator for a strictly increasing function: limits at ±∞, exact values at a few points."""

    def end(value: End, up: bool) -> End:
        if value == -_INF:
            return at_minus_inf(up)
        if value == _INF:
            return at_plus_inf(up)
        if exact and value in exact:
            return exact[value]
        with mpmath.workdps(_BOUND_DIGITS):
            return _outward(mp_function(_mp_of(value)), up)

    return end


def _constant_end(mp_constant) -> Callable[[bool], End]:
    def end(up: bool) -> End:
        with mpmath.workdps(_BOUND_DIGITS):
            return _outward(mp_constant(), up)

    return end


def _fixed(value: End) -> Callable[[bool], End]:
    return lambda up: value


def _reciprocal(a: Bounds, infinite: bool = False) -> Bounds:
    """1/w. With ``infinite``, w may be 0 at the edge of one sign (w >= 0 or w <= 0): 1/w is then ±∞ there."""
    if infinite and (a.lo >= 0 or a.hi <= 0) and not (a.lo == 0 == a.hi):
        a = Bounds(a.lo, a.hi, a.lo_open or a.lo == 0, a.hi_open or a.hi == 0)
    if not (a.positive or a.negative):
        raise NoBounds("a division by a quantity that may be 0")

    def inverse(end: End) -> End:
        if end in (_INF, -_INF):
            return Fraction(0)
        if end == 0:
            return _INF if a.positive else -_INF
        return 1 / end

    return _bounds(inverse(a.hi), inverse(a.lo), a.hi_open, a.lo_open)


def _integer_power(a: Bounds, k: int, infinite: bool = False) -> Bounds:
    if k == 0:
        return _point(Fraction(1))
    if k < 0:
        return _reciprocal(_integer_power(a, -k), infinite)

    def power(end: End, up: bool) -> End:
        return end**k if end not in (_INF, -_INF) else (_INF if end > 0 or k % 2 == 0 else -_INF)

    if k % 2:
        return _increasing(a, power)
    return _even(a, power)


def _mp_cbrt(a):
    return mpmath.sign(a) * mpmath.cbrt(abs(a))


def _mp_log(w):
    return mpmath.log(w) if w else -mpmath.inf


def _half_pi(up: bool) -> End:
    return _constant_end(lambda: mpmath.pi / 2)(up)


def _logarithm(inner: Bounds) -> Bounds:
    if not inner.positive:
        raise NoBounds("a logarithm of a quantity that may be 0 or negative")
    return _increasing(inner, _monotone(_mp_log, _fixed(-_INF), _fixed(_INF), {Fraction(1): Fraction(0)}))


def _sign(inner: Bounds) -> Bounds:
    if inner.positive:
        return _point(Fraction(1))
    if inner.negative:
        return _point(Fraction(-1))
    return Bounds(Fraction(-1), Fraction(1))


def _odd_onto_reals(mp_function) -> Callable[[Bounds], Bounds]:
    """An odd strictly increasing function from ℝ onto ℝ (sinh, arcsinh, the real cube root)."""
    end = _monotone(mp_function, _fixed(-_INF), _fixed(_INF), {Fraction(0): Fraction(0)})
    return lambda inner: _increasing(inner, end)


#: Bounds of a function of one argument from the bounds of its argument.
_FUNCTIONS: dict[type, Callable[[Bounds], Bounds]] = {
    sympy.exp: lambda inner: _increasing(inner, _monotone(
        mpmath.exp, _fixed(Fraction(0)), _fixed(_INF), {Fraction(0): Fraction(1)})),
    sympy.log: _logarithm,
    sympy.tanh: lambda inner: _increasing(inner, _monotone(
        mpmath.tanh, _fixed(Fraction(-1)), _fixed(Fraction(1)), {Fraction(0): Fraction(0)})),
    sympy.sinh: _odd_onto_reals(mpmath.sinh),
    sympy.asinh: _odd_onto_reals(mpmath.asinh),
    real_cbrt: _odd_onto_reals(_mp_cbrt),
    sympy.atan: lambda inner: _increasing(inner, _monotone(
        mpmath.atan, lambda up: -_half_pi(not up), _half_pi, {Fraction(0): Fraction(0)})),
    sympy.cosh: lambda inner: _even(inner, _monotone(
        mpmath.cosh, _fixed(_INF), _fixed(_INF), {Fraction(0): Fraction(1)})),
    sympy.Abs: lambda inner: _even(inner, lambda end, up: end),
    sympy.sin: lambda inner: Bounds(Fraction(-1), Fraction(1)),
    sympy.cos: lambda inner: Bounds(Fraction(-1), Fraction(1)),
    sympy.sign: _sign,
    sympy.Heaviside: lambda inner: Bounds(Fraction(0), Fraction(1)),
}


def _constant(e: sympy.Expr) -> Bounds:
    """A constant without a variable: an exact point for a short rational, else outward-rounded mpmath ends."""
    if e.is_Rational and max(abs(int(e.p)).bit_length(), int(e.q).bit_length()) <= _MAGNITUDE_BITS:
        return _point(Fraction(int(e.p), int(e.q)))
    if e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I):
        raise NoBounds("an undefined constant")
    try:
        value = mp_value(e, digits=_BOUND_DIGITS)
    except (MpUndefined, MpOutOfRange) as error:
        raise NoBounds(str(error)) from None
    with mpmath.workdps(_BOUND_DIGITS):
        return Bounds(_outward(value, False), _outward(value, True))


class _Interval:
    """real_bounds' walk over one expression, each subexpression bounded once."""

    def __init__(self, derivative: bool) -> None:
        self.derivative = derivative
        self.memo: dict[sympy.Basic, Bounds] = {}

    def of(self, e: sympy.Expr) -> Bounds:
        if e not in self.memo:
            self.memo[e] = self._compute(e)
        return self.memo[e]

    def _compute(self, e: sympy.Expr) -> Bounds:
        if not e.free_symbols:
            return _constant(e)
        if e.is_Symbol:
            if not e.is_extended_real:
                raise NoBounds(f"{e} is not known to be real")
            return Bounds(-_INF, _INF, True, True)
        if e.is_Add or e.is_Mul:
            combine = _add if e.is_Add else _multiply
            result = self.of(e.args[0])
            for arg in e.args[1:]:
                result = combine(result, self.of(arg))
            return result
        if e.is_Pow:
            return self._power(*e.args)
        function = _FUNCTIONS.get(type(e))
        if function is None:
            raise NoBounds(f"no bounds for {type(e).__name__}")
        return function(self.of(e.args[0]))

    def _power(self, base: sympy.Expr, exponent: sympy.Expr) -> Bounds:
        if exponent.is_Integer:
            return _integer_power(self.of(base), int(exponent), self.derivative)
        if not base.free_symbols and base.is_positive:  # b**w = exp(w·log b)
            return self.of(sympy.exp(exponent * sympy.log(base), evaluate=False))
        if exponent in (sympy.S.Half, -sympy.S.Half):
            inner = self.of(base)
            if inner.lo < 0:
                raise NoBounds("a square root of a quantity that may be negative")
            root = _increasing(inner, _monotone(mpmath.sqrt, _fixed(-_INF), _fixed(_INF), {Fraction(0): Fraction(0)}))
            return root if exponent > 0 else _reciprocal(root, self.derivative)
        raise NoBounds(f"the power {exponent}")


def real_bounds(expr: sympy.Expr, derivative: bool = False) -> Bounds:
    """Bounds of a real expression over all real values of its variables, by interval arithmetic.

    Sound, not tight: every occurrence of a variable ranges independently (tanh(z)² ∈ [0, 1), so
    2 − tanh(z)² ∈ (1, 2]). Raises NoBounds where an operation may be undefined or is not known.
    With ``derivative``, a reciprocal of a quantity of one sign that reaches 0 is allowed and is ±∞ there
    (d/dz cbrt(z) = 1/(3·cbrt(z)²) is +∞ at 0): the bounds then hold wherever the derivative exists.
    """
    return _Interval(derivative).of(to_sympy(expr))


def nice_end(end: End) -> sympy.Rational | None:
    """A bound's end as a short exact number for prose, or None when it is long (an outward-rounded value)."""
    if not isinstance(end, Fraction) or end.denominator > 1000 or abs(end.numerator) > 10**6:
        return None
    return sympy.Rational(end.numerator, end.denominator)
