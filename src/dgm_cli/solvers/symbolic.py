"""SymPy building blocks shared by the solvers.

- :class:`real_cbrt`, the real cube root (SymPy's ``cbrt`` is the principal,
  complex one: ``cbrt(-8)`` is ``1 + sqrt(3)*I``, not ``-2``);
- :func:`vectorized`, SymPy expressions turned once into NumPy functions;
- :func:`time_limit` and :class:`Budget`, a deadline around SymPy's work (SIGALRM), with a fallback
  when it runs out, so that no simplification or substitution runs without bound;
- :func:`mp_value`, an expression evaluated with mpmath at a fixed precision (cost bounded whatever
  the size of the numbers: e^(10^300) is one mpmath number), and :func:`log_abs`, log|·| in log space;
- :func:`invert_triangular`, the closed-form inverse of a map whose components
  can be solved one variable at a time, with the reasons each step is a bijection.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.derivation import Math, Prose, m, prose


class real_cbrt(sympy.Function):  # noqa: N801 - the name lambdify looks up in NUMPY_MODULES
    """The real cube root: real_cbrt(w)³ = w for every real w, and real_cbrt(−8) = −2."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg is sympy.S.Infinity or arg is sympy.S.NegativeInfinity:
            return arg  # the cube root of ±∞ (SymPy's limits substitute it)
        if arg.is_Rational:
            return -sympy.root(-arg, 3) if arg.is_negative else sympy.root(arg, 3)
        if arg.is_Pow and arg.exp == 3 and arg.base.is_extended_real:
            return arg.base
        if arg.could_extract_minus_sign():
            return -cls(-arg)  # an odd function
        return None

    def fdiff(self, argindex=1):
        # d/dw w^(1/3) = 1 / (3 w^(2/3)), infinite at w = 0
        return 1 / (3 * real_cbrt(self.args[0]) ** 2)

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        return self.args[0].is_positive

    def _eval_is_negative(self):
        return self.args[0].is_negative

    def _eval_is_zero(self):
        return self.args[0].is_zero

    def _eval_power(self, exponent):
        if exponent == 3:
            return self.args[0]
        return None

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_Number:
            return None
        magnitude = sympy.Abs(value) ** sympy.Rational(1, 3)
        return (-magnitude if value.is_negative else magnitude)._eval_evalf(prec)

    def _sympystr(self, printer):
        return f"cbrt({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        body = rf"\sqrt[3]{{{printer._print(self.args[0])}}}"
        return rf"\left({body}\right)^{{{exp}}}" if exp else body

    def _pretty(self, printer):
        return printer._print_nth_root(self.args[0], sympy.Integer(3))



def to_sympy(value):
    """A number or an expression as a SymPy object: Fraction, int and float exactly as they are. Never text:
    ``strict=True`` refuses a string, so no user text can reach SymPy's parser this way."""
    return sympy.sympify(value, strict=True)  # the one conversion; strict, so never from text

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
    replaced = [e.xreplace(dict(zip(constants, names))) for e in exprs]
    function = sympy.lambdify(
        [*symbols, *names], [_small_powers_as_products(e) for e in replaced], modules=[OWN_FUNCTIONS, {"numpy": np}], printer=_numpy_printer(),
        cse=True,
    )

    def evaluate(*columns: np.ndarray, errors: str = "ignore") -> np.ndarray:
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


class OutOfTime(BaseException):
    """Raised inside a block run under :func:`time_limit` when its time is up.

    A BaseException, like KeyboardInterrupt, so that SymPy's own ``except Exception`` clauses cannot swallow it.
    """


_deadlines: list[float] = []  # the active limits, innermost last (time.monotonic() values)
_saved_alarm: list = []  # the SIGALRM handler and timer found when the outermost limit started
_TICK = 0.05  # after a deadline, the alarm repeats: an OutOfTime caught by accident is raised again


def _on_alarm(signum, frame) -> None:
    if _deadlines and time.monotonic() >= min(_deadlines):
        raise OutOfTime()


def _arm() -> None:
    remaining = max(min(_deadlines) - time.monotonic(), 1e-3)
    signal.setitimer(signal.ITIMER_REAL, remaining, _TICK)


def _can_interrupt() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float):
    """Run the block for at most ``seconds``: past that, OutOfTime is raised inside it (SIGALRM).

    Limits nest (the earliest deadline wins). Outside the main thread, or without SIGALRM, the block runs
    unlimited. The caller catches OutOfTime and falls back to a cheaper route.
    """
    if seconds <= 0:
        raise OutOfTime()
    if not _can_interrupt():
        yield
        return
    outermost = not _deadlines
    if outermost:
        _saved_alarm[:] = [signal.signal(signal.SIGALRM, _on_alarm), signal.getitimer(signal.ITIMER_REAL), time.monotonic()]
    deadline = time.monotonic() + seconds
    try:
        _deadlines.append(deadline)
        _arm()
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            if deadline in _deadlines:
                _deadlines.remove(deadline)
            if _deadlines:
                _arm()
            else:
                handler, (delay, interval), started = _saved_alarm
                signal.signal(signal.SIGALRM, handler)
                if delay > 0:  # someone else's alarm (a test runner's timeout): give back what is left of it
                    signal.setitimer(signal.ITIMER_REAL, max(delay - (time.monotonic() - started), 1e-3), interval)


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


def mp_value(expr: sympy.Basic, values: dict | None = None, digits: int = MP_DIGITS):
    """expr at the point ``values`` (symbol → number), in mpmath at ``digits`` significant digits.

    A fixed precision: the cost does not grow with the size of the numbers (e^(10^300) is one
    mpmath number; e^a for |a| beyond 2^16384 becomes the power of two with the same logarithm).
    Relations and Piecewise conditions give Python booleans. Raises MpUndefined where the
    expression has no real value and MpOutOfRange where bounded precision cannot resolve it.
    """
    import mpmath

    values = {} if values is None else values
    functions = _mp_functions()
    memo: dict = {}

    def ev(e):
        if e in memo:
            return memo[e]
        result = compute(e)
        memo[e] = result
        return result

    def compute(e):
        if e in values:
            v = values[e]
            return v if isinstance(v, mpmath.mpf) else mpmath.mpf(v) if not isinstance(v, sympy.Basic) else ev(v)
        if e.is_Rational:
            return _mp_rational(int(e.p), int(e.q))
        if e.is_Float:
            return mpmath.mpf(e._mpf_)
        if e is sympy.S.Infinity:
            return mpmath.inf
        if e is sympy.S.NegativeInfinity:
            return -mpmath.inf
        if e.is_NumberSymbol:
            return mpmath.mpf(e._as_mpf_val(mpmath.mp.prec + 10))
        if e is sympy.I or e is sympy.zoo or e is sympy.nan:
            raise MpUndefined("not a real number")
        if e.is_Symbol:
            raise MpUndefined(f"no value for {e}")
        if e is sympy.true or e is sympy.false:
            return bool(e)
        if e.is_Add:
            terms = [ev(a) for a in e.args]
            return mpmath.fsum(terms)
        if e.is_Mul:
            factors = [ev(a) for a in e.args]
            if any(mpmath.isinf(f) for f in factors) and any(not f for f in factors):
                raise MpUndefined("0 times infinity")
            return mpmath.fprod(factors)
        if e.is_Pow:
            return _mp_power(ev(e.base), ev(e.exp))
        if isinstance(e, sympy.Piecewise):
            for piece, condition in e.args:
                if ev(condition):
                    return ev(piece)
            raise MpUndefined("no piece of a Piecewise applies")
        if type(e) in _RELATIONS:
            return bool(_RELATIONS[type(e)](ev(e.lhs), ev(e.rhs)))
        if isinstance(e, sympy.And):
            return all(ev(a) for a in e.args)
        if isinstance(e, sympy.Or):
            return any(ev(a) for a in e.args)
        if isinstance(e, sympy.Not):
            return not ev(e.args[0])
        if isinstance(e, (sympy.Max, sympy.Min)):
            items = [ev(a) for a in e.args]
            return max(items) if isinstance(e, sympy.Max) else min(items)
        function = functions.get(type(e))
        if function is not None:
            return function(*[ev(a) for a in e.args])
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            # Another elementary function (from SymPy's simplifications): SymPy evaluates it at bounded precision.
            argument = ev(e.args[0])
            if mpmath.isinf(argument) or (argument and mpmath.mag(argument) > _MAG_LIMIT):
                raise MpOutOfRange(f"{type(e).__name__} of a number too large")
            value = type(e)(sympy.Float(argument, mpmath.mp.dps)).evalf(mpmath.mp.dps)
            if not value.is_real:
                raise MpUndefined(f"{type(e).__name__} is not real here")
            return mpmath.mpf(value._mpf_) if value.is_Float else ev(value)
        raise MpOutOfRange(f"no bounded-precision rule for {type(e).__name__}")

    with mpmath.workdps(digits):
        try:
            result = ev(to_sympy(expr))
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


# --------------------------------------------------------------------------- inversion


# Inline mathematics for the layers' reasons (prose pieces: words, Math and SymPy expressions).
REALS = m(r"\mathbb{R}", "ℝ")
POSITIVE_HALF_LINE = m(r"(0, \infty)", "(0, ∞)")
NEGATIVE_HALF_LINE = m(r"(-\infty, 0)", "(−∞, 0)")
CLOSED_HALF_LINE = m(r"[0, \infty)", "[0, ∞)")
NONZERO_REALS = m(r"\mathbb{R} \setminus \{0\}", "ℝ∖{0}")
OPEN_UNIT_INTERVAL = m(r"(-1, 1)", "(−1, 1)")
_W = sympy.Symbol("w", real=True)  # the argument of a layer, in its reason


def _as_text(reason: Prose) -> str:
    """A reason as one line of text, for the exception's own message (no renderer involved)."""
    return "".join(
        piece if isinstance(piece, str) else piece.text if isinstance(piece, Math) else sympy.sstr(piece)
        for piece in prose(reason)
    )


class NotInvertible(Exception):
    """The peeling inverter could not isolate a variable; ``reason`` (prose) says why.

    When a layer is not injective, ``not_injective`` is True and ``inner`` with
    ``values`` name two values of the layer's argument that give the same image
    (the start of a witness: two points z with f(z) equal).
    """

    def __init__(self, reason: Prose, not_injective: bool = False, inner=None, values=None) -> None:
        reason = prose(reason)
        super().__init__(_as_text(reason))
        self.reason = reason
        self.not_injective = not_injective
        self.inner = inner
        self.values = values


@dataclass(frozen=True)
class InverseStep:
    """One solved component: ``variable = solution`` from ``target = component``, and why it is a bijection.

    Each reason is prose (a tuple of words, Math and SymPy pieces).
    """

    variable: sympy.Symbol
    target: sympy.Symbol
    component: sympy.Expr
    solution: sympy.Expr
    reasons: tuple[Prose, ...]
    image_conditions: tuple[sympy.Basic, ...]  # conditions on the target for a solution to exist
    domain_conditions: tuple[sympy.Basic, ...] = ()  # conditions on z for the component to be defined


# Layers that are not injective: the function, why, and two arguments with the same image.
_NOT_INJECTIVE = {
    sympy.sin: (
        (m(r"\sin", "sin"), " is periodic, so not injective: ", m(r"\sin 0 = \sin \pi", "sin(0) = sin(π)")),
        (sympy.Integer(0), sympy.pi),
    ),
    sympy.cos: (
        (m(r"\cos", "cos"), " is even and periodic, so not injective: ", m(r"\cos 1 = \cos(-1)", "cos(1) = cos(−1)")),
        (sympy.Integer(1), sympy.Integer(-1)),
    ),
    sympy.Abs: (
        ("the absolute value is not injective: ", m(r"\lvert 1 \rvert = \lvert -1 \rvert", "|1| = |−1|")),
        (sympy.Integer(1), sympy.Integer(-1)),
    ),
    sympy.sign: (
        (
            m(r"\operatorname{sign}", "sign"), " takes only the values ", m(r"-1, 0, 1", "−1, 0, 1"),
            ", so it is not injective: ", m(r"\operatorname{sign}(1) = \operatorname{sign}(2)", "sign(1) = sign(2)"),
        ),
        (sympy.Integer(1), sympy.Integer(2)),
    ),
}


def _solve_layer(
    expr: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr, reasons: list[Prose], conditions: list, domain: list | None = None
):
    """Solve expr(var) = rhs for var by peeling one bijective layer at a time.

    ``conditions`` collects conditions on rhs (the image), ``domain`` conditions
    on the argument for the layer to be defined (log needs a positive argument).
    """
    domain = [] if domain is None else domain
    while expr != var:
        if not expr.has(var):
            raise NotInvertible((expr, " does not depend on ", var))
        if expr.is_Add:
            rest, term = expr.as_independent(var, as_Add=True)
            if term.is_Add:
                raise NotInvertible((var, " appears in more than one term of ", expr))
            if rest != 0:
                reasons.append(("adding ", rest, " is a shift, a bijection of ", REALS))
            expr, rhs = term, rhs - rest
        elif expr.is_Mul:
            factor, term = expr.as_independent(var, as_Add=False)
            if term.is_Mul:
                raise NotInvertible((var, " appears in more than one factor of ", expr))
            if factor.is_positive or factor.is_negative:
                sign = "positive" if factor.is_positive else "negative"
                if factor.free_symbols:
                    reasons.append(
                        ("the factor ", factor, f" is {sign} for every real input, so scaling by it is a bijection of ", REALS)
                    )
                else:
                    reasons.append(("scaling by the nonzero constant ", factor, " is a bijection of ", REALS))
            else:
                raise NotInvertible(("the factor ", factor, " of ", expr, " is not shown to be nonzero"))
            expr, rhs = term, rhs / factor
        elif isinstance(expr, real_cbrt):
            reasons.append(("the real cube root is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.args[0], rhs**3
        elif expr.is_Pow and not expr.base.has(var):
            # A positive constant base to a variable power: b**w = exp(w·log b).
            base = expr.base
            if not (base.is_positive and base != 1):
                raise NotInvertible(("the base ", base, " of ", expr, " is not a positive number other than 1"))
            reasons.append(
                (sympy.Pow(base, _W, evaluate=False), " is strictly monotone from ", REALS, " onto ", POSITIVE_HALF_LINE)
            )
            conditions.append(sympy.StrictGreaterThan(rhs, 0))
            expr, rhs = expr.exp, sympy.log(rhs) / sympy.log(base)
        elif expr.is_Pow and expr.exp.is_Integer and expr.exp < 0:
            w = expr.base ** (-expr.exp)
            if w.is_positive or w.is_negative:
                side = POSITIVE_HALF_LINE if w.is_positive else NEGATIVE_HALF_LINE
                reasons.append(
                    (w, f" is {'positive' if w.is_positive else 'negative'}, and ", m(r"1/w", "1/w"),
                     " is strictly decreasing on ", side, " onto ", side)
                )
                conditions.append(sympy.StrictGreaterThan(rhs, 0) if w.is_positive else sympy.StrictLessThan(rhs, 0))
            else:
                reasons.append((m(r"1/w", "1/w"), " is a bijection of ", NONZERO_REALS, " onto itself"))
                domain.append(sympy.Ne(w, 0))
                conditions.append(sympy.Ne(rhs, 0))
            expr, rhs = w, 1 / rhs
        elif expr.is_Pow and expr.exp.is_Integer and expr.exp.is_odd and expr.exp > 0:
            reasons.append(("the power ", _W**expr.exp, " is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.base, real_cbrt(rhs) if expr.exp == 3 else sympy.real_root(rhs, expr.exp)
        elif expr.is_Pow and expr.exp.is_Integer and expr.exp.is_even and expr.exp > 0:
            k = expr.exp
            if expr.base.is_positive:
                reasons.append(
                    (expr.base, " is positive, and ", _W**k, " is strictly increasing on ", POSITIVE_HALF_LINE,
                     " onto ", POSITIVE_HALF_LINE)
                )
                conditions.append(sympy.StrictGreaterThan(rhs, 0))
                expr, rhs = expr.base, rhs ** sympy.Rational(1, k)
            else:
                raise NotInvertible(
                    ("the even power ", _W**k, " is not injective: ",
                     equation(sympy.Pow(-1, k, evaluate=False), sympy.Pow(1, k, evaluate=False))),
                    not_injective=True, inner=expr.base, values=(sympy.Integer(1), sympy.Integer(-1)),
                )
        elif expr.is_Pow and expr.exp == sympy.Rational(1, 2):
            reasons.append(
                (m(r"\sqrt{w}", "√w"), " is strictly increasing from ", CLOSED_HALF_LINE, " onto ", CLOSED_HALF_LINE)
            )
            domain.append(sympy.GreaterThan(expr.base, 0))
            conditions.append(sympy.GreaterThan(rhs, 0))
            expr, rhs = expr.base, rhs**2
        elif isinstance(expr, sympy.exp):
            reasons.append((m(r"\exp", "exp"), " is strictly increasing from ", REALS, " onto ", POSITIVE_HALF_LINE))
            conditions.append(sympy.StrictGreaterThan(rhs, 0))
            expr, rhs = expr.args[0], sympy.log(rhs)
        elif isinstance(expr, sympy.log):
            reasons.append((m(r"\log", "log"), " is strictly increasing from ", POSITIVE_HALF_LINE, " onto ", REALS))
            domain.append(sympy.StrictGreaterThan(expr.args[0], 0))
            expr, rhs = expr.args[0], sympy.exp(rhs)
        elif isinstance(expr, sympy.sinh):
            reasons.append((m(r"\sinh", "sinh"), " is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.args[0], sympy.asinh(rhs)
        elif isinstance(expr, sympy.asinh):
            reasons.append((m(r"\operatorname{arcsinh}", "arcsinh"), " is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.args[0], sympy.sinh(rhs)
        elif isinstance(expr, sympy.tanh):
            reasons.append((m(r"\tanh", "tanh"), " is strictly increasing from ", REALS, " onto ", OPEN_UNIT_INTERVAL))
            conditions.append(sympy.StrictLessThan(sympy.Abs(rhs), 1))
            expr, rhs = expr.args[0], sympy.atanh(rhs)
        elif type(expr) in _NOT_INJECTIVE:
            reason, values = _NOT_INJECTIVE[type(expr)]
            raise NotInvertible(reason, not_injective=True, inner=expr.args[0], values=values)
        else:
            raise NotInvertible(("no closed-form rule to invert ", expr, " in ", var))
    return rhs


def invert_triangular(
    components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol],
    budget: Budget | None = None,
) -> list[InverseStep]:
    """Solve x = f(z) for z when some order of the components involves one new variable at a time.

    The components are taken in the order in which each depends on exactly one
    variable not yet solved; the solutions found so far are substituted in. Tidying each
    solution (expand, gather factors) draws on ``budget``; past it, the solution stays as solved.
    """
    budget = budget or Budget(2.0)
    solved: dict[sympy.Symbol, sympy.Expr] = {}
    remaining = list(range(len(components)))
    steps: list[InverseStep] = []
    while remaining:
        for i in remaining:
            unknown = components[i].free_symbols & set(z) - set(solved)
            if len(unknown) == 1:
                break
        else:
            raise NotInvertible(("no component depends on exactly one unsolved variable: the map is not triangular",))
        (var,) = unknown
        reasons: list[Prose] = []
        conditions: list = []
        domain: list = []
        known = {v: s for v, s in solved.items()}
        # Solve with the earlier variables still symbolic (they are fixed when
        # this one is solved), then express the answer in x.
        solution = _solve_layer(components[i], var, x[i], reasons, conditions, domain).subs(known)
        solution = budget.attempt(
            lambda raw=solution: with_frozen_constants(lambda e: sympy.factor_terms(sympy.expand(e)), raw),
            lambda raw=solution: raw,
        )
        solved[var] = solution
        steps.append(
            InverseStep(
                var, x[i], components[i], solution, tuple(reasons), tuple(c.subs(known) for c in conditions), tuple(domain)
            )
        )
        remaining.remove(i)
    return steps


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


# --------------------------------------------------------------------------- bounds over the reals (interval arithmetic)

_INF = float("inf")
_BOUND_DIGITS = 40  # mpmath digits for a transcendental end; the end is then widened by a relative 2^-100
_WIDEN = 2**-100


class NoBounds(ValueError):
    """No bounds over the reals: an unknown function, a possible pole, or a logarithm or root that may see 0."""


@dataclass(frozen=True)
class Bounds:
    """lo <= e <= hi for every real value of the variables. Ends are exact Fractions or ±inf; an ``open`` end
    is never attained (an infinite end is always open)."""

    lo: object
    hi: object
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


def _bounds(lo, hi, lo_open: bool, hi_open: bool) -> Bounds:
    return Bounds(lo, hi, lo_open or lo == -_INF, hi_open or hi == _INF)


def _point(value) -> Bounds:
    return Bounds(value, value)


def _fraction_of(value) -> object:
    """An mpmath number as an exact Fraction (its binary digits), or ±inf."""
    import mpmath
    if mpmath.isinf(value):
        return _INF if value > 0 else -_INF
    if not value:
        return Fraction(0)
    sign, mantissa, exponent, _ = mpmath.mpf(value)._mpf_
    number = Fraction(mantissa) * Fraction(2) ** exponent
    return -number if sign else number


_MAGNITUDE_BITS = 1000  # ends beyond 2^±1000 are replaced by bounds that are not (no billion-bit Fractions)


def _outward(value, up: bool) -> object:
    """An mpmath value computed at _BOUND_DIGITS digits, widened so that the true value lies on the inner side.

    A magnitude beyond 2^1000 (e^(10^9)) becomes ±2^1000 on its inner side and ±inf on its outer side; one below
    2^−1000 becomes 0 or ±2^−1000: still bounds, without building huge exact numbers.
    """
    import mpmath
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
    if number in (_INF, -_INF) or number == 0:
        return number
    margin = abs(number) * _WIDEN
    return number + margin if up else number - margin


def _mp_of(end):
    import mpmath

    if end in (_INF, -_INF):
        return mpmath.inf if end > 0 else -mpmath.inf
    return mpmath.mpf(end.numerator) / end.denominator


def _times(a, b):
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


def _even(a: Bounds, function) -> Bounds:
    """An even function increasing on [0, ∞) (|w|, w², cosh): from the bounds of |w|."""
    if a.lo >= 0:
        magnitude = a
    elif a.hi <= 0:
        magnitude = _negate(a)
    else:
        top_open = a.hi_open if a.hi > -a.lo else a.lo_open if -a.lo > a.hi else (a.hi_open and a.lo_open)
        magnitude = Bounds(Fraction(0), max(a.hi, -a.lo), False, top_open)
    return _increasing(magnitude, function)


def _increasing(a: Bounds, function) -> Bounds:
    """A strictly increasing function of w: ``function(end, up)`` gives the value at an end, rounded outward."""
    return _bounds(function(a.lo, False), function(a.hi, True), a.lo_open, a.hi_open)


def _monotone(mp_function, at_minus_inf, at_plus_inf, exact: dict | None = None):
    """An end evaluator for a strictly increasing function: limits at ±∞, exact values at a few points."""

    def end(value, up: bool):
        if value == -_INF:
            return at_minus_inf(up)
        if value == _INF:
            return at_plus_inf(up)
        if exact and value in exact:
            return exact[value]
        import mpmath

        with mpmath.workdps(_BOUND_DIGITS):
            return _outward(mp_function(_mp_of(value)), up)

    return end


def _constant_end(mp_constant):
    def end(up: bool):
        import mpmath

        with mpmath.workdps(_BOUND_DIGITS):
            return _outward(mp_constant(), up)

    return end


def _fixed(value):
    return lambda up: value


def _reciprocal(a: Bounds, infinite: bool = False) -> Bounds:
    """1/w. With ``infinite``, w may be 0 at the edge of one sign (w >= 0 or w <= 0): 1/w is then ±∞ there."""
    if infinite and (a.lo >= 0 or a.hi <= 0) and not (a.lo == 0 == a.hi):
        a = Bounds(a.lo, a.hi, a.lo_open or a.lo == 0, a.hi_open or a.hi == 0)
    if not (a.positive or a.negative):
        raise NoBounds("a division by a quantity that may be 0")

    def inverse(end):
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

    def power(end, up):
        return end**k if end not in (_INF, -_INF) else (_INF if end > 0 or k % 2 == 0 else -_INF)

    if k % 2:
        return _increasing(a, power)
    return _even(a, power)


def real_bounds(expr: sympy.Expr, derivative: bool = False) -> Bounds:
    """Bounds of a real expression over all real values of its variables, by interval arithmetic.

    Sound, not tight: every occurrence of a variable ranges independently (tanh(z)² ∈ [0, 1), so
    2 − tanh(z)² ∈ (1, 2]). Raises NoBounds where an operation may be undefined or is not known.
    With ``derivative``, a reciprocal of a quantity of one sign that reaches 0 is allowed and is ±∞ there
    (d/dz cbrt(z) = 1/(3·cbrt(z)²) is +∞ at 0): the bounds then hold wherever the derivative exists.
    """
    import mpmath
    memo: dict = {}

    def ev(e) -> Bounds:
        if e not in memo:
            memo[e] = compute(e)
        return memo[e]

    def compute(e) -> Bounds:
        if e.is_Rational and max(abs(int(e.p)).bit_length(), int(e.q).bit_length()) <= _MAGNITUDE_BITS:
            return _point(Fraction(int(e.p), int(e.q)))
        if not e.free_symbols:
            if e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I):
                raise NoBounds("an undefined constant")
            try:
                value = mp_value(e, digits=_BOUND_DIGITS)
            except (MpUndefined, MpOutOfRange) as error:
                raise NoBounds(str(error)) from None
            with mpmath.workdps(_BOUND_DIGITS):
                return Bounds(_outward(value, False), _outward(value, True))
        if e.is_Symbol:
            if not e.is_extended_real:
                raise NoBounds(f"{e} is not known to be real")
            return Bounds(-_INF, _INF, True, True)
        if e.is_Add:
            result = ev(e.args[0])
            for term in e.args[1:]:
                result = _add(result, ev(term))
            return result
        if e.is_Mul:
            result = ev(e.args[0])
            for factor in e.args[1:]:
                result = _multiply(result, ev(factor))
            return result
        if e.is_Pow:
            base, exponent = e.args
            if exponent.is_Integer:
                return _integer_power(ev(base), int(exponent), derivative)
            if not base.free_symbols and base.is_positive:  # b**w = exp(w·log b)
                return ev(sympy.exp(exponent * sympy.log(base), evaluate=False))
            if exponent in (sympy.S.Half, -sympy.S.Half):
                inner = ev(base)
                if inner.lo < 0:
                    raise NoBounds("a square root of a quantity that may be negative")
                root = _increasing(inner, _monotone(mpmath.sqrt, _fixed(-_INF), _fixed(_INF), {Fraction(0): Fraction(0)}))
                return root if exponent > 0 else _reciprocal(root, derivative)
            raise NoBounds(f"the power {exponent}")
        if isinstance(e, sympy.exp):
            return _increasing(ev(e.args[0]), _monotone(
                mpmath.exp, _fixed(Fraction(0)), _fixed(_INF), {Fraction(0): Fraction(1)}))
        if isinstance(e, sympy.log):
            inner = ev(e.args[0])
            if not inner.positive:
                raise NoBounds("a logarithm of a quantity that may be 0 or negative")
            return _increasing(inner, _monotone(
                lambda w: mpmath.log(w) if w else -mpmath.inf, _fixed(-_INF), _fixed(_INF), {Fraction(1): Fraction(0)}))
        if isinstance(e, sympy.tanh):
            return _increasing(ev(e.args[0]), _monotone(
                mpmath.tanh, _fixed(Fraction(-1)), _fixed(Fraction(1)), {Fraction(0): Fraction(0)}))
        if isinstance(e, (sympy.sinh, sympy.asinh, real_cbrt)):
            function = {sympy.sinh: mpmath.sinh, sympy.asinh: mpmath.asinh, real_cbrt: _mp_cbrt}[type(e)]
            return _increasing(ev(e.args[0]), _monotone(function, _fixed(-_INF), _fixed(_INF), {Fraction(0): Fraction(0)}))
        if isinstance(e, sympy.atan):
            half_pi = _constant_end(lambda: mpmath.pi / 2)
            return _increasing(ev(e.args[0]), _monotone(
                mpmath.atan, lambda up: -half_pi(not up), half_pi, {Fraction(0): Fraction(0)}))
        if isinstance(e, sympy.cosh):
            return _even(ev(e.args[0]), _monotone(mpmath.cosh, _fixed(_INF), _fixed(_INF), {Fraction(0): Fraction(1)}))
        if isinstance(e, sympy.Abs):
            return _even(ev(e.args[0]), lambda end, up: end)
        if isinstance(e, (sympy.sin, sympy.cos)):
            return Bounds(Fraction(-1), Fraction(1))
        if isinstance(e, sympy.sign):
            inner = ev(e.args[0])
            if inner.positive:
                return _point(Fraction(1))
            if inner.negative:
                return _point(Fraction(-1))
            return Bounds(Fraction(-1), Fraction(1))
        if isinstance(e, sympy.Heaviside):
            return Bounds(Fraction(0), Fraction(1))
        raise NoBounds(f"no bounds for {type(e).__name__}")

    return ev(to_sympy(expr))


def _nice(end) -> sympy.Rational | None:
    """A bound's end as a short exact number for prose, or None when it is long (an outward-rounded value)."""
    if end in (_INF, -_INF) or end.denominator > 1000 or abs(end.numerator) > 10**6:
        return None
    return sympy.Rational(end.numerator, end.denominator)


# --------------------------------------------------------------------------- monotone layers without a closed form

_ANALYTIC = (sympy.exp, sympy.sinh, sympy.cosh, sympy.tanh, sympy.sin, sympy.cos, sympy.atan, sympy.asinh)
LIMIT_SECONDS = 2.5  # each of SymPy's limits at ±∞ (about 0.2 s for the maps above; room for a loaded machine)


def _real_analytic(expr: sympy.Expr) -> bool:
    """Built from polynomials and functions analytic on all of ℝ (exp, sinh, cosh, tanh, sin, cos, atan, arcsinh),
    logarithms and roots of quantities bounded away from 0, and reciprocals of such: analytic on ℝ."""
    if expr.is_Atom:
        return True
    if expr.is_Add or expr.is_Mul:
        return all(_real_analytic(a) for a in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Integer and exponent >= 0:
            return _real_analytic(base)
        try:
            bounds = real_bounds(base)
        except NoBounds:
            return False
        return (bounds.positive or bounds.negative) and _real_analytic(base) and (
            exponent.is_Integer or (bounds.positive and _real_analytic(exponent)))
    if isinstance(expr, _ANALYTIC):
        return _real_analytic(expr.args[0])
    if isinstance(expr, (sympy.log, real_cbrt)):
        try:
            bounds = real_bounds(expr.args[0])
        except NoBounds:
            return False
        return (bounds.positive or (bounds.negative and isinstance(expr, real_cbrt))) and _real_analytic(expr.args[0])
    return False


def _vanishes_identically(expr: sympy.Expr, variable: sympy.Symbol) -> bool:
    """Whether a function of one variable is 0 at every one of a few sample points (then it is not used)."""
    for value in (sympy.Rational(3, 10), sympy.Rational(-17, 10), sympy.Rational(23, 7)):
        try:
            if mp_value(expr, {variable: value}) != 0:
                return False
        except (MpUndefined, MpOutOfRange):
            continue
    return True


def _variables(symbols: Sequence[sympy.Symbol]) -> Prose:
    """"z1", "z1 and z2", "z1, z2 and z3" as prose."""
    symbols = list(symbols)
    pieces: list = []
    for i, s in enumerate(symbols):
        if i:
            pieces.append(" and " if i == len(symbols) - 1 else ", ")
        pieces.append(s)
    return tuple(pieces)


@dataclass(frozen=True)
class DerivativeSign:
    """The derivative's sign, shown: +1 (strictly increasing) or −1, and the argument as prose. ``margin`` is a
    c > 0 with |derivative| >= c everywhere, when the bounds show one (then the layer is onto ℝ)."""

    sign: int
    text: Prose
    margin: object = None


def derivative_sign(derivative: sympy.Expr, variable: sympy.Symbol, label: sympy.Basic) -> DerivativeSign | None:
    """Prove that a layer's derivative has one sign: bounds over the reals (interval arithmetic) show it is
    positive (or negative) everywhere, or >= 0 (<= 0) with every factor that can vanish a nonzero analytic
    function of the layer's own variable, whose zeros are isolated. None when neither argument applies."""
    everyone = _variables(sorted(derivative.free_symbols | {variable}, key=sympy.default_sort_key))
    shown = equation(label, derivative)
    try:
        bounds = real_bounds(derivative)
        where: Prose = ()
    except NoBounds:
        try:  # a derivative that is infinite where a root's argument is 0 (d/dz cbrt(z) at 0)
            bounds = real_bounds(derivative, derivative=True)
        except NoBounds:
            return None
        where = (" at which it is finite (it is infinite where the argument of a root is 0)",)
    for sign, strict, end, end_open in ((1, bounds.positive, bounds.lo, bounds.lo_open),
                                        (-1, bounds.negative, bounds.hi, bounds.hi_open)):
        if not strict:
            continue
        nice = _nice(end)
        if nice is not None and nice != 0:
            relation = (sympy.StrictGreaterThan if sign > 0 else sympy.StrictLessThan) if end_open else (
                sympy.GreaterThan if sign > 0 else sympy.LessThan)
            bound = (relation(derivative, nice, evaluate=False), ", so it is ", "positive" if sign > 0 else "negative")
        else:
            relation = sympy.StrictGreaterThan if sign > 0 else sympy.StrictLessThan
            bound = (relation(derivative, 0, evaluate=False),)
        margin = abs(end) if end != 0 and end not in (_INF, -_INF) else None
        return DerivativeSign(sign, (
            "Its derivative is ", shown, ". Bounding each function over the reals (interval arithmetic: every "
            "occurrence of a variable ranging on its own) gives ", *bound, " for every real ", *everyone, *where, ".",
        ), margin)
    # Non-strict: >= 0 (or <= 0) with zeros only where a factor in the layer's own variable vanishes.
    if not (bounds.lo >= 0 or bounds.hi <= 0):
        return None
    sign = 1 if bounds.lo >= 0 else -1
    vanishing = []
    for factor in sympy.Mul.make_args(sympy.factor_terms(derivative)):
        try:
            factor_bounds = real_bounds(factor, derivative=True)
        except NoBounds:
            return None
        if factor_bounds.positive or factor_bounds.negative:
            continue
        if factor.free_symbols != {variable} or not _real_analytic(factor) or _vanishes_identically(factor, variable):
            return None
        vanishing.append(factor)
    relation = sympy.GreaterThan if sign > 0 else sympy.LessThan
    return DerivativeSign(sign, (
        "Its derivative is ", shown, ". Bounding each function over the reals (interval arithmetic) gives ",
        relation(derivative, 0, evaluate=False), " for every real ", *everyone, *where, ", and it is 0 only where ",
        *joined_words(vanishing), " vanishes: a function of ", variable, " alone that is analytic on the reals and "
        "not identically 0, so its zeros are isolated points, and a continuous function whose derivative keeps one "
        "sign away from isolated points is strictly monotone.",
    ))


def joined_words(items: Sequence) -> Prose:
    """Prose pieces joined by "or"."""
    pieces: list = []
    for i, item in enumerate(items):
        pieces.extend([" or "] if i else [])
        pieces.append(item)
    return tuple(pieces)


@dataclass(frozen=True)
class MonotoneLayer:
    """One component of a triangular map solved for its new variable, given the earlier ones.

    ``solution`` is the closed form (in ``target`` and ``earlier``) when the layer peels; otherwise the layer is
    strictly monotone in ``variable`` (``increasing``) and tends to ``limits`` as the variable tends to −∞ and +∞,
    and it is solved numerically. ``reasons`` is the argument, as prose; ``image_conditions`` (peeled layers) are
    conditions on the target, in the earlier variables.
    """

    variable: sympy.Symbol
    target: sympy.Symbol
    component: sympy.Expr
    earlier: tuple[sympy.Symbol, ...]
    solution: sympy.Expr | None
    reasons: tuple[Prose, ...]
    image_conditions: tuple[sympy.Basic, ...] = ()
    increasing: bool = True
    limits: tuple[sympy.Expr, sympy.Expr] | None = None

    @property
    def onto_reals(self) -> bool:
        if self.solution is not None:
            return not self.image_conditions
        return set(self.limits) == {sympy.oo, -sympy.oo}


def _tends(variable: sympy.Symbol, negative: bool) -> Math:
    from sympy.printing.pretty.pretty_symbology import pretty_symbol

    sign = "-" if negative else "+"
    return m(rf"{sympy.latex(variable)} \to {sign}\infty", f"{pretty_symbol(variable.name)} → {'−' if negative else '+'}∞")


def _limit(expr: sympy.Expr, variable: sympy.Symbol, direction, budget: Budget) -> sympy.Expr | None:
    """SymPy's limit at ±∞, when it is ±∞ or a finite real expression free of the variable; else None.

    The real cube root is rewritten as sign(w)·|w|^(1/3) first: SymPy's series code knows those, not our function.
    """
    rewritten = expr.replace(lambda e: isinstance(e, real_cbrt),
                             lambda e: sympy.sign(e.args[0]) * sympy.Abs(e.args[0]) ** sympy.Rational(1, 3))
    value = budget.attempt(lambda: sympy.limit(rewritten, variable, direction), limit=LIMIT_SECONDS)
    if value is None or value.has(variable) or value.has(sympy.Limit, sympy.AccumBounds, sympy.zoo, sympy.nan, sympy.I):
        return None
    if value in (sympy.oo, -sympy.oo):
        return value
    if value.has(sympy.oo, -sympy.oo) or value.is_extended_real is False:
        return None
    return value


def monotone_layer(
    component: sympy.Expr, variable: sympy.Symbol, target: sympy.Symbol, earlier: tuple[sympy.Symbol, ...],
    label: sympy.Basic, budget: Budget,
) -> MonotoneLayer | None:
    """A layer without a closed-form solution, proven strictly monotone in its variable and continuous, with its
    limits at ±∞ (so its image is the open interval between them); None when no argument applies."""
    if component.has(sympy.sign, sympy.Heaviside, sympy.DiracDelta, sympy.Piecewise):
        return None  # not continuous: strictly monotone would not give an interval as the image
    try:
        real_bounds(component)  # defined (and finite) for every real input: no pole, no log of a negative
    except NoBounds:
        return None
    derivative = budget.attempt(lambda: sympy.diff(component, variable), limit=LIMIT_SECONDS)
    if derivative is None or derivative.has(sympy.Derivative, sympy.DiracDelta):
        return None
    derivative = budget.attempt(lambda: sympy.factor_terms(derivative), lambda: derivative, limit=LIMIT_SECONDS)
    shown_sign = budget.attempt(lambda: derivative_sign(derivative, variable, label), limit=2 * LIMIT_SECONDS)
    if shown_sign is None:
        return None
    increasing = shown_sign.sign > 0
    direction = "increasing" if increasing else "decreasing"
    fixed = (" for each fixed ", *_variables(earlier)) if earlier else ()
    if shown_sign.margin is not None:
        # |f'| >= c > 0: f changes by at least c times the change in its variable, so it is unbounded both ways.
        low, high = (-sympy.oo, sympy.oo) if increasing else (sympy.oo, -sympy.oo)
        c = _nice(shown_sign.margin)
        at_least = (c,) if c is not None else ("a positive constant",)
        how = (
            "The derivative is at least ", *at_least, " in absolute value everywhere, so the component changes by "
            "at least that many times the change in ", variable, ": it tends to ", low, " as ", _tends(variable, True),
            " and to ", high, " as ", _tends(variable, False), ".",
        )
    else:
        low = _limit(component, variable, -sympy.oo, budget)
        high = _limit(component, variable, sympy.oo, budget)
        if low is None or high is None:
            return None
        if low == high or (low.is_number and high.is_number and bool(low > high) == increasing):
            return None  # inconsistent with the sign: trust neither
        how = ("As ", _tends(variable, True), " it tends to ", low, ", and as ", _tends(variable, False), " to ", high,
               " (SymPy's limits).")
    onto = (REALS,) if {low, high} == {sympy.oo, -sympy.oo} else ("the open interval between ", low, " and ", high)
    limits_text = (
        *how, " Being continuous and strictly ", direction, " in ", variable, *fixed, ", it maps ", REALS,
        " one to one onto ", *onto, " (intermediate value theorem).",
    )
    return MonotoneLayer(variable, target, component, earlier, None, (shown_sign.text, limits_text), (),
                         increasing, (low, high))


def prove_triangular(
    components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol], budget: Budget,
    labels: Sequence[sympy.Basic],
) -> list[MonotoneLayer] | None:
    """Layers of a triangular map, each one-to-one in its new variable given the earlier ones: peeled in closed form
    where it can be, else strictly monotone and continuous with known limits. None when some layer has no argument."""
    solved: list[sympy.Symbol] = []
    remaining = list(range(len(components)))
    layers: list[MonotoneLayer] = []
    while remaining:
        for i in remaining:
            unknown = components[i].free_symbols & set(z) - set(solved)
            if len(unknown) == 1:
                break
        else:
            return None
        (var,) = unknown
        earlier = tuple(solved)
        reasons: list[Prose] = []
        conditions: list = []
        domain: list = []
        try:
            solution = _solve_layer(components[i], var, x[i], reasons, conditions, domain)
        except NotInvertible:
            solution = None
        if solution is not None and not domain:
            layer = MonotoneLayer(var, x[i], components[i], earlier, solution, tuple(reasons), tuple(conditions))
        else:
            layer = monotone_layer(components[i], var, x[i], earlier, labels[i], budget)
            if layer is None:
                return None
        layers.append(layer)
        solved.append(var)
        remaining.remove(i)
    return layers
