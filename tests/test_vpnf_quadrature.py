"""dgm vpnf-bound: the NumPy quadrature and optimisers of its checks, against independent references.

The checks integrate the density as the assignment writes it with fixed Gauss–Legendre rules (vectorised over
NumPy), and maxima are located by Brent's bounded method restated from SciPy. Each is pinned here against a route
that shares none of its code: mpmath.quad at 40 digits of the one-dimensional ‖x‖∞ profile, mpmath's normal CDF and
erf, closed forms by hand, and SciPy (imported in the tests only). Every rule's own error estimate must be honest:
the true error is never above it (plus rounding).
"""

from __future__ import annotations

import math
import subprocess
import sys

import mpmath
import numpy as np
import pytest

from dgm_cli.solvers import vpnf_bounds
from dgm_cli.solvers.vpnf_checks import _quadrature_error
from dgm_cli.solvers.vpnf_maxima import minimize_bounded
from dgm_cli.solvers.vpnf_quadrature import (
    KL_QUAD_TOL,
    QUAD_RTOL,
    TV_QUAD_TOL,
    _bisect_root,
    _standard_normal_mass,
    density_as_written_grid,
    integrate_adaptively,
    integrate_over_support,
    kl_to_gaussian_by_quadrature,
    tv_to_gaussian,
)
from test_vpnf import mp_rel, tv_break_points_mp

MP_DIGITS = 40
ROUNDING = 1e-14  # what summing ~10⁵ float64 terms may add to an honest error estimate, relative

# From the extremes the command accepts (k = 1e-150: a support of half-side 9e149) through the normalising k to a ramp
# thinner than float64 resolves (k = 1e16: ‖x‖∞ = ½ + 9e-17 rounds to ½).
K_VALUES = ["1e-150", "1e-100", "0.001", "0.05", "0.5", "1", "2", "16.779285684893658", "1e6", "1e15", "1e16"]


# --------------------------------------------------------------------------- an independent reference


def profile_integral(k_text, integrand_of_t):
    """∫∫ φ(p(x, y), x² + y²) over the plane through the ‖x‖∞ profile, by mpmath.quad at 40 digits: the density is
    g(t) at t = ‖x‖∞, the square {‖x‖∞ ≤ t} has area 4t² and ∫(x² + y²) over it is 8t⁴/3, so dA = 8t dt and
    (x² + y²) dA = 32t³/3 dt. ``integrand_of_t(t, g)`` returns the t-integrand; it is integrated over [0, ½] and
    [½, ½ + 0.9/k], where g is a polynomial."""
    with mpmath.workdps(MP_DIGITS):
        k = mpmath.mpf(k_text)
        half, plateau = mpmath.mpf(1) / 2, mpmath.mpf(9) / 10
        end = half + plateau / k

        def g(t):
            return plateau if t <= half else max(plateau - k * (t - half), mpmath.mpf(0))

        return mpmath.quad(lambda t: integrand_of_t(t, g(t)), [0, half, end])


def mp_mass(k_text):
    return profile_integral(k_text, lambda t, g: g * 8 * t)


def float_support(k_text):
    k = float(mpmath.mpf(k_text))
    return k, 0.5 + 0.9 / k, float(mp_mass(k_text))


# --------------------------------------------------------------------------- the double rule over the support


@pytest.mark.parametrize("k_text", K_VALUES)
def test_mass_and_second_moment_match_the_profile_integral_with_an_honest_estimate(k_text):
    """∫∫ p and ∫∫ ‖x‖² p/Z of the as-written density against mpmath's profile integral (rel 1e-13); the estimate is
    below QUAD_RTOL and bounds the true error. The density is linear on each piece, so the rule is exact to rounding."""
    k, ramp_end, mass = float_support(k_text)
    density = lambda x, y: density_as_written_grid(x, y, k, ramp_end)  # noqa: E731
    value, estimate = integrate_over_support(density, ramp_end, QUAD_RTOL)
    reference = mp_mass(k_text)
    assert mp_rel(value, reference) < 1e-13
    assert estimate <= QUAD_RTOL * value
    assert abs(mpmath.mpf(value) - reference) <= estimate + ROUNDING * abs(reference)

    value, estimate = integrate_over_support(
        lambda x, y: (x * x + y * y) * (density_as_written_grid(x, y, k, ramp_end) / mass), ramp_end, QUAD_RTOL
    )
    reference = profile_integral(k_text, lambda t, g: g * 32 * t**3 / 3) / mp_mass(k_text)
    assert mp_rel(value, reference) < 1e-13
    assert abs(mpmath.mpf(value) - reference) <= estimate + ROUNDING * abs(reference)


def mp_kl(k_text, variance_text, scaled):
    """KL(p‖N(0, σ²I)) (times σ² when ``scaled``) from the profile: ∫ p(log p + log 2πσ²) dA + ∫ p‖x‖² dA/(2σ²)."""
    with mpmath.workdps(MP_DIGITS):
        variance, mass = mpmath.mpf(variance_text), mp_mass(k_text)

        def entropy_part(t, g):
            p = g / mass
            return p * (mpmath.log(p) + mpmath.log(2 * mpmath.pi * variance)) * 8 * t if p > 0 else mpmath.mpf(0)

        entropy = profile_integral(k_text, entropy_part)
        moment = profile_integral(k_text, lambda t, g: g / mass * 32 * t**3 / 3)
        return variance * entropy + moment / 2 if scaled else entropy + moment / (2 * variance)


@pytest.mark.parametrize(
    "k_text, variance_text",
    [("16.779285684893658", "0.0929120372275411"), ("16.779285684893658", "1"), ("2", "1"), ("0.05", "1"),
     ("0.05", "68.4514"), ("1e6", "0.0833335"), ("1e-100", "1"), ("1e-150", "1"), ("16.779285684893658", "1e308"),
     ("1e16", "1")],
)  # fmt: skip
def test_kl_to_gaussian_matches_the_profile_integral(k_text, variance_text):
    """∫ p log(p/q) with its edge singularity (p log p has an infinite slope where p reaches 0) against mpmath (rel
    1e-12, 10⁴ below KL_QUAD_TOL); the estimate is below KL_QUAD_TOL and bounds the true error."""
    k, ramp_end, mass = float_support(k_text)
    variance = float(variance_text)
    value, estimate = kl_to_gaussian_by_quadrature(k, ramp_end, mass, math.log(variance))
    reference = mp_kl(k_text, variance_text, scaled=False)
    assert mp_rel(value, reference) < 1e-12, (value, reference)
    assert estimate <= KL_QUAD_TOL * abs(value)
    assert abs(mpmath.mpf(value) - reference) <= estimate + ROUNDING * abs(reference)


def test_kl_at_the_smallest_variance_is_integrated_times_the_variance():
    """σ² = 5e-324 (--det 5e-324): E‖x‖²/(2σ²) ≈ 1e322 would leave float64, so σ²·KL is integrated (scale = σ²,
    scale/σ² = 1) and matches mpmath's σ²·KL (rel 1e-12)."""
    k_text = "16.779285684893658"
    k, ramp_end, mass = float_support(k_text)
    value, estimate = kl_to_gaussian_by_quadrature(k, ramp_end, mass, math.log(5e-324), 5e-324, 1.0)
    with mpmath.workdps(MP_DIGITS):
        reference = mp_kl(k_text, mpmath.mpf(5e-324), scaled=True)  # the float64 subnormal itself
    assert mp_rel(value, reference) < 1e-12
    assert abs(mpmath.mpf(value) - reference) <= estimate + ROUNDING * abs(reference)


def test_a_smooth_integrand_off_the_pieces_is_refined_until_its_estimate_passes():
    """exp(−10‖x‖²) is no polynomial on the pieces: the first rule's estimate exceeds the tolerance, the rule is
    refined (more nodes, more levels), and the result matches 4·(√π/(2√10)·erf(√10·L))² (rel 1e-12)."""
    ramp_end = 1.3
    calls = []

    def integrand(x, y):
        calls.append(x.size)
        return np.exp(-10.0 * (x * x + y * y))

    value, estimate = integrate_over_support(integrand, ramp_end, 1e-12)
    with mpmath.workdps(MP_DIGITS):
        side = mpmath.sqrt(mpmath.pi / 10) / 2 * mpmath.erf(mpmath.sqrt(10) * mpmath.mpf(ramp_end))
        reference = 4 * side**2
    assert mp_rel(value, reference) < 1e-12
    assert estimate <= 1e-12 * value
    assert abs(mpmath.mpf(value) - reference) <= estimate + ROUNDING * reference
    assert len(calls) > 10  # two rules of 5 pieces each would be 10 calls: it was refined


def test_a_check_fails_when_the_rule_misses_its_tolerance():
    """A discontinuity inside a piece (not at a break point) keeps the estimate high; the check's error is then the
    estimate, above the tolerance, so the check cannot pass on an unconverged rule."""
    value, estimate = integrate_over_support(lambda x, y: np.where(x + y > 0.7, 1.0, 0.0), 1.0, QUAD_RTOL)
    assert estimate > QUAD_RTOL * abs(value)
    assert _quadrature_error(value, value, estimate) == pytest.approx(estimate / abs(value), rel=1e-15)
    assert _quadrature_error(value, value, estimate) > QUAD_RTOL * 10  # check_mass's tolerance


# --------------------------------------------------------------------------- the adaptive rule in one variable


@pytest.mark.parametrize("edges", [[0.0, 1 / 3, 1.0], [0.0, 1.0]])
def test_adaptive_rule_reaches_a_kink_with_an_honest_estimate(edges):
    """∫₀¹ |x − ⅓|^{3/2} = ((⅓)^{5/2} + (⅔)^{5/2})/(5/2), with the kink at a break point or inside a panel (found by
    halving): rel 1e-14, and the estimate bounds the true error."""
    value, estimate = integrate_adaptively(lambda x: np.abs(x - 1 / 3) ** 1.5, edges, 1e-15)
    with mpmath.workdps(MP_DIGITS):
        third = mpmath.mpf(1) / 3
        reference = (third**2.5 + (2 * third) ** 2.5) / mpmath.mpf(2.5)
    assert mp_rel(value, reference) < 1e-14
    assert abs(mpmath.mpf(value) - reference) <= estimate + 4e-16 * reference


def test_adaptive_rule_resolves_a_jump_to_float64():
    """A step at x = 1/3 (not a break point): the panel holding it is halved down to float64's spacing, and the
    estimate (rounding, or the last panel) bounds the true error of 2/3."""
    value, estimate = integrate_adaptively(lambda x: np.where(x > 1 / 3, 1.0, 0.0), [0.0, 1.0], 1e-13)
    assert abs(value - 2 / 3) <= estimate + 1e-15
    assert abs(value - 2 / 3) < 1e-13


@pytest.mark.parametrize(
    "a, b",
    [(0.0, 1e-10), (0.0, 1.0), (0.0, 40.0), (1e-300, 1.0), (1.0, 2.0), (5.0, 5.0001), (30.0, 31.0), (37.0, 38.0)],
)
def test_standard_normal_mass_matches_mpmath(a, b):
    """Φ(b) − Φ(a) from math.erf/erfc against mpmath's ncdf at 40 digits, the tails included (Φ(−37) ≈ 6e-300). The
    error is within the conditioning of the difference: a few ulps of the larger tail Q(a), times 1 + a² in the far
    tail, where d log Q/da ≈ −a turns the rounding of a/√2 into a²·ε relative (as scipy.special.ndtr does)."""
    value = float(_standard_normal_mass(np.array([a]), np.array([b]))[0])
    with mpmath.workdps(MP_DIGITS):
        reference = mpmath.ncdf(-a) - mpmath.ncdf(-b)  # = Φ(b) − Φ(a), from the upper tails
        scale = mpmath.ncdf(-a) if a > 0 else reference
        assert abs(mpmath.mpf(value) - reference) <= 8 * sys.float_info.epsilon * (1 + a * a) * scale


@pytest.mark.parametrize("root", [3e100, 0.7, 0.5000001])
def test_break_point_root_is_found_to_neighbouring_floats_across_150_decades(root):
    """The bisection replacing brentq: x/root − 1 on [½, 1e150] in under 100 evaluations, to the neighbouring floats
    (in log x while the bracket spans more than a factor 2, then in x)."""
    calls = []

    def f(x):
        calls.append(x)
        return x / root - 1.0

    found = _bisect_root(f, 0.5, 1e150)
    assert abs(found - root) <= math.ulp(root)
    assert len(calls) < 100


def tv_reference(k, end, mass, variance, points):
    """δ(p, N(0, σ²I)) = 8 ∫₀ᴸ [p (x − y₀) − ∫_{y₀}^{x} q dy] dx by mpmath.quad at 40 digits (the inner integral with
    mpmath's erf), split at the given kinks of the integrand."""
    with mpmath.workdps(MP_DIGITS):
        k, end, mass, variance = (mpmath.mpf(v) for v in (k, end, mass, variance))
        sigma, half, plateau = mpmath.sqrt(variance), mpmath.mpf(1) / 2, mpmath.mpf(9) / 10

        def inner(x):
            g = plateau if x <= half else plateau - k * (x - half)
            if g <= 0:
                return mpmath.mpf(0)
            p = g / mass
            y0_squared = -2 * variance * mpmath.log(2 * mpmath.pi * variance * p) - x * x
            y0 = min(mpmath.sqrt(y0_squared), x) if y0_squared > 0 else mpmath.mpf(0)
            # ∫ q dy from y₀ to x: e^(−x²/(2σ²))/(2πσ²) · σ√(π/2) · (erf(x/(√2σ)) − erf(y₀/(√2σ)))
            gaussian = mpmath.exp(-x * x / (2 * variance)) * sigma * mpmath.sqrt(mpmath.pi / 2)
            gaussian /= 2 * mpmath.pi * variance
            scale = mpmath.sqrt(2) * sigma
            return p * (x - y0) - gaussian * (mpmath.erf(x / scale) - mpmath.erf(y0 / scale))

        return 8 * mpmath.quad(inner, [0, *points, end])


def ramp_roots_by_fixed_point(k, mass, variance):
    """Where p = q meets y = 0 (m = 1) and y = x (m = 2) on the ramp of a wide Gaussian: g(x) = Z e^(−m x²/(2σ²))/(2πσ²)
    as x = ½ + (0.9 − Z e^(−m x²/(2σ²))/(2πσ²))/k, a contraction when σ² ≫ 1 (its slope is ~x/σ⁴), iterated in mpmath.
    For σ² = 1e4, k = 2 the two roots lie 7e-10 apart, closer than the 40,001-point grid of tv_break_points_mp."""
    with mpmath.workdps(MP_DIGITS):
        k, mass, variance = (mpmath.mpf(v) for v in (k, mass, variance))
        roots = []
        for m_ in (1, 2):
            x = mpmath.mpf(1) / 2 + mpmath.mpf(9) / 10 / k
            for _ in range(50):
                g = mass * mpmath.exp(-m_ * x * x / (2 * variance)) / (2 * mpmath.pi * variance)
                x = mpmath.mpf(1) / 2 + (mpmath.mpf(9) / 10 - g) / k
            roots.append(x)
        return sorted(roots)


@pytest.mark.parametrize(
    "k, variance",
    [(16.779285684893658, 0.0929120372275411), (16.779285684893658, 1.0), (1.0, 0.40832302405498286), (2.0, 1e-4),
     (2.0, 1e4), (1e-150, 1.0), (1e16, 0.08333333333333333)],
)  # fmt: skip
def test_tv_to_gaussian_matches_mpmath_with_an_honest_estimate(k, variance):
    """δ(p, N(0, σ²I)) against 40-digit mpmath with its own break points (rel 1e-13): the normalising k, k = 1 (three
    roots on the ramp, two 0.026 apart), q far narrower (σ² = 1e-4) and far wider (1e4, two roots 7e-10 apart) than
    p, k = 1e-150 (δ ≈ 1), and the empty ramp (k = 1e16). The estimate is below TV_QUAD_TOL and bounds the error."""
    ramp_end = 0.5 + 0.9 / k
    mass = 0.9 + 1.62 / k + 0.972 / k**2
    value, estimate = tv_to_gaussian(k, ramp_end, mass, variance)
    with mpmath.workdps(MP_DIGITS):
        points = tv_break_points_mp(mpmath.mpf(k), mpmath.mpf(ramp_end), mpmath.mpf(mass), mpmath.mpf(variance))
    if variance > 100:
        points = sorted({*points, *ramp_roots_by_fixed_point(k, mass, variance)})
    reference = tv_reference(k, ramp_end, mass, variance, points)
    assert mp_rel(value, reference) < 1e-13, (value, reference)
    assert estimate <= TV_QUAD_TOL * value
    assert abs(mpmath.mpf(value) - reference) <= estimate + 4e-16 * reference


# --------------------------------------------------------------------------- the bounded minimisation


def brent_cases():
    """The functions the checks and the derivation minimise, and harder ones: a smooth maximum (the best-ε check's
    −t(1 − t)/(h − td)), a kink (the c = 1 bound at h − 1/(2π)), +∞ on part of the interval (−log vol(A) beyond
    r² = 0), the log1p form of best_eps_for_vp, a maximum at an end, a flat function and a narrow well."""
    h = 0.9
    d = h - 1 / math.e
    tau = 0.8
    top = -math.log(2 * math.pi) - math.log(tau)

    def minus_log_volume(log_c):
        r_squared = -2.0 * (math.log(2 * math.pi) + log_c + math.log(tau))
        return -(log_c + math.log(math.pi) + math.log(r_squared)) if r_squared > 0.0 else math.inf

    def minus_vp_bound(e, plateau=0.9):
        r_squared = -2.0 * math.log(2 * math.pi * (plateau - e))
        return -(e * (1.0 - min(1.0, math.pi * max(r_squared, 0.0))))

    tau0 = math.exp(-1 / (2 * math.pi)) / (2 * math.pi)

    def minus_scaled_bound(t, end=0.02):
        y = end * (1.0 - t) / tau0
        return -(t * (1.0 - t) * (2 * math.pi / tau0) * (math.log1p(y) / y if y > 0.0 else 1.0))

    return [
        (lambda t: -t * (1.0 - t) / (h - t * d), 0.0, 1.0, 1e-12),
        (minus_vp_bound, 0.0, 0.9 - math.exp(-1 / (2 * math.pi)) / (2 * math.pi), 1e-12 * 0.74),
        (minus_log_volume, top - 40.0, top, 1e-12),
        (minus_scaled_bound, 0.0, 1.0, 1e-12),
        (lambda x: x, -3.0, 5.0, 1e-10),
        (lambda x: 1.0, 0.0, 1.0, 1e-12),
        (lambda x: -math.exp(-((x - 0.123456) ** 2) * 1e8), -1.0, 1.0, 1e-12),
        (lambda x: abs(x - 1e-300), 0.0, 1.0, 1e-12),
    ]


@pytest.mark.parametrize("case", range(8))
def test_bounded_brent_restatement_returns_scipys_floats_bit_for_bit(case):
    """minimize_bounded against scipy.optimize.minimize_scalar(method="bounded") (imported in the test only): the same
    minimiser and value, compared with ==, on each function the checks use and on harder ones."""
    from scipy.optimize import minimize_scalar

    f, low, high, xatol = brent_cases()[case]
    x, value = minimize_bounded(f, low, high, xatol)
    found = minimize_scalar(f, bounds=(low, high), method="bounded", options={"xatol": xatol})
    assert float(x) == float(found.x) and float(value) == float(found.fun)


def test_bounded_brent_restatement_matches_scipy_on_random_quartics():
    """200 random quartics on random intervals with random tolerances: the same floats as SciPy's (==)."""
    from scipy.optimize import minimize_scalar

    rng = np.random.default_rng(11)
    for _ in range(200):
        c = rng.normal(size=5)
        low = float(rng.uniform(-3, 0))
        high = low + float(rng.uniform(0.1, 6))

        def f(x, c=c):
            return float((((c[4] * x + c[3]) * x + c[2]) * x + c[1]) * x + c[0])

        xatol = float(10.0 ** rng.uniform(-12, -4))
        x, value = minimize_bounded(f, low, high, xatol)
        found = minimize_scalar(f, bounds=(low, high), method="bounded", options={"xatol": xatol})
        assert float(x) == float(found.x) and float(value) == float(found.fun)


# --------------------------------------------------------------------------- what the command loads


@pytest.mark.parametrize(
    "args",
    [[], ["--k", "2", "--eps", "0.1"], ["--eps", "best", "--det", "1/10"], ["--k", "1e6", "--eps", "0.2"],
     ["--k", "1", "--eps", "best"], ["--k", "0.5", "--eps", "0.1"], ["--k", "1e-150", "--eps", "1e-301"],
     ["--k", "1e400", "--eps", "0.1", "--det", "1e400"]],
)  # fmt: skip
def test_vpnf_bound_runs_without_scipy(args):
    """No scipy module is loaded, for the default run and across the accepted range of k (k below ~0.738 too, where
    the derivation's best ε for c = 1 comes from Brent's method)."""
    code = (
        "import sys; from typer.testing import CliRunner; from dgm_cli.cli import app; "
        f"r = CliRunner().invoke(app, ['vpnf-bound', *{args!r}, '--json']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_normalising_counterexample_from_the_cache_equals_the_derived_one():
    """The default k's exact values (kept on disk) are the expressions the class derives: mass 1, h = 9/10."""
    k = vpnf_bounds.default_k()
    cached = vpnf_bounds.counterexample(k)
    derived = vpnf_bounds.Counterexample(k)
    for name in vpnf_bounds._EXACT_VALUES:
        assert getattr(cached, name) == getattr(derived, name), name
    assert cached.mass == 1 and cached.plateau == vpnf_bounds.sympy.Rational(9, 10)
