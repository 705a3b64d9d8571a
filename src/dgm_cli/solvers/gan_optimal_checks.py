"""The verifications of Problem 3 that do not read the closed forms: random perturbations of D*, a fitted
discriminator and Monte Carlo, each as a step of the derivation and a check.

Perturbed discriminators D = (1 − t)·D* + t·u must raise L; a discriminator fitted to the loss must approach D*;
the sample mean of L(D*)'s terms must agree with log 4 − 2·JSD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dgm_cli.derivation import Approx, Check, Prose, Step, m
from dgm_cli.distributions import AnyDistribution, Categorical, Continuous, Distribution, Mixture, density_pair
from dgm_cli.solvers.gan_optimal_categorical import category_indices, float_discrete_sum
from dgm_cli.solvers.gan_optimal_fit import (
    FIT_GTOL,
    FIT_GTOL_CATEGORICAL,
    FIT_NODES,
    FIT_TAIL,
    FIT_TOLERANCE_EXACT,
    FIT_TOLERANCE_MIXTURE,
    FittedDiscriminator,
    fit_discriminator,
    fit_grid,
    max_fit_error,
)
from dgm_cli.solvers.gan_optimal_integrals import (
    CategoricalPair,
    finite_span,
    integrate,
    pair_values,
    quadrature_pieces,
    typed_pair,
    weighted,
)
from dgm_cli.solvers.gan_optimal_notation import (
    D_FIT,
    D_STAR_M,
    L_M,
    L_OPT_M,
    LOG4_MINUS_2JSD,
    LOSS_INCREASE,
    SIGMA_LOG_RATIO,
    UNIT_INTERVAL,
    D,
    T,
    X,
    listing,
)
from dgm_cli.solvers.numerics import log_sigmoid, sigmoid

EPS = float(np.finfo(np.float64).eps)

# Perturbations D = (1 − t)·D* + t·u = D* + t·(u − D*), u a random smooth discriminator: |D − D*| < t.
PERTURBATION_AMPLITUDES = (0.3, 0.1, 0.03)
PERTURBATIONS_PER_AMPLITUDE = 4
PERTURBATION_MODES = 4
# The smallest increase must exceed the quadrature error by this factor to count as positive.
PERTURBATION_MARGIN = 100.0

MC_Z_LIMIT = 5.0  # a Monte Carlo estimate this many standard errors away fails
MC_CHUNK = 500_000  # samples drawn and evaluated at a time: bounded memory for up to 1e8 samples

# --------------------------------------------------------------------------- perturbations


@dataclass(frozen=True)
class Perturbations:
    """D_j = (1 − t_j)·D* + t_j·u_j = D* + t_j·η_j with η_j = u_j − D*, |η_j| < 1, and D_j ∈ (0, 1) without clipping.

    u_j = σ(ψ_j) is a random smooth discriminator: ψ_j(x) = 3·Σ c_jk cos(ω_jk s + φ_jk) / Σ|c_jk|, with
    s = (x − centre)/spread. D_j is as smooth as D*, so quadrature of L(D_j) converges as fast as that of L(D*).
    """

    amplitudes: np.ndarray  # t_j, shape (n,)
    coefficients: np.ndarray  # (n, modes)
    frequencies: np.ndarray
    phases: np.ndarray
    centre: float
    spread: float

    @property
    def count(self) -> int:
        return len(self.amplitudes)

    def logit(self, x: np.ndarray, index: np.ndarray) -> np.ndarray:
        """ψ_index(x), elementwise in x and index, within ±3."""
        j = index.astype(np.int64)
        s = (x - self.centre) / self.spread
        s = np.where(np.isfinite(s), s, 0.0)
        waves = self.coefficients[j] * np.cos(self.frequencies[j] * s[..., None] + self.phases[j])
        return 3.0 * np.sum(waves, axis=-1) / np.sum(np.abs(self.coefficients[j]), axis=-1)

    def log_perturbed(self, h: np.ndarray, x: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log D, log(1 − D)) for D = (1 − t)·σ(h) + t·σ(ψ), each side built from σ(±h) so nothing cancels."""
        t = self.amplitudes[index.astype(np.int64)]
        psi = self.logit(x, index)
        return (
            np.log((1 - t) * sigmoid(h) + t * sigmoid(psi)),
            np.log((1 - t) * sigmoid(-h) + t * sigmoid(-psi)),
        )


def random_perturbations(seed: int, centre: float, spread: float) -> Perturbations:
    rng = np.random.default_rng(seed)
    n = len(PERTURBATION_AMPLITUDES) * PERTURBATIONS_PER_AMPLITUDE
    return Perturbations(
        amplitudes=np.repeat(PERTURBATION_AMPLITUDES, PERTURBATIONS_PER_AMPLITUDE),
        coefficients=rng.standard_normal((n, PERTURBATION_MODES)),
        frequencies=rng.uniform(0.5, 6.0, (n, PERTURBATION_MODES)),
        phases=rng.uniform(0.0, 2 * math.pi, (n, PERTURBATION_MODES)),
        centre=centre,
        spread=spread,
    )


def loss_increase_integrand(
    lp: np.ndarray, lq: np.ndarray, h: np.ndarray, log_d: np.ndarray, log_one_minus_d: np.ndarray
) -> np.ndarray:
    """The integrand of L(D) − L(D*): p_data·(log D* − log D) + p_g·(log(1 − D*) − log(1 − D))."""
    return weighted(lp, log_sigmoid(h) - log_d) + weighted(lq, log_sigmoid(-h) - log_one_minus_d)


def perturbation_increases(
    data: AnyDistribution, gen: AnyDistribution, seed: int
) -> tuple[Perturbations, np.ndarray, np.ndarray]:
    """L(D* + t·η) − L(D*) for each random perturbation, and the summation or quadrature error of each."""
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        return _summed_increases(pair.data, pair.gen, seed)
    return _integrated_increases(pair.data, pair.gen, seed)


def _summed_increases(data: Categorical, gen: Categorical, seed: int) -> tuple[Perturbations, np.ndarray, np.ndarray]:
    """The increases as sums over the categories, the perturbations' argument the category index."""
    k = category_indices(data, gen)
    centre, spread = float(k.mean()), max(1.0, float(k.max() - k.min()) / 2)
    perturbations = random_perturbations(seed, centre, spread)
    values = pair_values(data, gen, k)
    lp, lq, h = values.log_p_data, values.log_p_gen, values.log_ratio
    perturbed = (perturbations.log_perturbed(h, k, np.full_like(k, j)) for j in range(perturbations.count))
    increases = np.array([float_discrete_sum(loss_increase_integrand(lp, lq, h, *log_d)) for log_d in perturbed])
    # float64 sums of n terms of size ≤ ~40: rounding ≤ n·ε·40
    return perturbations, increases, np.full_like(increases, len(k) * EPS * 40)


def _integrated_increases(data: Continuous, gen: Continuous, seed: int) -> tuple[Perturbations, np.ndarray, np.ndarray]:
    """The increases by tanh-sinh quadrature on the pieces, all perturbations at once."""
    low, high = finite_span(data, gen)
    perturbations = random_perturbations(seed, (low + high) / 2, max((high - low) / 2, 1e-300))
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece, index):
        values = pieces.values(data, gen, u, piece)
        # The perturbation varies on the scale of the whole span: x rounded to a float is resolution enough for it.
        x = pieces.anchors[piece.astype(np.int64)] + u
        h = values.log_ratio
        log_d = perturbations.log_perturbed(h, x, index)
        return loss_increase_integrand(values.log_p_data, values.log_p_gen, h, *log_d)

    index = np.arange(perturbations.count, dtype=np.float64)[:, None]
    result = integrate(integrand, pieces, args=(index,))
    return perturbations, np.asarray(result.value), np.asarray(result.error)


# --------------------------------------------------------------------------- Monte Carlo


def _sample_terms(
    data: AnyDistribution, gen: AnyDistribution, source: Distribution, samples: int, rng, sign: float
) -> tuple[float, float]:
    """Mean and variance (ddof 0) of −log σ(sign·h(x)) over ``samples`` draws x ~ source, drawn MC_CHUNK at a time.

    Memory stays at a few arrays of MC_CHUNK floats whatever the sample count; chunk statistics are merged with
    Chan et al.'s pairwise update (mean and sum of squared deviations), which keeps the variance accurate. For
    normal, Laplace, uniform and categorical sources, drawing in chunks gives the same numbers as one draw.
    """
    count, mean, squares = 0, 0.0, 0.0
    pair = density_pair(data, gen)
    for start in range(0, samples, MC_CHUNK):
        size = min(MC_CHUNK, samples - start)
        terms = -log_sigmoid(sign * pair.evaluate(source.sample(rng, size)).log_ratio)
        chunk_mean = float(np.mean(terms))
        chunk_squares = float(np.var(terms)) * size
        total = count + size
        delta = chunk_mean - mean
        mean += delta * size / total
        squares += chunk_squares + delta * delta * count * size / total
        count = total
    return mean, squares / count


def monte_carlo_loss(data: AnyDistribution, gen: AnyDistribution, samples: int, seed: int) -> tuple[float, float]:
    """L(D*) ≈ mean over x ~ p_data of −log D*(x) plus mean over x ~ p_g of −log(1 − D*(x)), with its standard error.

    All samples of p_data are drawn before those of p_g, as one draw of each would: the default sample count
    (below MC_CHUNK) gives the numbers of a single draw.
    """
    rng = np.random.default_rng(seed)
    mean_data, variance_data = _sample_terms(data, gen, data, samples, rng, 1.0)
    mean_gen, variance_gen = _sample_terms(data, gen, gen, samples, rng, -1.0)
    estimate = mean_data + mean_gen
    standard_error = math.sqrt((variance_data + variance_gen) / samples)
    return estimate, standard_error


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def perturbation_step(data: AnyDistribution, gen: AnyDistribution, seed: int) -> tuple[Step, Check, float]:
    perturbations, increases, errors = perturbation_increases(data, gen, seed)
    smallest = int(np.argmin(increases))
    min_increase = float(increases[smallest])
    ratio = float(np.max(errors)) / min_increase if min_increase > 0 else math.inf
    discrete = isinstance(data, Categorical)
    how = "summed over the categories" if discrete else "integrated directly"
    total_latex, total_text = (r"\sum_k", "Σ_k") if discrete else (r"\int", "∫")
    step = Step(
        ("Verification: perturb ", D_STAR_M),
        (
            perturbations.count,
            " random bounded perturbations ",
            m(r"D = D^* + t\eta", "D = D* + t·η"),
            " with ",
            m(r"\eta = u - D^*", "η = u − D*"),
            ", that is ",
            m(r"D = (1 - t) D^* + t u", "D = (1 − t)·D* + t·u"),
            ", where ",
            m(r"u = \sigma(\psi)", "u = σ(ψ)"),
            " is a random smooth discriminator (",
            m(r"\psi", "ψ"),
            " a sum of ",
            PERTURBATION_MODES,
            " random cosines, within ",
            m(r"\pm 3", "±3"),
            ", drawn by NumPy's random generator from random state ",
            seed,
            ") and ",
            T,
            " is one of ",
            *listing(PERTURBATION_AMPLITUDES),
            ": ",
            m(r"\lvert D - D^* \rvert < t", "|D − D*| < t"),
            ", and ",
            D,
            " stays inside ",
            UNIT_INTERVAL,
            " without clipping, even where ",
            D_STAR_M,
            " is 0 or 1. ",
            LOSS_INCREASE,
            f" is {how}, as ",
            m(
                total_latex + r" p_{\mathrm{data}} (\log D^* - \log D) + p_g (\log(1 - D^*) - \log(1 - D))",
                f"{total_text} p_data·(log D* − log D) + p_g·(log(1 − D*) − log(1 − D))",
            ),
            ". The smallest increase, at ",
            T,
            " = ",
            float(perturbations.amplitudes[smallest]),
            ":",
        ),
        value=min_increase,
    )
    error_kind = "float64 summation error" if discrete else "quadrature error estimate"
    check = Check(
        name=(m(r"\mathcal{L}(D^* + \text{perturbation}) > \mathcal{L}(D^*)", "L(D* + perturbation) > L(D*)"),),
        method=("the smallest of ", perturbations.count, " increases ", LOSS_INCREASE, ", against the ", error_kind),
        computed=min_increase,
        reference=0.0,
        error=ratio,
        tolerance=1.0 / PERTURBATION_MARGIN,
        detail=(
            f"largest {error_kind} divided by the smallest increase (at most ",
            1.0 / PERTURBATION_MARGIN,
            ": positive beyond doubt); the increases range from ",
            Approx(float(increases.min()), 3),
            " to ",
            Approx(float(increases.max()), 3),
        ),
    )
    return step, check, min_increase


def _family_prose(fitted: FittedDiscriminator) -> Prose:
    """The fitted family in words and mathematics (``fitted.family`` is the same in plain text, for the result)."""
    if len(fitted.edges) == 0:
        return ("one logit per category",)
    return (
        m(r"\sigma(f)", "σ(f)"),
        ", with ",
        m("f", "f"),
        " a Chebyshev polynomial of degree ",
        fitted.degree,
        " on each of ",
        len(fitted.edges) - 1,
        " pieces",
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def fit_step(data: AnyDistribution, gen: AnyDistribution) -> tuple[Step, Check, FittedDiscriminator, float]:
    fitted = fit_discriminator(data, gen)
    fit_error, worst_x = max_fit_error(data, gen, fitted)
    grid_size = len(fit_grid(data, gen, fitted))
    family = _family_prose(fitted)
    discrete = isinstance(data, Categorical)
    if discrete:
        how: Prose = ("the expected loss ", L_M, ", an exact weighted sum over the categories")
        contains: Prose = ("One free logit per category contains ", D_STAR_M, " exactly.")
        grid_text: Prose = ("every category (", grid_size, ")")
        definition: Prose = (" with ", *family)
    else:
        how = (
            "the expected loss ",
            L_M,
            " computed by Gauss–Legendre quadrature (",
            FIT_NODES,
            " nodes a piece), each piece's share normalised by its mass",
        )
        contains = (
            (
                "This family contains ",
                D_STAR_M,
                " (the optimal logit is a polynomial of degree at most 2 on each piece), so the fit should recover it.",
            )
            if fitted.contains_optimum
            else (
                (
                    "A mixture's optimal logit is a log-sum-exp, not a polynomial: "
                    if isinstance(data, Mixture) or isinstance(gen, Mixture)
                    else "A logistic density's logarithm is no polynomial, and neither is the optimal logit: "
                )
                + "the fit approximates it, on pieces halved where the last two coefficients of a fitted polynomial "
                "could still move ",
                D,
                " by more than ",
                FIT_TAIL,
                " (a criterion that reads the fit alone).",
            )
        )
        grid_text = (grid_size, " points inside the pieces, within the bulk of either distribution")
        definition = (" = ", *family)
    max_error = m(r"\max \lvert D_{\mathrm{fit}} - D^* \rvert", "max |D_fit − D*|")
    step = Step(
        ("Verification: fit a discriminator",),
        (
            "A discriminator ",
            D_FIT,
            *definition,
            ", fitted by Newton's method (the exact gradient and Hessian, a backtracking line search, stopped when "
            "the gradient's norm is at most ",
            FIT_GTOL_CATEGORICAL if discrete else FIT_GTOL,
            "; the loss is convex in the coefficients) to ",
            *how,
            ": deterministic, no sampling noise. ",
            *contains,
            " The largest error ",
            max_error,
            " over ",
            *grid_text,
            ":",
        ),
        value=fit_error,
    )
    where: Prose = (" (worst at ", X, " = ", Approx(worst_x, 6), ")") if math.isfinite(worst_x) else ()
    check = Check(
        name=("fitted discriminator approaches ", D_STAR_M),
        method=(*family, ", fitted by minimising the expected loss, against ", SIGMA_LOG_RATIO),
        computed=fit_error,
        reference=0.0,
        error=fit_error,
        tolerance=FIT_TOLERANCE_EXACT if fitted.contains_optimum else FIT_TOLERANCE_MIXTURE,
        detail=(
            max_error,
            " over ",
            *grid_text,
            *where,
            "; tolerance ",
            *(
                (FIT_TOLERANCE_EXACT, ": the family contains ", D_STAR_M)
                if fitted.contains_optimum
                else (FIT_TOLERANCE_MIXTURE, ": the family's approximation error")
            ),
        ),
    )
    return step, check, fitted, fit_error


def monte_carlo_check(data: AnyDistribution, gen: AnyDistribution, samples: int, seed: int, reference: float) -> Check:
    """The sample mean of L(D*)'s terms against log 4 − 2·JSD, in units of (standard error + 1/N).

    A region of probability below ~1/N can go unsampled (nearly disjoint distributions put part of L there), and
    then the sample variance cannot see it either; the 1/N, one sample's worth of an O(1) term, covers it, as the
    +1 on counts does in flow-density's Monte Carlo check.
    """
    estimate, standard_error = monte_carlo_loss(data, gen, samples, seed)
    return Check(
        name=("Monte Carlo: ", L_OPT_M, " from ", samples, " samples of each distribution"),
        method=(
            m(r"-\operatorname{mean} \log D^*(x)", "−mean log D*(x)"),
            " over ",
            m(r"x \sim p_{\mathrm{data}}", "x ~ p_data"),
            ", plus ",
            m(r"-\operatorname{mean} \log(1 - D^*(x))", "−mean log(1 − D*(x))"),
            " over ",
            m(r"x \sim p_g", "x ~ p_g"),
            " (NumPy's random generator, random state ",
            seed,
            "), against ",
            LOG4_MINUS_2JSD,
        ),
        computed=estimate,
        reference=reference,
        error=float(abs(estimate - reference) / (standard_error + 1.0 / samples)),
        tolerance=MC_Z_LIMIT,
        detail=(
            m(
                r"\lvert \text{estimate} - \text{reference} \rvert / (\text{standard error} + 1/N)",
                "|estimate − reference| / (standard error + 1/N)",
            ),
            "; standard error ",
            Approx(standard_error, 3),
        ),
    )
