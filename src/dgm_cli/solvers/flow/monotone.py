"""Layers without a closed-form inverse, proven one to one: strictly monotone in their new variable (the derivative
keeps one sign, shown by interval arithmetic) and continuous, with their limits at ±∞, so that each maps the reals
one to one onto the open interval between those limits (intermediate value theorem)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from dgm_cli.derivation import Math, Prose, m
from dgm_cli.solvers.flow.bijections import REALS, NotInvertible, solve_layer
from dgm_cli.solvers.flow.bounds import Bounds, End, NoBounds, nice_end, real_bounds
from dgm_cli.solvers.flow.peeling import NotTriangular, triangular_order
from dgm_cli.solvers.symbolic import Budget, MpOutOfRange, MpUndefined, equation, mp_value, real_cbrt

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
    margin: End | None = None


def _derivative_bounds(derivative: sympy.Expr) -> tuple[Bounds, Prose] | None:
    """The derivative's bounds over the reals, and where they hold (everywhere, or wherever it is finite)."""
    try:
        return real_bounds(derivative), ()
    except NoBounds:
        pass
    try:  # a derivative that is infinite where a root's argument is 0 (d/dz cbrt(z) at 0)
        return real_bounds(derivative, derivative=True), (
            " at which it is finite (it is infinite where the argument of a root is 0)",)
    except NoBounds:
        return None


def _strict_sign(derivative: sympy.Expr, bounds: Bounds, shown: sympy.Eq, for_every: Prose) -> DerivativeSign | None:
    """The derivative bounded away from 0 on one side (> c or < −c, or at least > 0 or < 0)."""
    for sign, strict, end, end_open in ((1, bounds.positive, bounds.lo, bounds.lo_open),
                                        (-1, bounds.negative, bounds.hi, bounds.hi_open)):
        if not strict:
            continue
        nice = nice_end(end)
        bound: Prose
        if nice is not None and nice != 0:
            relation = (sympy.StrictGreaterThan if sign > 0 else sympy.StrictLessThan) if end_open else (
                sympy.GreaterThan if sign > 0 else sympy.LessThan)
            bound = (relation(derivative, nice, evaluate=False), ", so it is ", "positive" if sign > 0 else "negative")
        else:
            relation = sympy.StrictGreaterThan if sign > 0 else sympy.StrictLessThan
            bound = (relation(derivative, 0, evaluate=False),)
        margin = abs(end) if end != 0 and isinstance(end, Fraction) else None
        return DerivativeSign(sign, (
            "Its derivative is ", shown, ". Bounding each function over the reals (interval arithmetic: every "
            "occurrence of a variable ranging on its own) gives ", *bound, " for every real ", *for_every, ".",
        ), margin)
    return None


def _sign_with_isolated_zeros(derivative: sympy.Expr, variable: sympy.Symbol, bounds: Bounds, shown: sympy.Eq,
                              for_every: Prose) -> DerivativeSign | None:
    """The derivative >= 0 (or <= 0), 0 only where a factor in the layer's own variable vanishes: a nonzero
    analytic function of that variable, whose zeros are isolated."""
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
        relation(derivative, 0, evaluate=False), " for every real ", *for_every, ", and it is 0 only where ",
        *joined_words(vanishing), " vanishes: a function of ", variable, " alone that is analytic on the reals and "
        "not identically 0, so its zeros are isolated points, and a continuous function whose derivative keeps one "
        "sign away from isolated points is strictly monotone.",
    ))


def derivative_sign(derivative: sympy.Expr, variable: sympy.Symbol, label: sympy.Basic) -> DerivativeSign | None:
    """Prove that a layer's derivative has one sign: bounds over the reals (interval arithmetic) show it is
    positive (or negative) everywhere, or >= 0 (<= 0) with every factor that can vanish a nonzero analytic
    function of the layer's own variable, whose zeros are isolated. None when neither argument applies."""
    found = _derivative_bounds(derivative)
    if found is None:
        return None
    bounds, where = found
    shown = equation(label, derivative)
    for_every = (*_variables(sorted(derivative.free_symbols | {variable}, key=sympy.default_sort_key)), *where)
    strict = _strict_sign(derivative, bounds, shown, for_every)
    if strict is not None:
        return strict
    return _sign_with_isolated_zeros(derivative, variable, bounds, shown, for_every)


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
        assert self.limits is not None  # a layer without a closed form is known by its limits
        return set(self.limits) == {sympy.oo, -sympy.oo}


def _tends(variable: sympy.Symbol, negative: bool) -> Math:
    from sympy.printing.pretty.pretty_symbology import pretty_symbol

    sign = "-" if negative else "+"
    text_sign = "−" if negative else "+"
    return m(rf"{sympy.latex(variable)} \to {sign}\infty", f"{pretty_symbol(variable.name)} → {text_sign}∞")


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
        c = nice_end(shown_sign.margin)
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
    where it can be, else strictly monotone and continuous with known limits. None when some layer has no argument,
    or the map is not triangular."""
    solved: list[sympy.Symbol] = []
    layers: list[MonotoneLayer] = []
    try:
        for i, var in triangular_order(components, z):
            earlier = tuple(solved)
            try:
                peeled = solve_layer(components[i], var, x[i])
            except NotInvertible:
                peeled = None
            if peeled is not None and not peeled.domain:
                layer = MonotoneLayer(var, x[i], components[i], earlier, peeled.solution, peeled.reasons, peeled.image)
            else:
                found = monotone_layer(components[i], var, x[i], earlier, labels[i], budget)
                if found is None:
                    return None
                layer = found
            layers.append(layer)
            solved.append(var)
    except NotTriangular:
        return None
    return layers
