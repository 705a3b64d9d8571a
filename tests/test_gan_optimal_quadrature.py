"""gan-optimal's own numerics in NumPy: the tanh-sinh rule, the Newton fits, and the cached proof.

The tanh-sinh rule restates scipy.integrate.tanhsinh in NumPy (SciPy's import cost ~0.4 s): it must give the very
same floats (integrals, error estimates, convergence) as SciPy on every integrand the command integrates, and
agree with mpmath at 30+ digits where the rule is asked for 1e-13. The Newton fits replace scipy.optimize.minimize:
checked against the known optimum of a family that contains it, and against SciPy's optimiser. SciPy is imported
here, in the tests only.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy.integrate import tanhsinh as scipy_tanhsinh

from dgm_cli.distributions import parse_distribution
from dgm_cli.solvers import gan_optimal_checks, gan_optimal_fit, gan_optimal_integrals
from dgm_cli.solvers.gan_optimal_fit import (
    FIT_GTOL,
    FIT_GTOL_CATEGORICAL,
    FIT_TOLERANCE_EXACT,
    FIT_TOLERANCE_MIXTURE,
    _fit_logistic,
    _fit_separable,
    _logistic_loss,
    fit_discriminator,
)
from dgm_cli.solvers.gan_optimal_integrals import (
    integrate_density,
    integrate_jsd,
    integrate_loss_at_optimum,
    jsd_integrand,
    loss_integrand_at_optimum,
    quadrature_pieces,
)
from dgm_cli.solvers.gan_optimal_proof import pointwise_proof, proof_steps
from dgm_cli.solvers.numerics import logsumexp, sigmoid
from dgm_cli.solvers.quadrature import QUAD_ATOL, QUAD_RTOL, tanh_sinh

# The hard pairs: far apart, nearly equal, disjoint and partly overlapping uniforms, Laplace kinks, mixtures,
# uniform against normal, modes at ±1e9, scales 1e-9 against 1e9, and a uniform end 1e-9 past another.
HARD_PAIRS = [
    ("normal(0,1)", "normal(2,1)"),
    ("normal(0,1)", "normal(40,1)"),
    ("normal(0,1)", "normal(1e9,1)"),
    ("normal(0,1)", "normal(0,1.000000001)"),
    ("uniform(0,1)", "uniform(2,3)"),
    ("uniform(0,1)", "uniform(0.5,2)"),
    ("uniform(0,1)", "uniform(0,1.000000001)"),
    ("laplace(0,1)", "normal(0,1)"),
    ("laplace(0,1)", "laplace(0.001,1)"),
    ("mixture(0.3*normal(0,1), 0.7*normal(4,0.5))", "normal(2,2)"),
    ("mixture(0.5*normal(-1e9,1), 0.5*normal(1e9,1))", "normal(0,1)"),
    ("uniform(0,1)", "normal(0,1)"),
    ("normal(0,1e-9)", "normal(0,1e9)"),
    ("mixture(0.2*uniform(0,1), 0.3*laplace(1,0.01), 0.5*normal(3,2))", "laplace(1,2)"),
]


def pair(data: str, gen: str):
    return parse_distribution(data, "--data"), parse_distribution(gen, "--gen")


def _scipy(integrand, low, high, args=(), atol=QUAD_ATOL):
    with np.errstate(over="ignore", under="ignore"):
        result = scipy_tanhsinh(integrand, low, high, args=args, rtol=QUAD_RTOL, atol=atol)
    return result.integral, result.error, result.status == 0


def _assert_same_floats(ours, theirs):
    for mine, reference in zip(ours, theirs):
        assert np.array_equal(np.asarray(mine), np.asarray(reference)), (mine, reference)


# --------------------------------------------------------------------------- bit for bit against SciPy


@pytest.mark.parametrize(("data", "gen"), HARD_PAIRS)
def test_tanh_sinh_gives_scipys_floats_for_every_integrand_of_the_command(data, gen):
    """Integrals, error estimates and convergence flags equal SciPy's tanhsinh exactly (no tolerance), for L(D*),
    JSD (also with the small absolute tolerance of its second pass), both densities and the perturbations."""
    data, gen = pair(data, gen)
    pieces = quadrature_pieces(data, gen)

    def of(function):
        def integrand(u, piece, *rest):
            values = pieces.values(data, gen, u, piece)
            return function(values.log_p_data, values.log_p_gen, values.log_ratio)

        return integrand

    integrands = [
        (of(loss_integrand_at_optimum), QUAD_ATOL),
        (of(jsd_integrand), QUAD_ATOL),
        (of(jsd_integrand), 1e-35),
        (of(lambda lp, lq, h: np.exp(lp)), QUAD_ATOL),
        (of(lambda lp, lq, h: np.exp(lq)), QUAD_ATOL),
    ]
    for integrand, atol in integrands:
        ours = tanh_sinh(integrand, pieces.low, pieces.high, args=(pieces.index,), rtol=QUAD_RTOL, atol=atol)
        _assert_same_floats(ours, _scipy(integrand, pieces.low, pieces.high, (pieces.index,), atol))

    # The perturbations: a second argument of shape (12, 1), broadcast against the pieces.
    low, high = gan_optimal_integrals.finite_span(data, gen)
    perturbations = gan_optimal_checks.random_perturbations(0, (low + high) / 2, max((high - low) / 2, 1e-300))

    def perturbed(u, piece, index):
        values = pieces.values(data, gen, u, piece)
        x = pieces.anchors[piece.astype(np.int64)] + u
        log_d = perturbations.log_perturbed(values.log_ratio, x, index)
        return gan_optimal_checks.loss_increase_integrand(values.log_p_data, values.log_p_gen, values.log_ratio, *log_d)

    index = np.arange(perturbations.count, dtype=np.float64)[:, None]
    ours = tanh_sinh(perturbed, pieces.low, pieces.high, args=(pieces.index, index))
    _assert_same_floats(ours, _scipy(perturbed, pieces.low, pieces.high, (pieces.index, index)))


GENERIC = [
    # (integrand, low, high): smooth, infinite ends, end-point singularities, an empty interval, a piece that does
    # not converge by level 10 (sin(1/x)), one that overflows (1/x² at 0), and a sum that is not finite.
    (lambda x: np.exp(-x), 0.0, np.inf),
    (lambda x: np.exp(x), -np.inf, 0.0),
    (lambda x: np.exp(-((x - 3) ** 2)), 2.5, np.inf),
    (lambda x: 1 / np.sqrt(x), 0.0, 1.0),
    (lambda x: np.log(x), 0.0, 1.0),
    (lambda x: np.cos(x), 0.0, 100.0),
    (lambda x: np.sin(1 / x), 0.0, 1.0),
    (lambda x: x**-2.0, 0.0, 1.0),
    (lambda x: np.full_like(x, np.inf), 0.0, 1.0),
    (lambda x: np.ones_like(x), 2.0, 2.0),
    (lambda x: 1 / (1 + x * x), -np.inf, -1e6),
]


@pytest.mark.parametrize(("integrand", "low", "high"), GENERIC, ids=range(len(GENERIC)))
def test_tanh_sinh_gives_scipys_floats_on_generic_integrands(integrand, low, high):
    for atol in (QUAD_ATOL, 0.0):
        with np.errstate(all="ignore"):
            ours = tanh_sinh(lambda x: integrand(x), low, high, rtol=QUAD_RTOL, atol=atol)
            with np.errstate(over="ignore", under="ignore"):
                result = scipy_tanhsinh(integrand, low, high, rtol=QUAD_RTOL, atol=atol)
        assert np.array_equal(ours[0], result.integral, equal_nan=True)
        assert np.array_equal(ours[1], result.error, equal_nan=True)
        assert bool(ours[2]) == bool(result.status == 0)


def test_tanh_sinh_vectorised_over_intervals_and_arguments_matches_one_at_a_time():
    """Rows drop out as they converge: the others' numbers must not depend on it."""
    low = np.array([0.0, -np.inf, 0.0, 1.0])
    high = np.array([np.inf, 0.0, 1.0, 1.0])
    scale = np.array([[0.5], [1.0], [3.0]])

    def integrand(x, scale):
        return np.exp(-scale * np.abs(x)) * (1 + np.cos(x))

    values, errors, converged = tanh_sinh(integrand, low, high, args=(scale,))
    assert values.shape == errors.shape == converged.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = tanh_sinh(integrand, low[j], high[j], args=(scale[i, 0],))
            assert (one[0], one[1], bool(one[2])) == (values[i, j], errors[i, j], bool(converged[i, j]))


def test_tanh_sinh_refuses_reversed_or_doubly_infinite_intervals():
    with pytest.raises(ValueError):
        tanh_sinh(np.exp, 1.0, 0.0)
    with pytest.raises(ValueError):
        tanh_sinh(np.exp, -np.inf, np.inf)


# --------------------------------------------------------------------------- against mpmath


@pytest.mark.parametrize(
    ("integrand", "low", "high", "exact"),
    [
        (lambda x: np.exp(-x), 0.0, np.inf, mpmath.mpf(1)),
        (lambda x: 1 / np.sqrt(x), 0.0, 1.0, mpmath.mpf(2)),
        (lambda x: np.log(x), 0.0, 1.0, mpmath.mpf(-1)),
        (lambda x: np.exp(-x * x / 2), -np.inf, -8.0, mpmath.sqrt(2 * mpmath.pi) * mpmath.ncdf(-8)),
        (lambda x: 1 / (1 + x * x), 1.0, np.inf, mpmath.pi / 4),
    ],
    ids=["exp", "inverse-sqrt", "log", "normal-tail", "arctan"],
)
def test_tanh_sinh_meets_its_tolerance_against_mpmath(integrand, low, high, exact):
    """Converged, within max(1e-13·|I|, 1e-16) of the exact value (mpmath at 40 digits), and the reported error
    estimate is at least the true error."""
    with mpmath.workdps(40):
        exact = float(exact)
    with np.errstate(divide="ignore"):
        value, error, converged = tanh_sinh(integrand, low, high)
    assert converged
    assert abs(value - exact) <= max(QUAD_RTOL * abs(exact), QUAD_ATOL) + 4 * np.finfo(float).eps * abs(exact)
    assert abs(value - exact) <= max(float(error), 4 * np.finfo(float).eps * abs(exact))


def _mp_jsd(data_pdf, gen_pdf, breaks) -> mpmath.mpf:
    """½∫ p log(2p/(p + q)) + ½∫ q log(2q/(p + q)) by mpmath.quad at 50 digits, from the definition."""

    def integrand(x):
        p, q = data_pdf(x), gen_pdf(x)
        if p + q == 0:
            return mpmath.mpf(0)
        left = p * mpmath.log(2 * p / (p + q)) if p > 0 else 0
        right = q * mpmath.log(2 * q / (p + q)) if q > 0 else 0
        return (left + right) / 2

    return mpmath.quad(integrand, [-mpmath.inf, *breaks, mpmath.inf])


def _uniform(a, b):
    return lambda x: mpmath.mpf(1) / (b - a) if a <= x <= b else mpmath.mpf(0)


def _laplace(mu, b):
    return lambda x: mpmath.exp(-abs(x - mu) / b) / (2 * b)


MP_CASES = [
    # (data, gen, data pdf, gen pdf, breaks for mpmath, relative tolerance)
    ("normal(0,1)", "normal(2,1)", lambda x: mpmath.npdf(x, 0, 1), lambda x: mpmath.npdf(x, 2, 1),
     [-8, 0, 2, 10], 1e-12),
    ("normal(0,1)", "normal(40,1)", lambda x: mpmath.npdf(x, 0, 1), lambda x: mpmath.npdf(x, 40, 1),
     [-8, 0, 8, 20, 32, 40, 48], 1e-12),
    ("uniform(0,1)", "uniform(0.5,2)", _uniform(0, 1), _uniform(mpmath.mpf("0.5"), 2), [0, 0.5, 1, 2], 1e-12),
    ("uniform(0,1)", "uniform(2,3)", _uniform(0, 1), _uniform(2, 3), [0, 1, 2, 3], 1e-12),
    ("laplace(0,1)", "normal(0,1)", _laplace(0, 1), lambda x: mpmath.npdf(x, 0, 1), [-10, -1, 0, 1, 10], 1e-12),
    ("uniform(0,1)", "normal(0,1)", _uniform(0, 1), lambda x: mpmath.npdf(x, 0, 1), [-8, 0, 1, 8], 1e-12),
    (
        "mixture(0.3*normal(0,1), 0.7*normal(4,0.5))",
        "normal(2,2)",
        lambda x: mpmath.mpf("0.3") * mpmath.npdf(x, 0, 1) + mpmath.mpf("0.7") * mpmath.npdf(x, 4, mpmath.mpf("0.5")),
        lambda x: mpmath.npdf(x, 2, 2),
        [-14, -3, 0, 2, 3, 4, 5, 18],
        1e-12,
    ),
    # JSD ≈ 2.5e-19: relative accuracy from the second pass with an absolute tolerance scaled to the value.
    (
        "normal(0,1)",
        "normal(0,1.000000001)",
        lambda x: mpmath.npdf(x, 0, 1),
        lambda x: mpmath.npdf(x, 0, mpmath.mpf("1.000000001")),
        [-10, -3, 0, 3, 10],
        1e-9,
    ),
]


@pytest.mark.parametrize(
    ("data", "gen", "data_pdf", "gen_pdf", "breaks", "rtol"), MP_CASES, ids=[c[0] + " vs " + c[1] for c in MP_CASES]
)
def test_jsd_and_loss_by_the_numpy_rule_match_mpmath(data, gen, data_pdf, gen_pdf, breaks, rtol):
    """JSD against mpmath.quad at 50 digits (relative 1e-12; 1e-9 for the nearly equal normals, whose JSD is
    2.5e-19), L(D*) against log 4 − 2·JSD (absolute 1e-12), ∫p = 1 (absolute 1e-12), every quadrature converged."""
    with mpmath.workdps(50):
        reference = _mp_jsd(data_pdf, gen_pdf, [mpmath.mpf(b) for b in breaks])
        loss_reference = float(mpmath.log(4) - 2 * reference)
        reference = float(reference)
    data, gen = pair(data, gen)
    jsd, loss = integrate_jsd(data, gen), integrate_loss_at_optimum(data, gen)
    assert jsd.converged and loss.converged
    assert float(jsd.value) == pytest.approx(reference, rel=rtol, abs=0)
    assert float(loss.value) == pytest.approx(loss_reference, abs=1e-12)
    for side in ("data", "gen"):
        integral = integrate_density(data, gen, side)
        assert integral.converged and abs(float(integral.value) - 1) < 1e-12


# --------------------------------------------------------------------------- the Newton fits


def _piece_weights(data: str, gen: str, piece: int, degree: int):
    """The fit's weights and features on one piece, as fit_discriminator builds them."""
    data, gen = pair(data, gen)
    pieces = quadrature_pieces(data, gen)
    nodes, node_weights = np.polynomial.legendre.leggauss(gan_optimal_fit.FIT_NODES)
    end = float(pieces.high[piece])
    u = end / 2 + end / 2 * nodes
    values = pieces.values(data, gen, u, np.full(u.shape, piece))
    log_w = np.log(end / 2 * node_weights)
    log_data, log_gen = log_w + values.log_p_data, log_w + values.log_p_gen
    mass = logsumexp(np.concatenate([log_data, log_gen]))
    features = np.polynomial.chebyshev.chebvander(nodes, degree)
    return features, np.exp(log_data - mass), np.exp(log_gen - mass), values.log_ratio


@pytest.mark.parametrize(
    ("data", "gen"), [("normal(0,1)", "normal(2,1)"), ("normal(0,1)", "normal(1,2)"), ("laplace(0,1)", "normal(0,1)")]
)
def test_newton_fit_recovers_the_logit_when_the_family_contains_it(data, gen):
    """The optimum of the expected loss is f = h = log p_data − log p_g at every node (the family holds h, a
    polynomial of degree ≤ 2 on each piece): θ against the least-squares solution of features·θ = h (no optimiser),
    σ(f) within 1e-12 of σ(h); the gradient's norm at most FIT_GTOL."""
    for piece in (3, 6, 9):
        features, weight_data, weight_gen, h = _piece_weights(data, gen, piece, 2)
        theta, iterations = _fit_logistic(features, weight_data, weight_gen)
        exact = np.linalg.lstsq(features, h, rcond=None)[0]
        f = features @ theta
        assert np.max(np.abs(sigmoid(f) - sigmoid(h))) < 1e-12
        assert np.max(np.abs(theta - exact)) < 1e-9 * max(1.0, np.max(np.abs(exact)))
        assert np.linalg.norm(_logistic_loss(features, weight_data, weight_gen, theta)[1]) <= FIT_GTOL
        assert 0 < iterations < 50


@pytest.mark.parametrize(
    ("data", "gen", "degree"),
    [
        ("mixture(0.3*normal(0,1), 0.7*normal(4,0.5))", "normal(2,2)", 10),
        ("normal(0,1e-9)", "normal(0,1e9)", 2),
        ("uniform(0,1)", "normal(0,1)", 2),  # a piece where p_data = 0: the logit runs to −∞
    ],
)
def test_newton_fit_reaches_scipys_optimum_of_the_same_loss(data, gen, degree):
    """The expected loss at Newton's θ is at most SciPy's trust-exact optimum's (the same loss, gradient and
    Hessian), up to what the shared gradient tolerance allows, on every piece with two finite ends."""
    from scipy.optimize import minimize

    count = len(quadrature_pieces(*pair(data, gen)).knots) - 1
    for piece in range(1, count - 1):
        features, weight_data, weight_gen, _ = _piece_weights(data, gen, piece, degree)
        theta, _ = _fit_logistic(features, weight_data, weight_gen)

        def objective(t, features=features, weight_data=weight_data, weight_gen=weight_gen):
            value, gradient, _ = _logistic_loss(features, weight_data, weight_gen, t)
            return value, gradient

        def hessian(t, features=features, total=weight_data + weight_gen):
            f = features @ t
            curvature = total * sigmoid(f) * sigmoid(-f)
            return features.T @ (curvature[:, None] * features)

        reference = minimize(
            objective, np.zeros(degree + 1), jac=True, hess=hessian, method="trust-exact",
            options={"gtol": FIT_GTOL, "maxiter": 500},
        )  # fmt: skip
        # Both stop at a gradient norm of at most FIT_GTOL; by convexity F(θ) − F* ≤ ‖g(θ)‖·‖θ − θ*‖.
        assert objective(theta)[0] <= reference.fun + FIT_GTOL * max(1.0, np.linalg.norm(theta - reference.x))


def test_separable_newton_fit_gives_each_categorys_log_ratio():
    """One logit per category: θ_k = log(p_k/q_k) (math.log of the exact ratio) to 1e-9 where both are positive;
    σ(θ_k) within 1e-10 of 1 or 0 where one side is 0; 0 where both are; the gradient's norm at most the tolerance."""
    p = [Fraction(1, 5), Fraction(3, 10), Fraction(1, 2), Fraction(0), Fraction(0)]
    q = [Fraction(1, 2), Fraction(1, 4), Fraction(0), Fraction(1, 4), Fraction(0)]
    weight_data = np.array([float(a / (a + b)) if a + b else 0.0 for a, b in zip(p, q)])
    weight_gen = np.array([float(b / (a + b)) if a + b else 0.0 for a, b in zip(p, q)])
    theta, _ = _fit_separable(weight_data, weight_gen)
    for k in range(3 - 1):
        assert theta[k] == pytest.approx(math.log(p[k] / q[k]), abs=1e-9)
    assert sigmoid(theta[2]) > 1 - 1e-10 and sigmoid(theta[3]) < 1e-10 and theta[4] == 0.0
    gradient = (weight_data + weight_gen) * sigmoid(theta) - weight_data
    assert np.linalg.norm(gradient) <= FIT_GTOL_CATEGORICAL


@pytest.mark.parametrize(("data", "gen"), [HARD_PAIRS[i] for i in (0, 3, 5, 7, 9, 10, 12)])
def test_fitted_discriminator_approaches_d_star_on_the_hard_pairs(data, gen):
    """max |D_fit − D*| within the check's tolerance (1e-6, or 1e-3 for a mixture's approximation)."""
    data, gen = pair(data, gen)
    fitted = fit_discriminator(data, gen)
    error, _ = gan_optimal_fit.max_fit_error(data, gen, fitted)
    assert error < (FIT_TOLERANCE_EXACT if fitted.contains_optimum else FIT_TOLERANCE_MIXTURE)


# --------------------------------------------------------------------------- imports and the cache


def test_the_default_command_loads_no_scipy():
    code = (
        "import sys; from typer.testing import CliRunner; from dgm_cli.cli import app; "
        "r = CliRunner().invoke(app, ['gan-optimal', '--json']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_cached_proof_is_the_computed_proof():
    """pointwise_proof goes through the disk cache: the pickled result equals a fresh computation, field by field
    and in SymPy's srepr (so every renderer prints the same), and the proof steps built from either agree."""
    import sympy

    fresh = pointwise_proof.__wrapped__()
    cached = pickle.loads(pickle.dumps(fresh))
    for name in fresh.__dataclass_fields__:
        a, b = getattr(fresh, name), getattr(cached, name)
        assert a == b and sympy.srepr(a) == sympy.srepr(b), name
    assert fresh.minimum_identity_holds and fresh.excess_identity_holds and fresh.g_second_positive
    assert pointwise_proof() == fresh
    assert [s.title for s in proof_steps(False)] == [s.title for s in proof_steps(False)]
