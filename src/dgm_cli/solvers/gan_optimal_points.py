"""The two distributions of Problem 3 and D* for them: the densities, the optimal logit in closed form where it is
short, and D* at the requested points, in float64 and exactly.

D* is computed twice at each point: σ(log p_data − log p_g) in float64, from the point taken exactly, and the exact
ratio p_data/(p_data + p_g) in SymPy; the check bounds their difference by the rounding of the log-ratio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.derivation import Check, Prose, Step, Table, m
from dgm_cli.distributions import AnyDistribution, Categorical, Laplace, Mixture, Normal, density_pair, describe
from dgm_cli.solvers.gan_optimal_integrals import CategoricalPair, typed_pair
from dgm_cli.solvers.gan_optimal_notation import (
    D_STAR_M,
    D_STAR_RATIO,
    D_STAR_X,
    EXACT_RATIO,
    P_DATA,
    P_G,
    SIGMA_LOG_RATIO,
    D,
    X,
    equals,
    listing,
)
from dgm_cli.solvers.numerics import sigmoid
from dgm_cli.solvers.symbolic import Label, equation

EPS = float(np.finfo(np.float64).eps)
SHOWN_COMPONENTS = 6  # mixtures with more components (both sides together) are not written out in SymPy
SHOWN_CATEGORIES = 12  # more categories than this are not written out as a matrix
# D* in float64 against the exact ratio: h carries a rounding error δ of a few ulps of the log-densities, and
# D* = σ(h) moves by at most δ·σ'(|h| − δ); the bound is 1e-14 plus that (see _d_star_bound).
D_STAR_FLOOR = 1e-14
EXACT_DIGITS = 30


@dataclass(frozen=True)
class PointValue:
    """D* at one point, in float64 and exactly, and the bound their difference must respect."""

    x: Fraction
    d_star: float | None  # float64, σ(log p_data − log p_g); None where undefined
    exact: sympy.Expr | None  # p_data/(p_data + p_g) exactly; None where undefined
    reference: float | None  # the exact value to 30 digits
    bound: float  # the float64 error bound of this point


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _exact_density(distribution: AnyDistribution, point: Fraction) -> sympy.Expr:
    """The density at a rational point, built at that point (no symbolic x: a 100-component mixture stays fast)."""
    if isinstance(distribution, Categorical):
        return distribution.probability(int(point))
    return distribution.density(_rational(point))


def _components(distribution: AnyDistribution) -> int:
    return len(distribution.components) if isinstance(distribution, Mixture) else 1


def point_values(data: AnyDistribution, gen: AnyDistribution, points: Sequence[Fraction]) -> list[PointValue]:
    """D* at each point twice: σ of the float64 log-ratio, and the exact ratio p_data/(p_data + p_g) in SymPy.

    The float64 route takes each point exactly, as the anchor of its own coordinate (x = point + 0), so that
    1e9 + 1/3 is not first rounded to the float 1000000000.3333334.
    """
    pair = density_pair(data, gen)
    if isinstance(data, Categorical):
        computed = pair.evaluate(np.array([float(p) for p in points]))
    else:
        computed = pair.evaluate(np.zeros(len(points)), rows=np.arange(len(points)), offsets=pair.offsets(points))
    lp, lq, h, defined = computed.log_p_data, computed.log_p_gen, computed.log_ratio, computed.defined
    d_float = sigmoid(h)
    values = []
    for i, point in enumerate(points):
        p, q = _exact_density(data, point), _exact_density(gen, point)
        bound = _d_star_bound(lp[i], lq[i], h[i])
        if p == 0 and q == 0:
            values.append(PointValue(point, None, None, None, bound))
            continue
        if q == 0:
            exact = sympy.Integer(1)
        elif p == 0:
            exact = sympy.Integer(0)
        elif _components(data) + _components(gen) <= SHOWN_COMPONENTS:
            exact = 1 / (1 + sympy.powsimp(sympy.expand_power_base(q / p, force=True)))
        else:  # a closed form too long to read: its value to 30 digits stands in for it
            exact = (p / (p + q)).evalf(EXACT_DIGITS)
        reference = float(exact.evalf(EXACT_DIGITS))
        values.append(PointValue(point, float(d_float[i]) if defined[i] else None, exact, reference, bound))
    return values


def _d_star_bound(lp: float, lq: float, h: float) -> float:
    """A bound on |D* in float64 − D* exactly| at one point: 1e-14 + δ·σ′(|h| − δ), with σ′ = σ(1 − σ) ≤ 1/4.

    δ = 16ε·max(1, |h|, |log p_data|, |log p_g|) bounds the rounding of h: each term difference is a product or
    sum of a few rounded quantities of the size of the log-densities (a log-density below float64's range is left
    out: h is then astronomically large or exactly representable as ±∞, and σ′ of it is 0). Where D* is 0 or 1 to
    float64's precision the bound is 1e-14: the computed value must be that too.
    """
    sizes = [abs(v) for v in (lp, lq, h) if math.isfinite(v)]
    delta = 16 * EPS * max([1.0, *sizes])
    slope_at = max(0.0, abs(h) - delta)
    slope = float(sigmoid(slope_at) * sigmoid(-slope_at)) if math.isfinite(slope_at) else 0.0
    return D_STAR_FLOOR + delta * slope


def _log_ratio_formula(data: AnyDistribution, gen: AnyDistribution) -> sympy.Expr | None:
    """log p_data(x) − log p_g(x) in closed form, for normal and Laplace densities (no Piecewise, no sums)."""
    if not (isinstance(data, (Normal, Laplace)) and isinstance(gen, (Normal, Laplace))):
        return None
    x = sympy.Symbol("x", real=True)
    log_data = sympy.expand_log(sympy.log(data.density(x)), force=True)
    log_gen = sympy.expand_log(sympy.log(gen.density(x)), force=True)
    return sympy.expand(log_data - log_gen)


# --------------------------------------------------------------------------- the steps


def densities_step(data: AnyDistribution, gen: AnyDistribution) -> Step:
    """The two distributions: their probabilities as a matrix of rationals, or their densities in SymPy."""
    both = (*equals(P_DATA, describe(data)), " and ", *equals(P_G, describe(gen)))
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        return _probabilities_step(pair.data, pair.gen, both)
    text = (*both, ", as exact densities on ", m(r"\mathbb{R}", "ℝ"), ".")
    if _components(data) + _components(gen) > SHOWN_COMPONENTS:
        return Step(("The two distributions",), (*text, " (Too many mixture components to write the densities out.)"))
    x = sympy.Symbol("x", real=True)
    densities = sympy.Matrix([pair.data.density(x), pair.gen.density(x)])
    labels = sympy.Matrix([Label("p_data(x)", r"p_{\mathrm{data}}(x)"), Label("p_g(x)", "p_g(x)")])
    return Step(("The two distributions",), text, equation(labels, densities))


def _probabilities_step(data: Categorical, gen: Categorical, both: Prose) -> Step:
    size = max(data.size, gen.size)
    if size > SHOWN_CATEGORIES:
        return Step(("The two distributions",), (*both, ": too many categories to write the probabilities out."))
    labels = sympy.Matrix([Label("p_data", "p_{\\mathrm{data}}"), Label("p_g", "p_g")])
    rows = sympy.Matrix([[data.probability(k) for k in range(size)], [gen.probability(k) for k in range(size)]])
    text = (
        *both,
        ": the probabilities of the categories ",
        m(r"k = 0, \dots, n - 1", "k = 0, …, n − 1"),
        ", with ",
        m("n", "n"),
        " = ",
        size,
        ", as exact rationals (a shorter list has probability 0 past its end).",
    )
    return Step(("The two distributions",), text, equation(labels, rows))


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def optimal_discriminator_steps(data: AnyDistribution, gen: AnyDistribution, values: list[PointValue]) -> list[Step]:
    """D* for the two distributions: the optimal logit in closed form where it is short, then D* at the points."""
    discrete = isinstance(data, Categorical)
    formula = None if discrete else _log_ratio_formula(data, gen)
    title = (D_STAR_M, " for these distributions")
    if formula is not None:
        h_label = Label("log p_data(x) − log p_g(x)", r"\log p_{\mathrm{data}}(x) - \log p_g(x)")
        first = Step(
            title,
            (
                m(r"D^*(x) = \sigma(h(x))", "D*(x) = σ(h(x))"),
                " with ",
                m(
                    r"h(x) = \log p_{\mathrm{data}}(x) - \log p_g(x) = \log\frac{D^*(x)}{1 - D^*(x)}",
                    "h(x) = log p_data(x) − log p_g(x) = log(D*(x)/(1 − D*(x)))",
                ),
                ", the optimal logit; SymPy expands it in closed form:",
            ),
            equation(h_label, formula),
        )
    elif discrete:
        first = Step(
            title,
            (
                D_STAR_RATIO,
                ", computed per category, exactly, as the rational ",
                m(r"\frac{p_{\mathrm{data}}(k)}{p_{\mathrm{data}}(k) + p_g(k)}", "p_data(k)/(p_data(k) + p_g(k))"),
                ".",
            ),
        )
    else:
        first = Step(
            title,
            (
                D_STAR_RATIO,
                ", computed as ",
                SIGMA_LOG_RATIO,
                ", the log-densities in float64 (log-sum-exp for mixtures).",
            ),
        )
    text: Prose = (
        "In float64 as ",
        SIGMA_LOG_RATIO,
        ", so that it stays right where both densities underflow; exactly as ",
        EXACT_RATIO,
        " in SymPy.",
    )
    undefined = [_rational(v.x) for v in values if v.d_star is None]
    if undefined:
        text += (
            " At ",
            X,
            " = ",
            *listing(undefined),
            " both densities are 0: ",
            D_STAR_M,
            " is undefined there (any ",
            D,
            " is optimal, and neither distribution puts mass there), so no number is given for it.",
        )
    table = Table(
        headers=((X,), (D_STAR_X, " exactly"), (D_STAR_X, " in float64")),
        rows=tuple(
            (
                _rational(v.x),
                v.exact if v.exact is not None else "undefined",
                v.d_star if v.d_star is not None else "undefined",
            )
            for v in values
        ),
    )
    second = Step((D_STAR_M, " at the requested points"), text, table=table)
    return [first, second]


def point_check(values: list[PointValue]) -> Check | None:
    """D* in float64 against the exact ratio at the points where it is defined; None when it is defined nowhere."""
    compared = [(v.d_star, v.reference, v.bound) for v in values if v.d_star is not None and v.reference is not None]
    if not compared:
        return None
    return Check(
        name=(D_STAR_X, " in float64 against the exact ratio"),
        method=(EXACT_RATIO, " in exact arithmetic (SymPy), evaluated to ", EXACT_DIGITS, " digits"),
        computed=[d_star for d_star, _, _ in compared],
        reference=[reference for _, reference, _ in compared],
        error=float(max(abs(d_star - reference) for d_star, reference, _ in compared)),
        tolerance=float(max(bound for _, _, bound in compared)),
        detail=(
            "maximum absolute error over the points; tolerance ",
            m(r"10^{-14} + \delta\,\sigma'(\lvert h \rvert - \delta)", "1e-14 + δ·σ′(|h| − δ)"),
            " at the point where it is largest, where ",
            m(
                r"\delta = 16\varepsilon \max(1, \lvert h \rvert, \lvert\log p_{\mathrm{data}}\rvert,"
                r" \lvert\log p_g\rvert)",
                "δ = 16ε·max(1, |h|, |log p_data|, |log p_g|)",
            ),
            " bounds the rounding of the log-ratio ",
            m("h", "h"),
        ),
    )
