"""L(D*) and JSD for the two distributions of Problem 3, each computed on its own, and the identity
L(D*) = log 4 − 2·JSD checked between them.

Categorical: float64 sums in log space, and the closed forms in logs of primes with their values to 30 digits.
Continuous: two tanh-sinh quadratures of different integrands, and ∫p = 1 over the same pieces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy

from dgm_cli.derivation import Approx, Check, Math, Notice, Prose, Step, m
from dgm_cli.distributions import AnyDistribution, Categorical, Continuous, describe
from dgm_cli.solvers.gan_optimal_categorical import (
    EXACT_WORKING_DIGITS,
    ExactDiscrete,
    category_indices,
    exact_discrete,
    float_discrete_sum,
)
from dgm_cli.solvers.gan_optimal_integrals import (
    CategoricalPair,
    integrate_density,
    integrate_jsd,
    integrate_loss_at_optimum,
    jsd_integrand,
    loss_integrand_at_optimum,
    pair_values,
    quadrature_pieces,
    typed_pair,
)
from dgm_cli.solvers.gan_optimal_notation import (
    D_STAR_M,
    IDENTITY,
    JSD,
    JSD_M,
    KAPPA_INTEGRAND,
    KAPPA_NEAR,
    L_M,
    L_OPT,
    L_OPT_M,
    LOG4_MINUS_2JSD,
    LOG_D_STAR,
    MINUS_INFINITY,
    P_DATA,
    P_G,
    X,
)
from dgm_cli.solvers.symbolic import equation

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)
EPS = float(np.finfo(np.float64).eps)
EXACT_CATEGORY_LIMIT = 64  # above this many categories the closed forms get too long to show; floats only
# |L(D*) − (log 4 − 2 JSD)|: 10× the quadratures' own error estimates, but at least 1e-11, the
# accumulated rounding of summing O(10) pieces of O(1) integrals.
IDENTITY_FLOOR = 1e-11
NORMALISATION_FLOOR = 1e-11  # |∫p − 1|, same reasoning


@dataclass(frozen=True)
class OptimumValue:
    """L(D*) computed from its definition, JSD computed on its own, and what the identity check needs."""

    loss_at_optimum: float
    jsd: float
    identity_check: Check
    steps: list[Step]
    checks: list[Check]  # further checks (the densities' normalisation)
    result: dict  # extra result entries
    warnings: list[Notice]

    @property
    def log4_minus_2jsd(self) -> float:
        return LOG4 - 2 * self.jsd



def optimum_value(data: AnyDistribution, gen: AnyDistribution) -> OptimumValue:
    """JSD and L(D*) for the two distributions, each computed on its own: sums over the categories, or quadratures."""
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        return _optimum_value_discrete(pair.data, pair.gen)
    return _optimum_value_continuous(pair.data, pair.gen)


def _optimum_value_discrete(data: Categorical, gen: Categorical) -> OptimumValue:
    """Sums over the categories: float64 in log space, and the exact closed forms in logs of primes."""
    k = category_indices(data, gen)
    values = pair_values(data, gen, k)
    lp, lq, h = values.log_p_data, values.log_p_gen, values.log_ratio
    raw_loss = float_discrete_sum(loss_integrand_at_optimum(lp, lq, h))
    tolerance = len(k) * 64 * EPS  # float64 summation of n terms of size ≤ 1
    # Each term is at most log 4 times its mass, so only the rounding of the sum can pass log 4.
    loss, loss_clipped = _into_range(raw_loss, LOG4, tolerance)
    exact = exact_discrete(data, gen) if len(k) <= EXACT_CATEGORY_LIMIT else None
    result: dict = {}
    if exact is not None:
        # 30 correct digits of an exact value in [0, log 2]: clipping can only remove a last-digit overshoot.
        jsd, _ = _into_range(exact.jsd_value, LOG2, tolerance)
        raw_jsd = jsd
        steps = [_exact_jsd_step(exact, jsd), _exact_loss_step(exact)]
        result = {"jsd_exact": sympy.sstr(exact.jsd), "loss_at_optimum_exact": sympy.sstr(exact.loss_at_optimum)}
        error = abs(raw_loss - (LOG4 - 2 * jsd)) if exact.identity_holds else math.inf
        method = _exact_method(exact.identity_holds)
    else:
        raw_jsd = float_discrete_sum(jsd_integrand(lp, lq, h))
        jsd, jsd_clipped = _into_range(raw_jsd, LOG2, tolerance)
        steps = [_summed_jsd_step(raw_jsd, jsd, jsd_clipped)]
        error = abs(raw_loss - (LOG4 - 2 * raw_jsd))
        method = SUMMED_METHOD
    steps.append(_summed_loss_step(raw_loss, loss, loss_clipped, jsd))
    check = Check(
        name=(IDENTITY,),
        method=method,
        computed=raw_loss,
        reference=LOG4 - 2 * raw_jsd,
        error=error,
        tolerance=tolerance,
        detail=("absolute error; tolerance ", m(r"64\varepsilon", "64ε"), " per category (float64 summation)"),
    )
    return OptimumValue(loss, jsd, check, steps, [], result, [])


def _exact_jsd_step(exact: ExactDiscrete, jsd: float) -> Step:
    return Step(
        (JSD_M, " for these distributions, exactly"),
        (
            m(
                r"\mathrm{JSD} = \tfrac{1}{2}\sum_k p_{\mathrm{data}}(k)"
                r" \log\frac{2 p_{\mathrm{data}}(k)}{p_{\mathrm{data}}(k) + p_g(k)}"
                r" + \tfrac{1}{2}\sum_k p_g(k) \log\frac{2 p_g(k)}{p_{\mathrm{data}}(k) + p_g(k)}",
                "JSD = ½Σ p_data log(2p_data/(p_data + p_g)) + ½Σ p_g log(2p_g/(p_data + p_g))",
            ),
            ", over the categories with positive mass, in logs of primes. Its value comes from the exact "
            "probabilities, each category's two terms combined into ",
            KAPPA_INTEGRAND,
            ", a sum of nonnegative terms evaluated with mpmath at ",
            EXACT_WORKING_DIGITS,
            " digits: the closed form's terms can cancel far below float64's reach.",
        ),
        equation(JSD, exact.jsd),
        jsd,
    )


def _exact_loss_step(exact: ExactDiscrete) -> Step:
    return Step(
        (L_OPT_M, " for these distributions, exactly"),
        (
            m(
                r"\mathcal{L}(D^*) = -\sum_k p_{\mathrm{data}}(k) \log D^*(k) - \sum_k p_g(k) \log(1 - D^*(k))",
                "L(D*) = −Σ p_data log D* − Σ p_g log(1 − D*)",
            ),
            ", summed separately from ",
            JSD_M,
            "; SymPy collects the difference " if exact.identity_holds else "; SymPy does not collect ",
            m(r"\mathcal{L}(D^*) - (\log 4 - 2\,\mathrm{JSD})", "L(D*) − (log 4 − 2·JSD)"),
            " to 0.",
        ),
        equation(L_OPT, exact.loss_at_optimum),
        exact.loss_value,
    )


def _exact_method(identity_holds: bool) -> Prose:
    """The identity check's method against the closed forms, and whether SymPy collected their difference to 0."""
    return (
        L_OPT_M,
        " as a float64 sum over the categories in log space, against ",
        LOG4_MINUS_2JSD,
        " from the exact probabilities evaluated with mpmath at ",
        EXACT_WORKING_DIGITS,
        " digits; SymPy also collects the exact difference to 0"
        if identity_holds
        else " digits; SymPy does not collect the exact difference to 0, which fails the check",
    )


SUMMED_METHOD: Prose = (
    "more than ",
    EXACT_CATEGORY_LIMIT,
    " categories, so no closed form is shown: ",
    L_OPT_M,
    " and ",
    JSD_M,
    " as separate float64 sums over the categories in log space",
)


def _summed_jsd_step(raw_jsd: float, jsd: float, clipped: bool) -> Step:
    return Step(
        (JSD_M, " for these distributions"),
        (
            m(
                r"\mathrm{JSD} = \tfrac{1}{2}\mathrm{KL}(p_{\mathrm{data}} \,\|\, m)"
                r" + \tfrac{1}{2}\mathrm{KL}(p_g \,\|\, m)",
                "JSD = ½KL(p_data ‖ m) + ½KL(p_g ‖ m)",
            ),
            ", summed in log space, each category's two terms combined into ",
            KAPPA_INTEGRAND,
            " (",
            m(r"m = \tfrac{1}{2}(p_{\mathrm{data}} + p_g)", "m = (p_data + p_g)/2"),
            "), which is never negative, so that nothing cancels",
            *_clip_note(JSD_M, raw_jsd, LOG2, clipped),
            ".",
        ),
        value=jsd,
    )


def _summed_loss_step(raw_loss: float, loss: float, clipped: bool, jsd: float) -> Step:
    return Step(
        (L_OPT_M, " two ways"),
        (
            "By the definition of ",
            L_M,
            " at ",
            D_STAR_M,
            " (a float64 sum in log space: ",
            LOG_D_STAR,
            ", never ",
            MINUS_INFINITY,
            " by rounding), and from ",
            LOG4_MINUS_2JSD,
            *_clip_note(L_OPT_M, raw_loss, LOG4, clipped),
            ":",
        ),
        value=[loss, LOG4 - 2 * jsd],
    )


def _optimum_value_continuous(data: Continuous, gen: Continuous) -> OptimumValue:
    """Two separate tanh-sinh quadratures, of L(D*)'s integrand and of JSD's, plus ∫p = 1 for the pieces."""
    loss_integral = integrate_loss_at_optimum(data, gen)
    jsd_integral = integrate_jsd(data, gen)
    raw_loss, raw_jsd = float(loss_integral.value), float(jsd_integral.value)
    # The integrands are ≥ 0 and below log 2·m and log 4·m, so only the quadrature's own rounding of ∫m = 1 can
    # take a value past log 2 or log 4: by no more than the allowance of the identity check below.
    allowance = max(IDENTITY_FLOOR, 10 * float(loss_integral.error + 2 * jsd_integral.error))
    jsd, jsd_clipped = _into_range(raw_jsd, LOG2, allowance)
    loss, loss_clipped = _into_range(raw_loss, LOG4, allowance)
    steps = [
        _integrated_jsd_step(len(quadrature_pieces(data, gen).low), raw_jsd, jsd, jsd_clipped),
        _integrated_loss_step(raw_loss, loss, loss_clipped, jsd),
    ]
    integration_error = float(loss_integral.error + 2 * jsd_integral.error)
    check = Check(
        name=(IDENTITY,),
        method=(
            L_OPT_M,
            " and ",
            JSD_M,
            " by two separate tanh-sinh quadratures (scipy.integrate.tanhsinh's algorithm, computed in NumPy) of "
            "different integrands",
        ),
        computed=raw_loss,
        reference=LOG4 - 2 * raw_jsd,
        error=abs(raw_loss - (LOG4 - 2 * raw_jsd)),
        tolerance=allowance,
        detail=(
            "absolute error, between the two quadratures as computed (before any clipping into range); tolerance "
            "the larger of ",
            IDENTITY_FLOOR,
            " and ten times the quadratures' error estimates",
        ),
    )
    warnings = []
    if not (loss_integral.converged and jsd_integral.converged):
        warnings.append(
            Notice(("Tanh-sinh quadrature did not converge on every piece; the error estimates say how far off.",))
        )
    checks = [_normalisation_check(data, gen, "data"), _normalisation_check(data, gen, "gen")]
    return OptimumValue(loss, jsd, check, steps, checks, {"integration_error": integration_error}, warnings)


def _integrated_jsd_step(pieces: int, raw_jsd: float, jsd: float, clipped: bool) -> Step:
    return Step(
        (JSD_M, " for these distributions"),
        (
            m(
                r"\mathrm{JSD} = \tfrac{1}{2}\int p_{\mathrm{data}} \log\frac{p_{\mathrm{data}}}{m}"
                r" + \tfrac{1}{2}\int p_g \log\frac{p_g}{m}",
                "JSD = ½∫ p_data log(p_data/m) + ½∫ p_g log(p_g/m)",
            ),
            " with ",
            m(r"m = \tfrac{1}{2}(p_{\mathrm{data}} + p_g)", "m = (p_data + p_g)/2"),
            ". Since ",
            m(r"p_{\mathrm{data}} = 2m D^*", "p_data = 2m·D*"),
            " and ",
            m(r"p_g = 2m(1 - D^*)", "p_g = 2m·(1 − D*)"),
            ", the integrand is ",
            KAPPA_INTEGRAND,
            ", a divergence between two Bernoulli distributions at every ",
            X,
            ", never negative (for ",
            m(r"\lvert h \rvert \le 1", "|h| ≤ 1"),
            " it is computed as ",
            KAPPA_NEAR,
            ", two terms that do not cancel), so two nearly equal densities give a small positive ",
            JSD_M,
            ", not a difference of two numbers near ",
            m(r"\log 2", "log 2"),
            ". Integrated by tanh-sinh quadrature on ",
            pieces,
            " pieces between the densities' landmarks, each in a coordinate measured from an exact end point "
            "of the piece, so that a mode far from 0 is resolved at its own scale",
            *_clip_note(JSD_M, raw_jsd, LOG2, clipped),
            ".",
        ),
        value=jsd,
    )


def _integrated_loss_step(raw_loss: float, loss: float, clipped: bool, jsd: float) -> Step:
    return Step(
        (L_OPT_M, " two ways"),
        (
            "By quadrature of ",
            m(r"-p_{\mathrm{data}} \log D^* - p_g \log(1 - D^*)", "−p_data·log D* − p_g·log(1 − D*)"),
            ", with ",
            LOG_D_STAR,
            " and ",
            m(r"\log(1 - D^*) = \log\sigma(-h)", "log(1 − D*) = log σ(−h)"),
            " (",
            m(r"h = \log p_{\mathrm{data}} - \log p_g", "h = log p_data − log p_g"),
            ", never ",
            MINUS_INFINITY,
            " by rounding; a term whose density is 0 counts 0), and from ",
            LOG4_MINUS_2JSD,
            *_clip_note(L_OPT_M, raw_loss, LOG4, clipped),
            ":",
        ),
        value=[loss, LOG4 - 2 * jsd],
    )


def _normalisation_check(data: Continuous, gen: Continuous, side: str) -> Check:
    """∫p = 1 over the quadrature pieces, for p = p_data (side "data") or p_g: the pieces cover its support."""
    name, distribution = (P_DATA, data) if side == "data" else (P_G, gen)
    integral = integrate_density(data, gen, side)
    return Check(
        name=(m(rf"\int {name.latex} = 1", f"∫ {name.text} = 1"), " over the quadrature pieces"),
        method=(
            "tanh-sinh quadrature of the density of ",
            *describe(distribution),
            " (the exponential of its log-density): the pieces cover its support",
        ),
        computed=float(integral.value),
        reference=1.0,
        error=abs(float(integral.value) - 1.0),
        tolerance=max(NORMALISATION_FLOOR, 10 * float(integral.error)),
        detail=(
            "absolute error; tolerance the larger of ",
            NORMALISATION_FLOOR,
            " and ten times the quadrature's error estimate",
        ),
    )


def _into_range(value: float, upper: float, allowance: float) -> tuple[float, bool]:
    """``value`` clipped into [0, upper] when rounding put it outside by at most ``allowance``; else unchanged."""
    if -allowance <= value < 0:
        return 0.0, True
    if upper < value <= upper + allowance:
        return upper, True
    return value, False


def _clip_note(name: Math, raw: float, bound: float, clipped: bool) -> Prose:
    """A parenthesis saying that a value was clipped into its range, and by how much; nothing when it was not."""
    if not clipped:
        return ()
    upper = m(r"\log 2", "log 2") if bound == LOG2 else m(r"\log 4", "log 4")
    above = raw > bound
    end = upper if above else 0
    return (
        " (the computed ",
        name,
        " was ",
        "above " if above else "below ",
        end,
        " by ",
        Approx(raw - bound if above else -raw, 2),
        ", outside its range ",
        m(rf"[0, {upper.latex}]", f"[0, {upper.text}]"),
        " by less than the rounding the computation allows, as ",
        m(r"\int m = 1", "∫ m = 1"),
        " only to rounding: ",
        end,
        " is shown)",
    )
