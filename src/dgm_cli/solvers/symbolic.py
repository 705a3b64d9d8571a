"""SymPy building blocks shared by the solvers.

- :class:`real_cbrt`, the real cube root (SymPy's ``cbrt`` is the principal,
  complex one: ``cbrt(-8)`` is ``1 + sqrt(3)*I``, not ``-2``);
- :func:`vectorized`, SymPy expressions turned once into NumPy functions;
- :func:`time_limit` and :class:`Budget`, a deadline around SymPy's work (SIGALRM), with a fallback
  when it runs out, so that no simplification or substitution runs without bound;
- :func:`mp_value`, an expression evaluated with mpmath at a fixed precision (cost bounded whatever
  the size of the numbers: e^(10^300) is one mpmath number), and :func:`log_abs`, log|·| in log space;
- :class:`Label` and :func:`equation`, the left side of a displayed formula and the formula itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import sympy

from dgm_cli.sympy_functions import OutOfTime, real_cbrt, time_limit, to_sympy


def _dirac_delta(u):
    """DiracDelta in float64: 0 away from its point, +inf at it (a Jacobian entry of sign() or a step)."""
    return np.where(np.asarray(u) == 0, np.inf, 0.0)


#: The names lambdify needs beyond NumPy's own; np.cbrt is the real cube root.
OWN_FUNCTIONS = {"real_cbrt": np.cbrt, "DiracDelta": _dirac_delta}


def _numpy_printer():
    """The printer lambdify uses for ``modules="numpy"``, given directly.

    With ``modules="numpy"`` lambdify runs ``from numpy import *`` in each new process, which loads
    numpy.testing, numpy.f2py and numpy.ma (about 30 ms); the printer instead imports each function it prints
    (``from numpy import exp``), and the same code is generated.
    """
    from sympy.printing.numpy import NumPyPrinter

    return NumPyPrinter(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {name: name for name in OWN_FUNCTIONS},
        }
    )


def _small_powers_as_products(expr: sympy.Expr) -> sympy.Expr:
    """w**2, w**3, w**4 as w*w*…: NumPy's power() is a slow general loop for any exponent but 2."""
    return expr.replace(
        lambda e: e.is_Pow and e.exp.is_Integer and 3 <= e.exp <= 4,
        lambda e: sympy.Mul(*([e.base] * int(e.exp)), evaluate=False),
    )


def _is_plain_number(expr: sympy.Basic) -> bool:
    """A number NumPy reads as it is printed: a small integer or fraction, a float, π or e."""
    if expr.is_Integer:
        return abs(int(expr)) < 2**53
    if expr.is_Rational:
        return abs(int(expr.p)) < 2**53 and int(expr.q) < 2**53
    return expr.is_Float or expr in (sympy.pi, sympy.E)


def numeric_constants(exprs: Sequence[sympy.Basic]) -> list[sympy.Basic]:
    """The largest subexpressions without a variable that are not plain numbers: exp(10**9), log(10**300), 10**400."""
    found: dict[sympy.Basic, None] = {}

    def walk(expr: sympy.Basic) -> None:
        if isinstance(expr, sympy.Expr) and not expr.free_symbols:
            if not _is_plain_number(expr):
                found[expr] = None
            return
        for arg in expr.args:
            walk(arg)

    for expr in exprs:
        walk(to_sympy(expr))
    return list(found)


def vectorized(
    exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol], saturate: bool = False
) -> Callable[..., np.ndarray]:
    """Turn expressions into one NumPy function: columns in, an array of shape (len(exprs), n) out.

    All expressions are lambdified together, once, with common subexpressions
    computed once; a constant component is broadcast to the shape of the inputs.
    Constants like exp(10**9) or 10**400 are evaluated once at bounded precision and enter as float64,
    never as Python integers NumPy cannot hold. A constant outside float64's normal range enters as NaN,
    so that every value it touches is visibly not a float64 result (callers then evaluate at bounded
    precision), or, with ``saturate``, as inf or 0 the way float64 arithmetic would round it.
    ``evaluate(*columns, errors="raise")`` raises FloatingPointError on any overflow, underflow or
    invalid operation instead of returning inf, 0 or NaN.
    """
    exprs = [to_sympy(e) for e in exprs]
    constants = numeric_constants(exprs)
    names = [sympy.Dummy(f"c{i}") for i in range(len(constants))]
    values = [_float_constant(c, saturate) for c in constants]
    # Replacing leaves is bookkeeping, not algebra: without evaluate(False), SymPy re-derives the assumptions of
    # every enclosing function, which took seconds for a map nested 18 functions deep.
    with sympy.evaluate(False):
        replaced = [_small_powers_as_products(e.xreplace(dict(zip(constants, names)))) for e in exprs]
    function = sympy.lambdify(
        [*symbols, *names], replaced, modules=[OWN_FUNCTIONS, {"numpy": np}], printer=_numpy_printer(), cse=True
    )

    def evaluate(*columns: np.ndarray, errors: Literal["ignore", "raise"] = "ignore") -> np.ndarray:
        arrays = [np.asarray(c, dtype=np.float64) for c in columns]
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        with np.errstate(all=errors):
            outputs = function(*arrays, *[np.float64(v) for v in values])
            return np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in outputs])

    return evaluate


def _float_constant(expr: sympy.Basic, saturate: bool) -> float:
    """A constant as float64: the nearest float; NaN when it has no real value, or (unless ``saturate``)
    when float64 cannot hold it as a normal number."""
    try:
        value = mp_value(expr)
    except (MpUndefined, MpOutOfRange):
        return float("nan")
    number = mp_to_float(value)
    if not saturate and value and not (np.finfo(np.float64).tiny <= abs(number) < np.inf):
        return float("nan")
    return number


# --------------------------------------------------------------------------- a time budget for SymPy


class Budget:
    """Seconds of symbolic work allowed in total; each attempt draws on what is left.

    ``attempt(work, fallback)`` runs ``work()`` and returns its value, or ``fallback()`` when the budget
    (or the attempt's own ``limit``) runs out first, or when SymPy fails on the way (some of its algorithms
    raise NotImplementedError, RecursionError or ValueError on hostile input).
    """

    def __init__(self, seconds: float) -> None:
        self.left = float(seconds)
        self.ran_out = False  # some attempt was cut short by time (a step may say so)

    def attempt(self, work: Callable[[], object], fallback: Callable[[], object] | None = None,
                limit: float | None = None):
        allowed = self.left if limit is None else min(limit, self.left)
        started = time.monotonic()
        try:
            with time_limit(allowed):
                return work()
        except OutOfTime:
            self.ran_out = True
        except (Exception, RecursionError):  # noqa: BLE001 - SymPy's failures on hostile input take many forms
            pass
        finally:
            self.left -= time.monotonic() - started
        return None if fallback is None else fallback()


# --------------------------------------------------------------------------- bounded-precision evaluation

MP_DIGITS = 50  # significant digits of every bounded-precision evaluation (mpmath)
_MAG_LIMIT = 2**14  # |argument| below 2^16384: mpmath evaluates exp, sin, … exactly rounded at bounded cost
_EXTREME_MAG = 2**24  # beyond 2^(2^24) even the exponent of e^a is out of reach


class MpUndefined(ValueError):
    """The expression has no real value at the point: the log of a negative number, 1/0, a complex root."""


class MpOutOfRange(ValueError):
    """The value cannot be resolved at bounded precision (the sine of a number with 20,000 digits)."""


def _mp_exp(a):
    import mpmath

    if mpmath.isinf(a):
        return mpmath.inf if a > 0 else mpmath.mpf(0)
    if not a:
        return mpmath.mpf(1)
    magnitude = int(mpmath.mag(a))
    if magnitude <= _MAG_LIMIT:
        return mpmath.exp(a)
    if magnitude > _EXTREME_MAG:
        raise MpOutOfRange("an exponent beyond 2^(2^24)")
    # e^a = 2^(a/log 2): a power of two whose logarithm is a to the working precision (only the
    # mantissa is lost, and no float64 can hold such a number anyway).
    return mpmath.ldexp(1, int(mpmath.floor(a / mpmath.ln2)))


def _mp_log(a):
    import mpmath

    if a < 0:
        raise MpUndefined("the logarithm of a negative number")
    return mpmath.log(a) if a else -mpmath.inf


def _mp_power(base, exponent):
    import mpmath

    if mpmath.isint(exponent) and not mpmath.isinf(exponent):
        if not base and exponent < 0:
            if int(exponent) % 2:
                raise MpUndefined("1/0 has no sign")
            return mpmath.inf  # 1/w² → +∞ from either side
        return mpmath.power(base, int(exponent))
    if base < 0:
        raise MpUndefined("a non-integer power of a negative number")
    if not base:
        # A non-integer power is real only for a base >= 0, so 0 is approached from above: w^(−a) → +∞.
        return mpmath.inf if exponent < 0 else mpmath.mpf(0)
    if mpmath.mag(exponent) + max(mpmath.mag(mpmath.log(base)), 0) > 64:
        return _mp_exp(exponent * mpmath.log(base))  # b**w = e^(w log b), with the guard on huge arguments
    return mpmath.power(base, exponent)


def _mp_periodic(function):
    def evaluate(a):
        import mpmath

        if mpmath.isinf(a) or (a and mpmath.mag(a) > _MAG_LIMIT):
            raise MpOutOfRange("a periodic function of a number too large to reduce")
        return function(a)

    return evaluate


def _mp_sinh(a):
    import mpmath

    if a and mpmath.mag(a) > 64:
        return mpmath.sign(a) * _mp_exp(abs(a)) / 2  # e^(-|a|) is below any working precision
    return mpmath.sinh(a)


def _mp_cosh(a):
    import mpmath

    if a and mpmath.mag(a) > 64:
        return _mp_exp(abs(a)) / 2
    return mpmath.cosh(a)


def _mp_tanh(a):
    import mpmath

    if a and mpmath.mag(a) > 14:  # |a| > 16384: 1 − |tanh a| < e^(−32768), beyond any working precision
        return mpmath.sign(a) * mpmath.mpf(1)
    return mpmath.tanh(a)


def _mp_atanh(a):
    import mpmath

    if abs(a) > 1:
        raise MpUndefined("atanh outside [-1, 1]")
    if abs(a) == 1:
        return mpmath.sign(a) * mpmath.inf
    return mpmath.atanh(a)


def _mp_acosh(a):
    import mpmath

    if a < 1:
        raise MpUndefined("acosh below 1")
    return mpmath.acosh(a)


def _mp_cbrt(a):
    import mpmath

    return mpmath.sign(a) * mpmath.cbrt(abs(a))


def _mp_functions() -> dict:
    import mpmath

    return {
        sympy.exp: _mp_exp,
        sympy.log: _mp_log,
        sympy.sin: _mp_periodic(mpmath.sin),
        sympy.cos: _mp_periodic(mpmath.cos),
        sympy.tan: _mp_periodic(mpmath.tan),
        sympy.sinh: _mp_sinh,
        sympy.cosh: _mp_cosh,
        sympy.tanh: _mp_tanh,
        sympy.asinh: mpmath.asinh,
        sympy.acosh: _mp_acosh,
        sympy.atanh: _mp_atanh,
        sympy.atan: mpmath.atan,
        sympy.Abs: abs,
        sympy.sign: lambda a: mpmath.sign(a) * mpmath.mpf(1),
        real_cbrt: _mp_cbrt,
        sympy.DiracDelta: lambda a: mpmath.inf if not a else mpmath.mpf(0),
        sympy.Heaviside: lambda a, *_: mpmath.mpf(1) if a > 0 else mpmath.mpf(0) if a < 0 else mpmath.mpf(0.5),
    }


_RELATIONS = {
    sympy.StrictGreaterThan: lambda a, b: a > b,
    sympy.GreaterThan: lambda a, b: a >= b,
    sympy.StrictLessThan: lambda a, b: a < b,
    sympy.LessThan: lambda a, b: a <= b,
    sympy.Eq: lambda a, b: a == b,
    sympy.Ne: lambda a, b: a != b,
}


def _mp_rational(p: int, q: int):
    """p/q at the working precision, from only the leading bits of p and q (2^-59049 has 17,776 digits,
    which mpmath would otherwise normalise digit by digit)."""
    import mpmath

    keep = 2 * mpmath.mp.prec + 64
    shift_p = max(0, abs(p).bit_length() - keep)
    shift_q = max(0, q.bit_length() - keep)
    if not shift_p and not shift_q:
        return mpmath.mpf(p) / q
    magnitude = (abs(p) >> shift_p) if shift_p else abs(p)
    value = mpmath.ldexp(mpmath.mpf(magnitude) / (q >> shift_q), shift_p - shift_q)
    return -value if p < 0 else value


_LOGIC = (sympy.Piecewise, sympy.And, sympy.Or, sympy.Not, sympy.Max, sympy.Min)


class _MpEvaluation:
    """One expression evaluated at one point in mpmath, each subexpression once (see :func:`mp_value`)."""

    def __init__(self, values: dict) -> None:
        self.values = values
        self.functions = _mp_functions()
        self.memo: dict = {}

    def of(self, e):
        if e not in self.memo:
            self.memo[e] = self._compute(e)
        return self.memo[e]

    def _compute(self, e):
        if e in self.values:
            return self._given(self.values[e])
        if not e.args:
            return self._atom(e)
        if e.is_Add or e.is_Mul or e.is_Pow:
            return self._arithmetic(e)
        if isinstance(e, _LOGIC) or type(e) in _RELATIONS:
            return self._logic(e)
        return self._function(e)

    def _given(self, v):
        import mpmath

        if isinstance(v, mpmath.mpf):
            return v
        return self.of(v) if isinstance(v, sympy.Basic) else mpmath.mpf(v)

    def _atom(self, e):
        """A number, a named constant, or a symbol without a value."""
        import mpmath

        if e.is_Rational:
            return _mp_rational(int(e.p), int(e.q))
        if e.is_Float:
            return mpmath.mpf(e._mpf_)
        if e is sympy.S.Infinity or e is sympy.S.NegativeInfinity:
            return mpmath.inf if e is sympy.S.Infinity else -mpmath.inf
        if e.is_NumberSymbol:
            return mpmath.mpf(e._as_mpf_val(mpmath.mp.prec + 10))
        if e is sympy.I or e is sympy.zoo or e is sympy.nan:
            raise MpUndefined("not a real number")
        if e.is_Symbol:
            raise MpUndefined(f"no value for {e}")
        if e is sympy.true or e is sympy.false:
            return bool(e)
        raise MpOutOfRange(f"no bounded-precision rule for {type(e).__name__}")

    def _arithmetic(self, e):
        import mpmath

        if e.is_Add:
            return mpmath.fsum([self.of(a) for a in e.args])
        if e.is_Mul:
            factors = [self.of(a) for a in e.args]
            if any(mpmath.isinf(f) for f in factors) and any(not f for f in factors):
                raise MpUndefined("0 times infinity")
            return mpmath.fprod(factors)
        return _mp_power(self.of(e.base), self.of(e.exp))

    def _logic(self, e):
        """Piecewise, relations and their combinations (Python booleans), Max and Min."""
        if isinstance(e, sympy.Piecewise):
            for piece, condition in e.args:
                if self.of(condition):
                    return self.of(piece)
            raise MpUndefined("no piece of a Piecewise applies")
        if type(e) in _RELATIONS:
            return bool(_RELATIONS[type(e)](self.of(e.lhs), self.of(e.rhs)))
        if isinstance(e, sympy.And):
            return all(self.of(a) for a in e.args)
        if isinstance(e, sympy.Or):
            return any(self.of(a) for a in e.args)
        if isinstance(e, sympy.Not):
            return not self.of(e.args[0])
        items = [self.of(a) for a in e.args]
        return max(items) if isinstance(e, sympy.Max) else min(items)

    def _function(self, e):
        import mpmath

        function = self.functions.get(type(e))
        if function is not None:
            return function(*[self.of(a) for a in e.args])
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            # Another elementary function (from SymPy's simplifications): SymPy evaluates it at bounded precision.
            argument = self.of(e.args[0])
            if mpmath.isinf(argument) or (argument and mpmath.mag(argument) > _MAG_LIMIT):
                raise MpOutOfRange(f"{type(e).__name__} of a number too large")
            value = type(e)(sympy.Float(argument, mpmath.mp.dps)).evalf(mpmath.mp.dps)
            if not value.is_real:
                raise MpUndefined(f"{type(e).__name__} is not real here")
            return mpmath.mpf(value._mpf_) if value.is_Float else self.of(value)
        raise MpOutOfRange(f"no bounded-precision rule for {type(e).__name__}")


def mp_value(expr: sympy.Basic, values: dict | None = None, digits: int = MP_DIGITS):
    """expr at the point ``values`` (symbol → number), in mpmath at ``digits`` significant digits.

    A fixed precision: the cost does not grow with the size of the numbers (e^(10^300) is one
    mpmath number; e^a for |a| beyond 2^16384 becomes the power of two with the same logarithm).
    Relations and Piecewise conditions give Python booleans. Raises MpUndefined where the
    expression has no real value and MpOutOfRange where bounded precision cannot resolve it.
    """
    import mpmath

    with mpmath.workdps(digits):
        try:
            result = _MpEvaluation({} if values is None else values).of(to_sympy(expr))
        except ZeroDivisionError:
            raise MpUndefined("division by zero") from None
        except (OverflowError, MemoryError, RecursionError) as error:
            raise MpOutOfRange(f"beyond bounded precision ({type(error).__name__})") from None
        if isinstance(result, mpmath.mpf) and mpmath.isnan(result):
            raise MpUndefined("an undefined operation (infinity minus infinity)")
        return +result if isinstance(result, mpmath.mpf) else result


def mp_to_float(value) -> float:
    """The nearest float64: ±inf beyond its range, ±0.0 below it."""
    import mpmath

    if isinstance(value, (bool, int, float)):
        return float(value)
    if mpmath.isnan(value):
        return float("nan")
    if mpmath.isinf(value) or (value and mpmath.mag(value) > 1100):
        return float("inf") if value > 0 else float("-inf")
    if value and mpmath.mag(value) < -1100:
        return 0.0 if value > 0 else -0.0
    return float(value)


# --------------------------------------------------------------------------- log space and simplification guards


def log_abs(expr: sympy.Expr) -> sympy.Expr:
    """log|expr| with products as sums of logarithms and e^a as a: no overflow on the way to the log.

    log|3·x3²| = log 3 + 2·log|x3|, finite for x3 = 1e-300 where 3·x3² underflows to 0.
    """
    if expr.is_Mul:
        return sympy.Add(*[log_abs(f) for f in expr.args])
    if expr.is_Pow and expr.exp.is_number and expr.exp.is_real:
        return expr.exp * log_abs(expr.base)
    if expr.is_Pow and expr.base.is_number and expr.base.is_positive:
        return expr.exp * sympy.log(expr.base)
    if isinstance(expr, sympy.exp) and expr.args[0].is_extended_real:
        return expr.args[0]
    if isinstance(expr, sympy.Abs):
        return log_abs(expr.args[0])
    if isinstance(expr, real_cbrt):
        return log_abs(expr.args[0]) / 3
    return sympy.log(sympy.Abs(expr))


def freeze_constants(expr: sympy.Expr) -> tuple[sympy.Expr, dict]:
    """Replace large constants like exp(10**9) by placeholder symbols before SymPy's rewriting.

    SymPy's polynomial code reads exp(-10**9) as exp(-1)**(10**9) and builds a polynomial of that
    degree (gigabytes). Returns the frozen expression and the map back.
    """
    constants = [c for c in numeric_constants([expr]) if any(abs(a) > 64 for a in c.atoms(sympy.Rational) if a.q == 1)
                 or c.has(sympy.Float)]
    back = {}
    replacements = {}
    for i, constant in enumerate(constants):
        try:
            sign = mp_value(constant)
            assumptions = {"positive": True} if sign > 0 else {"negative": True} if sign < 0 else {"zero": True}
        except (MpUndefined, MpOutOfRange, TypeError):
            assumptions = {}
        placeholder = sympy.Dummy(f"k{i}", real=True, **assumptions)
        replacements[constant] = placeholder
        back[placeholder] = constant
    return (expr.xreplace(replacements) if replacements else expr), back


def with_frozen_constants(function: Callable[[sympy.Expr], sympy.Expr], expr: sympy.Expr) -> sympy.Expr:
    """function(expr) with large constants held as symbols (see :func:`freeze_constants`)."""
    frozen, back = freeze_constants(to_sympy(expr))
    result = function(frozen)
    return result.xreplace(back) if back else result


def cancel_inverse_pairs(expr: sympy.Expr) -> sympy.Expr:
    """asinh(sinh(u)) = u and atanh(tanh(u)) = u for real u (SymPy leaves them, not knowing u is real)."""

    def cancel(e):
        inner = e.args[0]
        if isinstance(e, sympy.asinh) and isinstance(inner, sympy.sinh) and inner.args[0].is_extended_real:
            return inner.args[0]
        if isinstance(e, sympy.atanh) and isinstance(inner, sympy.tanh) and inner.args[0].is_extended_real:
            return inner.args[0]
        return e

    return expr.replace(lambda e: isinstance(e, (sympy.asinh, sympy.atanh)), cancel)


# --------------------------------------------------------------------------- display


class Label(sympy.Symbol):
    """A name for the left side of a displayed equation: plain text on a terminal, its own LaTeX in a write-up."""

    def __new__(cls, text: str, latex: str):
        obj = super().__new__(cls, text)
        obj.latex_form = latex
        return obj

    def _latex(self, printer):
        return self.latex_form


def equation(lhs: sympy.Basic, rhs: sympy.Basic) -> sympy.Eq:
    """lhs = rhs for display, never evaluated to True or False."""
    return sympy.Eq(lhs, rhs, evaluate=False)
