"""A library of bijections of the reals: one rule per kind of layer, for peeling x = w(z) one layer at a time.

Each rule says how to recognise its layer in an expression, how to invert it (the inverse applied to the right
side), why it is a bijection (the sentence the derivation prints), its image (conditions on the right side) and
where it is defined (conditions on its argument). :func:`solve_layer` tries the rules in :data:`RULES`, in
order, until the variable stands alone. Adding a kind of bijection is adding one rule to that table.

A rule that recognises a layer which is not injective (sin, cos, |w|, sign, an even power) refuses it with
:class:`NotInvertible`, naming two arguments with the same image: the start of a witness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import sympy

from dgm_cli.derivation import Math, Prose, m, prose
from dgm_cli.solvers.symbolic import equation, real_cbrt

# Inline mathematics for the layers' reasons (prose pieces: words, Math and SymPy expressions).
REALS = m(r"\mathbb{R}", "ℝ")
POSITIVE_HALF_LINE = m(r"(0, \infty)", "(0, ∞)")
NEGATIVE_HALF_LINE = m(r"(-\infty, 0)", "(−∞, 0)")
CLOSED_HALF_LINE = m(r"[0, \infty)", "[0, ∞)")
NONZERO_REALS = m(r"\mathbb{R} \setminus \{0\}", "ℝ∖{0}")
OPEN_UNIT_INTERVAL = m(r"(-1, 1)", "(−1, 1)")
RECIPROCAL = m(r"1/w", "1/w")
_W = sympy.Symbol("w", real=True)  # the argument of a layer, in its reason


def _as_text(reason: Prose) -> str:
    """A reason as one line of text, for the exception's own message (no renderer involved)."""
    return "".join(
        piece if isinstance(piece, str) else piece.text if isinstance(piece, Math) else sympy.sstr(piece)
        for piece in prose(reason)
    )


class NotInvertible(Exception):
    """The peeling inverter could not isolate a variable; ``reason`` (prose) says why.

    When a layer is not injective, ``not_injective`` is True and ``inner`` with ``values`` name two values of the
    layer's argument that give the same image (the start of a witness: two points z with f(z) equal).
    ``timed_out`` is set when the inverter ran out of time rather than out of rules.
    """

    def __init__(self, reason: Prose, not_injective: bool = False, inner=None, values=None) -> None:
        reason = prose(reason)
        super().__init__(_as_text(reason))
        self.reason = reason
        self.not_injective = not_injective
        self.inner = inner
        self.values = values
        self.timed_out = False


@dataclass(frozen=True)
class Peeled:
    """One layer taken off ``layer(inner) = rhs``: what is left to solve is ``inner = rhs``.

    ``reason`` says why the layer is a bijection (None when there is nothing to say); ``image`` are conditions
    on the old right side for it to lie in the layer's image; ``domain`` conditions on ``inner`` for the layer to
    be defined (log needs a positive argument).
    """

    inner: sympy.Expr
    rhs: sympy.Expr
    reason: Prose | None
    image: tuple[sympy.Basic, ...] = ()
    domain: tuple[sympy.Basic, ...] = ()


class Bijection(Protocol):
    """A kind of layer: ``recognises(layer, var)`` says whether this rule applies to the outermost operation of
    ``layer`` (an expression in ``var``); ``peel(layer, var, rhs)`` inverts it, or raises NotInvertible."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool: ...

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled: ...


# --------------------------------------------------------------------------- affine layers


class Shift:
    """w + c, for c free of the variable: a shift, a bijection of ℝ onto ℝ."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return bool(layer.is_Add)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        rest, term = layer.as_independent(var, as_Add=True)
        if term.is_Add:
            raise NotInvertible((var, " appears in more than one term of ", layer))
        reason = ("adding ", rest, " is a shift, a bijection of ", REALS) if rest != 0 else None
        return Peeled(term, rhs - rest, reason)


class Scaling:
    """c·w, for c free of the variable and of one sign for every real input: a bijection of ℝ onto ℝ."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return bool(layer.is_Mul)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        factor, term = layer.as_independent(var, as_Add=False)
        if term.is_Mul:
            raise NotInvertible((var, " appears in more than one factor of ", layer))
        if not (factor.is_positive or factor.is_negative):
            raise NotInvertible(("the factor ", factor, " of ", layer, " is not shown to be nonzero"))
        if factor.free_symbols:
            sign = "positive" if factor.is_positive else "negative"
            reason: Prose = (
                "the factor ", factor, f" is {sign} for every real input, so scaling by it is a bijection of ", REALS,
            )
        else:
            reason = ("scaling by the nonzero constant ", factor, " is a bijection of ", REALS)
        return Peeled(term, rhs / factor, reason)


# --------------------------------------------------------------------------- powers


def _is_power(layer: sympy.Expr, var: sympy.Symbol) -> bool:
    """A power whose base holds the variable (b**w with a constant base is an exponential)."""
    return bool(layer.is_Pow) and layer.base.has(var)


class Exponential:
    """b**w for a positive constant b ≠ 1: b**w = exp(w·log b), strictly monotone from ℝ onto (0, ∞)."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return bool(layer.is_Pow) and not layer.base.has(var)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        base = layer.base
        if not (base.is_positive and base != 1):
            raise NotInvertible(("the base ", base, " of ", layer, " is not a positive number other than 1"))
        reason = (
            sympy.Pow(base, _W, evaluate=False), " is strictly monotone from ", REALS, " onto ", POSITIVE_HALF_LINE,
        )
        return Peeled(layer.exp, sympy.log(rhs) / sympy.log(base), reason, (sympy.StrictGreaterThan(rhs, 0),))


class Reciprocal:
    """w**(−k): 1/w after w**k; a bijection of (0, ∞) or (−∞, 0) when w keeps one sign, else of ℝ∖{0}."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return _is_power(layer, var) and bool(layer.exp.is_Integer and layer.exp < 0)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        w = layer.base ** (-layer.exp)
        if w.is_positive or w.is_negative:
            side = POSITIVE_HALF_LINE if w.is_positive else NEGATIVE_HALF_LINE
            sign = "positive" if w.is_positive else "negative"
            reason: Prose = (w, f" is {sign}, and ", RECIPROCAL, " is strictly decreasing on ", side, " onto ", side)
            image = sympy.StrictGreaterThan(rhs, 0) if w.is_positive else sympy.StrictLessThan(rhs, 0)
            return Peeled(w, 1 / rhs, reason, (image,))
        reason = (RECIPROCAL, " is a bijection of ", NONZERO_REALS, " onto itself")
        return Peeled(w, 1 / rhs, reason, (sympy.Ne(rhs, 0),), (sympy.Ne(w, 0),))


class OddPower:
    """w**k for an odd k > 0: strictly increasing from ℝ onto ℝ, inverted by the real k-th root."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return _is_power(layer, var) and bool(layer.exp.is_Integer and layer.exp.is_odd and layer.exp > 0)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        k = layer.exp
        root = real_cbrt(rhs) if k == 3 else sympy.real_root(rhs, k)
        reason = ("the power ", _W**k, " is strictly increasing and maps ", REALS, " onto ", REALS)
        return Peeled(layer.base, root, reason)


class EvenPower:
    """w**k for an even k > 0: a bijection of (0, ∞) onto itself when w is positive; otherwise not injective."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return _is_power(layer, var) and bool(layer.exp.is_Integer and layer.exp.is_even and layer.exp > 0)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        k = layer.exp
        if not layer.base.is_positive:
            raise NotInvertible(
                ("the even power ", _W**k, " is not injective: ",
                 equation(sympy.Pow(-1, k, evaluate=False), sympy.Pow(1, k, evaluate=False))),
                not_injective=True, inner=layer.base, values=(sympy.Integer(1), sympy.Integer(-1)),
            )
        reason = (layer.base, " is positive, and ", _W**k, " is strictly increasing on ", POSITIVE_HALF_LINE, " onto ",
                  POSITIVE_HALF_LINE)
        return Peeled(layer.base, rhs ** sympy.Rational(1, k), reason, (sympy.StrictGreaterThan(rhs, 0),))


class SquareRoot:
    """√w: strictly increasing from [0, ∞) onto [0, ∞), defined where w ≥ 0."""

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return _is_power(layer, var) and bool(layer.exp == sympy.Rational(1, 2))

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        reason = (m(r"\sqrt{w}", "√w"), " is strictly increasing from ", CLOSED_HALF_LINE, " onto ", CLOSED_HALF_LINE)
        return Peeled(layer.base, rhs**2, reason, (sympy.GreaterThan(rhs, 0),), (sympy.GreaterThan(layer.base, 0),))


# --------------------------------------------------------------------------- functions of one argument


@dataclass(frozen=True)
class Elementary:
    """A strictly monotone function of one argument: its SymPy class, its inverse, why it is a bijection, its image
    (a condition on the right side, or None for all of ℝ) and its domain (a condition on its argument, or None)."""

    function: type
    inverse: Callable[[sympy.Expr], sympy.Expr]
    reason: Prose
    image: Callable[[sympy.Expr], sympy.Basic] | None = None
    domain: Callable[[sympy.Expr], sympy.Basic] | None = None

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return isinstance(layer, self.function)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        argument = layer.args[0]
        image = () if self.image is None else (self.image(rhs),)
        domain = () if self.domain is None else (self.domain(argument),)
        return Peeled(argument, self.inverse(rhs), self.reason, image, domain)


def _positive(value: sympy.Expr) -> sympy.Basic:
    return sympy.StrictGreaterThan(value, 0)


def _cube(value: sympy.Expr) -> sympy.Expr:
    return value**3


@dataclass(frozen=True)
class NotInjective:
    """A function that is not injective: recognised so as to refuse it with two arguments that share an image."""

    function: type
    reason: Prose
    values: tuple[sympy.Expr, sympy.Expr]

    def recognises(self, layer: sympy.Expr, var: sympy.Symbol) -> bool:
        return isinstance(layer, self.function)

    def peel(self, layer: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr) -> Peeled:
        raise NotInvertible(self.reason, not_injective=True, inner=layer.args[0], values=self.values)


#: The rules, tried in order; the first that recognises the outermost layer peels it.
RULES: tuple[Bijection, ...] = (
    Shift(),
    Scaling(),
    Elementary(real_cbrt, _cube, ("the real cube root is strictly increasing and maps ", REALS, " onto ", REALS)),
    Exponential(),
    Reciprocal(),
    OddPower(),
    EvenPower(),
    SquareRoot(),
    Elementary(sympy.exp, sympy.log,
               (m(r"\exp", "exp"), " is strictly increasing from ", REALS, " onto ", POSITIVE_HALF_LINE),
               image=_positive),
    Elementary(sympy.log, sympy.exp,
               (m(r"\log", "log"), " is strictly increasing from ", POSITIVE_HALF_LINE, " onto ", REALS),
               domain=_positive),
    Elementary(sympy.sinh, sympy.asinh,
               (m(r"\sinh", "sinh"), " is strictly increasing and maps ", REALS, " onto ", REALS)),
    Elementary(sympy.asinh, sympy.sinh,
               (m(r"\operatorname{arcsinh}", "arcsinh"), " is strictly increasing and maps ", REALS, " onto ", REALS)),
    Elementary(sympy.tanh, sympy.atanh,
               (m(r"\tanh", "tanh"), " is strictly increasing from ", REALS, " onto ", OPEN_UNIT_INTERVAL),
               image=lambda rhs: sympy.StrictLessThan(sympy.Abs(rhs), 1)),
    NotInjective(sympy.sin, (m(r"\sin", "sin"), " is periodic, so not injective: ",
                             m(r"\sin 0 = \sin \pi", "sin(0) = sin(π)")),
                 (sympy.Integer(0), sympy.pi)),
    NotInjective(sympy.cos, (m(r"\cos", "cos"), " is even and periodic, so not injective: ",
                             m(r"\cos 1 = \cos(-1)", "cos(1) = cos(−1)")),
                 (sympy.Integer(1), sympy.Integer(-1))),
    NotInjective(sympy.Abs, ("the absolute value is not injective: ",
                             m(r"\lvert 1 \rvert = \lvert -1 \rvert", "|1| = |−1|")),
                 (sympy.Integer(1), sympy.Integer(-1))),
    NotInjective(sympy.sign, (m(r"\operatorname{sign}", "sign"), " takes only the values ", m(r"-1, 0, 1", "−1, 0, 1"),
                              ", so it is not injective: ",
                              m(r"\operatorname{sign}(1) = \operatorname{sign}(2)", "sign(1) = sign(2)")),
                 (sympy.Integer(1), sympy.Integer(2))),
)


@dataclass(frozen=True)
class SolvedLayer:
    """``var = solution`` from ``layer(var) = rhs``: the reasons each peeled layer is a bijection, the conditions on
    the right side (the image) and on the arguments (where the layers are defined)."""

    solution: sympy.Expr
    reasons: tuple[Prose, ...]
    image: tuple[sympy.Basic, ...]
    domain: tuple[sympy.Basic, ...]


def solve_layer(
    expr: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr, rules: tuple[Bijection, ...] = RULES
) -> SolvedLayer:
    """Solve expr(var) = rhs for var by peeling one bijective layer at a time, each by the first rule that
    recognises it; NotInvertible when no rule applies or a rule refuses."""
    reasons: list[Prose] = []
    image: list[sympy.Basic] = []
    domain: list[sympy.Basic] = []
    while expr != var:
        if not expr.has(var):
            raise NotInvertible((expr, " does not depend on ", var))
        rule = next((rule for rule in rules if rule.recognises(expr, var)), None)
        if rule is None:
            raise NotInvertible(("no closed-form rule to invert ", expr, " in ", var))
        peeled = rule.peel(expr, var, rhs)
        if peeled.reason is not None:
            reasons.append(peeled.reason)
        image.extend(peeled.image)
        domain.extend(c for c in peeled.domain if c is not sympy.true)  # log(1 + e^z): 1 + e^z > 0 holds always
        expr, rhs = peeled.inner, peeled.rhs
    return SolvedLayer(rhs, tuple(reasons), tuple(image), tuple(domain))
