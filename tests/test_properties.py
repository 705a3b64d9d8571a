"""Property-based tests (hypothesis) of the mathematical claims, each against an independent route.

f(f⁻¹(x)) = x and the log-density's finite-difference form live in test_flow.py; here: D* is never beaten,
every generator gradient matches a high-precision finite difference, and every lower bound of
vpnf-bound stays below the KL that a concrete constant-determinant flow achieves.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from dgm_cli.solvers import gan_vanishing as vanishing
from dgm_cli.solvers.vpnf import solve as vpnf_bound


GRID = np.linspace(-30, 30, 240_001)  # the trapezoid rule here is exact to ~1e-12 for these smooth integrands


def _integral(values: np.ndarray) -> float:
    return float(integrate.trapezoid(values, GRID))


@settings(max_examples=25, deadline=None)
@given(
    mu=st.floats(-2, 2),
    sigma=st.floats(0.4, 2.5),
    other_mu=st.floats(-2, 2),
    other_sigma=st.floats(0.4, 2.5),
    t=st.floats(0.01, 0.5),
    a=st.floats(-3, 3),
    b=st.floats(-2, 2),
)
def test_optimal_discriminator_is_never_beaten_by_a_perturbed_one(mu, sigma, other_mu, other_sigma, t, a, b):
    """L((1 − t)·D* + t·u) ≥ L(D*) for a random smooth discriminator u, with D* = p/(p + q) from scipy.stats,
    and L(D*) = log 4 − 2·JSD with the JSD from its own definition; L by the trapezoid rule on a fine grid."""
    lp, lq = stats.norm(mu, sigma).logpdf(GRID), stats.norm(other_mu, other_sigma).logpdf(GRID)
    p, q = np.exp(lp), np.exp(lq)
    log_m = np.logaddexp(lp, lq)  # log(p + q)
    log_d, log_one_minus_d = lp - log_m, lq - log_m
    optimum = _integral(-p * log_d - q * log_one_minus_d)
    u = special.expit(a * GRID + b)
    d = (1 - t) * np.exp(log_d) + t * u
    # xlogy: 0·log 0 = 0 where a density underflows to 0 in the far tails
    perturbed = _integral(-special.xlogy(p, d) - special.xlogy(q, (1 - t) * np.exp(log_one_minus_d) + t * special.expit(-(a * GRID + b))))
    assert perturbed >= optimum - 1e-9
    jsd = 0.5 * _integral(p * (lp - log_m + np.log(2))) + 0.5 * _integral(q * (lq - log_m + np.log(2)))
    assert optimum == pytest.approx(np.log(4) - 2 * jsd, abs=1e-9)


def _mp_saturating(h):
    """log(1 − σ(h)) = −log(1 + eʰ), in a form that keeps its digits at 60 decimal places for any h."""
    return -mpmath.log1p(mpmath.exp(h))


def _mp_nonsaturating(h):
    """−log σ(h) = log(1 + e⁻ʰ)."""
    return mpmath.log1p(mpmath.exp(-h))


@settings(max_examples=100, deadline=None)
@given(st.floats(-1000, 1000, allow_nan=False))
def test_generator_gradients_match_high_precision_finite_differences(h):
    """−σ(h) and −σ(−h) against mpmath's numerical derivative of the two losses at 60 digits."""
    with mpmath.workdps(60):
        saturating = float(mpmath.diff(_mp_saturating, mpmath.mpf(h)))
        nonsaturating = float(mpmath.diff(_mp_nonsaturating, mpmath.mpf(h)))
    ours = vanishing.grad_saturating(np.array([h]))[0]
    assert ours == pytest.approx(saturating, rel=1e-12, abs=1e-300)
    # the non-saturating loss −log σ(h) has derivative −(1 − σ(h)) = −σ(−h)
    assert -vanishing.grad_nonsaturating(np.array([h]))[0] == pytest.approx(-nonsaturating, rel=1e-12, abs=1e-300)
    assert np.isfinite(vanishing.saturating_loss(np.array([h]))[0])


@settings(max_examples=12, deadline=None)
@given(k=st.fractions(min_value=Fraction(3, 2), max_value=50, max_denominator=20), share=st.fractions(min_value=Fraction(1, 20), max_value=Fraction(19, 20), max_denominator=40))
def test_every_lower_bound_stays_below_the_kl_a_concrete_flow_achieves(k, share):
    """For random k and ε = share·h: the every-c bounds below KL(p‖best isotropic Gaussian), the c = 1
    bounds below KL(p‖N(0, I)); both achieved KLs are computed by quadrature inside the solver's checks too."""
    mass = Fraction(9, 10) + Fraction(81, 50) / k + Fraction(243, 250) / k**2  # the closed form, re-derived by hand
    plateau = Fraction(9, 10) / mass
    result = vpnf_bound(k, share * plateau, None).result
    assert result["kl_lower_bound"] >= 0
    assert result["kl_lower_bound"] <= result["kl_gaussian_upper"]
    assert result["kl_lower_bound_vp"] <= result["kl_gaussian_vp"]
    assert result["tv_lower_bound"] <= 1
    assert float(result["plateau"]) == pytest.approx(float(plateau), rel=1e-12)
