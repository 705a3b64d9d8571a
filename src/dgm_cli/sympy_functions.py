"""SymPy extensions shared by the parsing layer and the solvers.

- :class:`real_cbrt`, the real cube root (SymPy's ``cbrt`` is the principal, complex one: ``cbrt(-8)`` is
  ``1 + sqrt(3)*I``, not ``-2``), which the expression grammar's ``cbrt`` builds;
- :func:`to_sympy`, the one conversion of numbers (never text) to SymPy objects;
- :func:`time_limit` and :class:`OutOfTime`, a deadline around SymPy's work (SIGALRM): SymPy evaluates as it
  builds, so even parsing an expression runs under one.

No solver is imported here: the parser reads ``cbrt(z1)`` without loading the solvers.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager

import sympy


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


# --------------------------------------------------------------------------- a deadline for SymPy


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
        _saved_alarm[:] = [
            signal.signal(signal.SIGALRM, _on_alarm), signal.getitimer(signal.ITIMER_REAL), time.monotonic()
        ]
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
