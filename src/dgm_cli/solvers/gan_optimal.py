"""The optimal discriminator of a GAN (Problem 3): the problem, its parameters, its figure and its batch records.

For a fixed generator, L(D) = −E_data[log D] − E_g[log(1 − D)] is minimised by
D*(x) = p_data(x) / (p_data(x) + p_g(x)), and L(D*) = log 4 − 2·JSD(p_data‖p_g).
The proof is derived with SymPy (:mod:`gan_optimal_proof`); the numbers for two given distributions are
computed in log space, D* = σ(log p_data − log p_g) (:mod:`gan_optimal_points`, :mod:`gan_optimal_value`), and
checked by exact arithmetic, quadrature, random perturbations, a fitted discriminator and Monte Carlo
(:mod:`gan_optimal_checks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.derivation import Check, Derivation, Notice, Prose, m
from dgm_cli.distributions import AnyDistribution, Categorical, Normal, format_fraction, short_number
from dgm_cli.errors import InputError
from dgm_cli.problems import Problem
from dgm_cli.solvers.gan_optimal_categorical import category_indices
from dgm_cli.solvers.gan_optimal_checks import fit_step, monte_carlo_check, perturbation_step
from dgm_cli.solvers.gan_optimal_fit import fit_discriminator
from dgm_cli.solvers.gan_optimal_integrals import (
    CategoricalPair,
    finite_span,
    optimal_discriminator,
    pair_values,
    typed_pair,
)
from dgm_cli.solvers.gan_optimal_notation import D_STAR_M, IDENTITY, JSD_M, L_M, L_OPT_M, X, both_named
from dgm_cli.solvers.gan_optimal_points import densities_step, optimal_discriminator_steps, point_check, point_values
from dgm_cli.solvers.gan_optimal_proof import proof_steps
from dgm_cli.solvers.gan_optimal_value import optimum_value
from dgm_cli.solvers.numerics import sigmoid

COMMAND = "gan-optimal"
PROBLEM = Problem(
    command=COMMAND,
    number=3,
    title="Optimality of the GAN framework",
    defaults={"data": Normal(Fraction(0), Fraction(1)), "gen": Normal(Fraction(2), Fraction(1)), "x": None},
)

MAX_POINTS = 100  # points x; each gets an exact SymPy evaluation
MAX_DEFAULT_CATEGORIES = 100  # categories listed when no points are given
DEFAULT_SAMPLES = 100_000

# --------------------------------------------------------------------------- inputs


def check_compatible(data: AnyDistribution, gen: AnyDistribution) -> None:
    """Both densities must be with respect to one measure: both categorical, or both continuous (InputError)."""
    typed_pair(data, gen)


def default_points(data: AnyDistribution, gen: AnyDistribution) -> list[Fraction]:
    """Every category (up to MAX_DEFAULT_CATEGORIES); for continuous ones, the two means and their midpoint."""
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        return [Fraction(k) for k in range(min(max(pair.data.size, pair.gen.size), MAX_DEFAULT_CATEGORIES))]
    first, second = pair.data.mean(), pair.gen.mean()
    return sorted({first, (first + second) / 2, second})


def check_points(points: Sequence[Fraction], data: AnyDistribution, gen: AnyDistribution) -> None:
    """At most MAX_POINTS points, each a category index (categorical) or within float64's range (InputError x)."""
    if not points:
        raise InputError("no points given", "x")
    if len(points) > MAX_POINTS:
        raise InputError(f"{len(points)} points; the limit is {MAX_POINTS}", "x")
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        size = max(pair.data.size, pair.gen.size)
        for point in points:
            if point.denominator != 1 or not 0 <= point < size:
                raise InputError(
                    f"{short_number(point)} is not a category: for categorical distributions the points are the "
                    f"indices 0, …, {size - 1}",
                    "x",
                )
        return
    for point in points:
        try:
            float(point)
        except OverflowError:
            raise InputError(f"{short_number(point)} is beyond float64's range (±1.8e308)", "x") from None


# --------------------------------------------------------------------------- the derivation

# Problem 3 as the assignment states it, with its equations (1) and (2).
QUESTION: Prose = (
    "In class, we covered that the optimal discriminator satisfies the following condition\n",
    m(
        r"D_G^*(\mathbf{x}) = \frac{p_{\mathrm{data}}(\mathbf{x})}{p_{\mathrm{data}}(\mathbf{x}) + p_g(\mathbf{x})}",
        "D_G*(x) = p_data(x)/(p_data(x) + p_g(x))",
    ),
    "   (1)\nfor arbitrary values of ",
    m(r"\mathbf{x}", "x"),
    ". In this problem, you will prove the optimality of this discriminator. To be more specific, for a fixed "
    "generator ",
    m(r"\theta", "θ"),
    ", show that ",
    m(r"D_\phi^*(\mathbf{x})", "D_φ*(x)"),
    " minimizes the following loss function:\n",
    m(
        r"\mathcal{L}(\phi; \theta) = -\mathbb{E}_{\mathbf{x} \sim p_{\mathrm{data}}}[\log D_\phi(\mathbf{x})]"
        r" - \mathbb{E}_{\mathbf{x} \sim p_\theta(\mathbf{x})}[\log(1 - D_\phi(\mathbf{x}))]",
        "L(φ; θ) = −E_{x∼p_data}[log D_φ(x)] − E_{x∼p_θ(x)}[log(1 − D_φ(x))]",
    ),
    "   (2)",
)
D_STAR_FORMULA = m(r"D^* = \frac{p_{\mathrm{data}}}{p_{\mathrm{data}} + p_g}", "D* = p_data/(p_data + p_g)")
TITLE: Prose = ("The optimal discriminator: ", D_STAR_FORMULA, " minimises ", L_M, ", and ", IDENTITY)


def _points_or_defaults(
    data: AnyDistribution, gen: AnyDistribution, x: Sequence[Fraction] | None
) -> tuple[list[Fraction], list[Notice]]:
    """The points asked for, or the default ones with a notice when they leave categories out."""
    if x:
        return list(x), []
    points = default_points(data, gen)
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair) and max(pair.data.size, pair.gen.size) > len(points):
        listed = (D_STAR_M, " is listed at the first ", len(points), " of ", max(pair.data.size, pair.gen.size))
        notice = Notice((*listed, " categories only; choose the points ", X, " to list others."), key="d_star")
        return points, [notice]
    return points, []


# Long by its result: one line per key of the JSON output; the work is in the functions it calls.
def solve(
    data: AnyDistribution,
    gen: AnyDistribution,
    x: Sequence[Fraction] | None = None,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Derivation:
    """Prove that D* = p_data/(p_data + p_g) minimises L, and compute and verify D*, JSD and L(D*) for two
    distributions, D* at the points x (by default the two means and their midpoint, or every category)."""
    check_compatible(data, gen)
    points, warnings = _points_or_defaults(data, gen, x)
    check_points(points, data, gen)
    if samples < 0:
        raise InputError("the number of Monte Carlo samples must be 0 or more", "samples")
    discrete = isinstance(data, Categorical)

    values = point_values(data, gen, points)
    steps = [densities_step(data, gen), *proof_steps(discrete), *optimal_discriminator_steps(data, gen, values)]
    optimum = optimum_value(data, gen)
    steps.extend(optimum.steps)
    warnings.extend(optimum.warnings)
    checks: list[Check] = [*optimum.checks, optimum.identity_check]
    at_points = point_check(values)
    if at_points is not None:
        checks.append(at_points)
    perturbation, perturbation_check, min_increase = perturbation_step(data, gen, seed)
    fit, fit_check, fitted, fit_error = fit_step(data, gen)
    steps.extend([perturbation, fit])
    checks.extend([perturbation_check, fit_check])
    result = {
        "points": [format_fraction(v.x) for v in values],
        "d_star": [v.d_star for v in values],
        "d_star_exact": [sympy.sstr(v.exact) if v.exact is not None else "undefined" for v in values],
        "jsd": optimum.jsd,
        "loss_at_optimum": optimum.loss_at_optimum,
        "log4_minus_2jsd": optimum.log4_minus_2jsd,
        "identity_error": optimum.identity_check.error,
        **optimum.result,
        "min_perturbation_increase": min_increase,
        "max_fit_error": fit_error,
        "fit_family": fitted.family,
    }
    if samples:
        checks.append(monte_carlo_check(data, gen, samples, seed, optimum.log4_minus_2jsd))
        result["loss_monte_carlo"] = checks[-1].computed
    result["checks_passed"] = all(c.passed for c in checks)
    answer = (
        "For a fixed generator, ", D_STAR_FORMULA, " minimises ", L_M, " pointwise, with ", IDENTITY, "; for ",
        *both_named(data, gen), ", ", JSD_M, " = ", optimum.jsd, " and ", L_OPT_M, " = ", optimum.loss_at_optimum, ".",
    )  # fmt: skip
    return Derivation(
        command=COMMAND,
        title=TITLE,
        # The distributions as parsed (JSON prints each as its spec); the points as given, or the defaults used.
        inputs={"data": data, "gen": gen, "x": [format_fraction(p) for p in points], "samples": samples, "seed": seed},
        steps=steps,
        result=result,
        checks=checks,
        warnings=warnings,
        question=QUESTION,
        answer=answer,
    )


# --------------------------------------------------------------------------- batch mode


def discriminator_records(data: AnyDistribution, gen: AnyDistribution, points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each point (rows of a one-column array): both log-densities and D*.

    Where both densities are 0, D* is undefined (every D is optimal there): the record says ``defined`` is
    false (a boolean array) and carries D = 1/2, the choice that is optimal whatever the two densities do nearby.
    A log-density below float64's range (−5e319 at x = 1e160 for N(0, 1)) is −∞ in its column, while D* is still
    computed from the finite log-ratio.
    """
    x = points[:, 0]
    values = pair_values(data, gen, x)
    return {
        "x": x,
        "log_p_data": values.log_p_data,
        "log_p_gen": values.log_p_gen,
        "d_star": np.where(values.defined, sigmoid(values.log_ratio), 0.5),
        "defined": values.defined,
    }


def records(points: np.ndarray, *, data: AnyDistribution, gen: AnyDistribution) -> dict[str, np.ndarray]:
    """Batch mode: :func:`discriminator_records` for the points (rows of a one-column array), after the check that
    the two distributions have a common dominating measure."""
    check_compatible(data, gen)
    return discriminator_records(data, gen, points)


# --------------------------------------------------------------------------- the figure


@dataclass(frozen=True)
class FigureData:
    """What the plot draws: p_data, p_g, D* and D_fit on a grid (or per category), and D* at the points."""

    discrete: bool
    x: np.ndarray
    p_data: np.ndarray
    p_g: np.ndarray
    d_star: np.ndarray  # NaN where undefined: matplotlib leaves a gap
    d_fit: np.ndarray
    points: np.ndarray
    d_star_points: np.ndarray
    data_label: str
    gen_label: str


def figure_data(data: AnyDistribution, gen: AnyDistribution, points: Sequence[Fraction] | None = None) -> FigureData:
    """The curves of the figure, from the same functions as the derivation (D*, the fitted discriminator)."""
    points = points or default_points(data, gen)
    fitted = fit_discriminator(data, gen)
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        grid = category_indices(pair.data, pair.gen)
    else:
        low, high = finite_span(pair.data, pair.gen)
        # Trim the drawing to where either density is above 1e-4 of its peak, to keep the shapes visible.
        wide = np.linspace(low, high, 4001)
        log_peak = np.logaddexp(data.log_pdf(wide), gen.log_pdf(wide))
        visible = wide[log_peak > np.max(log_peak) + math.log(1e-4)]
        margin = 0.05 * (visible.max() - visible.min() + 1e-12)
        grid = np.union1d(np.linspace(visible.min() - margin, visible.max() + margin, 1500), fitted.edges)
        grid = grid[(grid >= visible.min() - margin) & (grid <= visible.max() + margin)]
    d_star, defined = optimal_discriminator(data, gen, grid)
    point_x = np.array([float(p) for p in points])
    d_points, defined_points = optimal_discriminator(data, gen, point_x)
    return FigureData(
        discrete=isinstance(pair, CategoricalPair),
        x=grid,
        p_data=np.exp(data.log_pdf(grid)),
        p_g=np.exp(gen.log_pdf(grid)),
        d_star=np.where(defined, d_star, np.nan),
        d_fit=np.where(defined, fitted(grid), np.nan),
        points=point_x,
        d_star_points=np.where(defined_points, d_points, np.nan),
        data_label=f"p_data = {data}",
        gen_label=f"p_g = {gen}",
    )


def figure(derivation: Derivation) -> FigureData:
    """The figure of a solved derivation: its two distributions (as parsed) and the points it evaluated D* at."""
    inputs = derivation.inputs
    return figure_data(inputs["data"], inputs["gen"], [Fraction(p) for p in inputs["x"]])

