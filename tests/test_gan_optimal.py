"""dgm gan-optimal: D* = p_data/(p_data + p_g) and L(D*) = log 4 − 2·JSD, each number against an independent route.

The references are computed here with scipy.stats densities and scipy.integrate.quad (or exact fractions),
never with the solver's own log-space pipeline.
"""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats
from tests.conftest import strict_json

from dgm_cli.derivation import plain_text
from dgm_cli.distributions import parse_distribution
from dgm_cli.errors import InputError
from dgm_cli.solvers.gan_optimal import solve as gan_optimal
from dgm_cli.solvers.gan_optimal_checks import perturbation_increases
from dgm_cli.solvers.gan_optimal_fit import FIT_TOLERANCE_EXACT, FIT_TOLERANCE_MIXTURE, fit_discriminator, fit_grid
from dgm_cli.solvers.gan_optimal_integrals import (
    integrate_jsd,
    integrate_loss_at_optimum,
    optimal_discriminator,
    thin_knots,
)
from dgm_cli.solvers.gan_optimal_proof import _log_identity, pointwise_proof

F = Fraction
LOG4 = math.log(4)


def spec(text: str, option: str = "--data"):
    return parse_distribution(text, option)


# Each pair: our spec, and frozen scipy.stats distributions (a list of (weight, distribution) for mixtures).
PAIRS = {
    "assignment normals": ("normal(0,1)", "normal(2,1)", [(1, stats.norm(0, 1))], [(1, stats.norm(2, 1))]),
    "unequal scales": ("normal(0,1)", "normal(1,2)", [(1, stats.norm(0, 1))], [(1, stats.norm(1, 2))]),
    "laplace and normal": ("laplace(0,1)", "normal(0.5,1)", [(1, stats.laplace(0, 1))], [(1, stats.norm(0.5, 1))]),
    "uniform and normal": ("uniform(0,1)", "normal(0,1)", [(1, stats.uniform(0, 1))], [(1, stats.norm(0, 1))]),
    "overlapping uniforms": (
        "uniform(0,1)",
        "uniform(0.5,2)",
        [(1, stats.uniform(0, 1))],
        [(1, stats.uniform(0.5, 1.5))],
    ),
    "mixture and normal": (
        "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))",
        "normal(2,1)",
        [(0.3, stats.norm(0, 1)), (0.7, stats.norm(3, 0.5))],
        [(1, stats.norm(2, 1))],
    ),
    # logistic: its log-density is no polynomial, so the fit is the approximating family's
    "logistic and normal": ("logistic(0.5,1)", "normal(0,1)", [(1, stats.logistic(0.5, 1))], [(1, stats.norm(0, 1))]),
    "logistic and laplace": ("logistic(0,2)", "laplace(1,1)", [(1, stats.logistic(0, 2))], [(1, stats.laplace(1, 1))]),
}


def scipy_pdf(parts, x):
    return sum(w * d.pdf(x) for w, d in parts)


def scipy_support(parts):
    lows, highs = zip(*(d.support() for _, d in parts))
    return min(lows), max(highs)


def scipy_jsd(data_parts, gen_parts) -> float:
    """½∫ p log(2p/(p + q)) + ½∫ q log(2q/(p + q)) with scipy.stats densities and adaptive quad (no log space).

    Over the whole line: quad with breakpoints on [−60, 60] (supports' ends, means), and the two tails beyond.
    """

    def integrand(x):
        p, q = scipy_pdf(data_parts, x), scipy_pdf(gen_parts, x)
        if p + q == 0:
            return 0.0
        return 0.5 * special.xlogy(p, 2 * p / (p + q)) + 0.5 * special.xlogy(q, 2 * q / (p + q))

    low, high = -60.0, 60.0
    breaks = sorted(
        {float(b) for _, d in (*data_parts, *gen_parts) for b in (*d.support(), d.mean()) if low < b < high}
    )
    value, _ = integrate.quad(integrand, low, high, points=breaks or None, limit=500, epsabs=1e-13, epsrel=1e-12)
    for a, b in ((-np.inf, low), (high, np.inf)):
        value += integrate.quad(integrand, a, b, epsabs=1e-14)[0]
    return value


def scipy_loss(data_parts, gen_parts, discriminator, low: float = -10, high: float = 12) -> float:
    """L(D) = −∫ p log D − ∫ q log(1 − D), by quad with scipy.stats densities, for a given function D.

    By default over [−10, 12]: N(0,1) and N(2,1) leave < 1e-20 outside, and beyond it the naive 1 − D* rounds to 0.
    """

    def integrand(x):
        p, q, d = scipy_pdf(data_parts, x), scipy_pdf(gen_parts, x), discriminator(x)
        return -special.xlogy(p, d) - special.xlogy(q, 1 - d)

    value, _ = integrate.quad(integrand, low, high, points=[-1, 0, 0.5, 1, 2, 3], limit=500, epsabs=1e-13)
    return value


# --------------------------------------------------------------------------- the assignment's example


def test_assignment_example_d_star_matches_the_scipy_ratio_at_the_points():
    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(2,1)", "--gen"), [F(0), F(3, 2)], samples=0)
    x = np.array([0.0, 1.5])
    p, q = stats.norm(0, 1).pdf(x), stats.norm(2, 1).pdf(x)
    np.testing.assert_allclose(derivation.result["d_star"], p / (p + q), rtol=1e-14)
    # The closed form: log p_data − log p_g = 2 − 2x, so D*(x) = 1/(1 + e^(2x − 2)).
    np.testing.assert_allclose(derivation.result["d_star"], 1 / (1 + np.exp(2 * x - 2)), rtol=1e-15)
    assert derivation.result["d_star_exact"] == ["1/(exp(-2) + 1)", "1/(1 + E)"]


def test_assignment_example_loss_equals_log4_minus_2jsd_computed_independently():
    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(2,1)", "--gen"), [F(0)], samples=0)
    reference = LOG4 - 2 * scipy_jsd(*PAIRS["assignment normals"][2:])
    assert derivation.result["loss_at_optimum"] == pytest.approx(reference, abs=1e-10)
    assert derivation.result["log4_minus_2jsd"] == pytest.approx(reference, abs=1e-10)
    assert derivation.all_checks_passed


def test_jsd_of_equal_scale_normals_matches_a_monte_carlo_estimate():
    """JSD = ½E_p[log(2p/(p + q))] + ½E_q[log(2q/(p + q))], sampled with scipy.stats, against our quadrature."""
    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(2,1)", "--gen"), [F(0)], samples=0)
    rng = np.random.default_rng(12345)
    n = 400_000
    p, q = stats.norm(0, 1), stats.norm(2, 1)
    from_p, from_q = p.rvs(n, random_state=rng), q.rvs(n, random_state=rng)
    terms_p = np.log(2) + p.logpdf(from_p) - np.logaddexp(p.logpdf(from_p), q.logpdf(from_p))
    terms_q = np.log(2) + q.logpdf(from_q) - np.logaddexp(p.logpdf(from_q), q.logpdf(from_q))
    estimate = 0.5 * terms_p.mean() + 0.5 * terms_q.mean()
    standard_error = 0.5 * math.sqrt(terms_p.var() / n + terms_q.var() / n)
    assert abs(derivation.result["jsd"] - estimate) < 5 * standard_error


# --------------------------------------------------------------------------- other distributions


@pytest.mark.parametrize("name", list(PAIRS))
def test_loss_at_optimum_equals_log4_minus_2jsd_from_scipy(name):
    data_text, gen_text, data_parts, gen_parts = PAIRS[name]
    derivation = gan_optimal(spec(data_text), spec(gen_text, "--gen"), [F(1, 2)], samples=0)
    reference = LOG4 - 2 * scipy_jsd(data_parts, gen_parts)
    assert derivation.result["loss_at_optimum"] == pytest.approx(reference, abs=1e-9)
    assert derivation.result["log4_minus_2jsd"] == pytest.approx(reference, abs=1e-9)
    assert derivation.all_checks_passed


@pytest.mark.parametrize("name", list(PAIRS))
def test_d_star_at_points_matches_the_scipy_ratio(name):
    data_text, gen_text, data_parts, gen_parts = PAIRS[name]
    points = [F(-3, 2), F(0), F(1, 4), F(3, 4), F(3, 2), F(3)]
    derivation = gan_optimal(spec(data_text), spec(gen_text, "--gen"), points, samples=0)
    for point, d_star in zip(points, derivation.result["d_star"]):
        p, q = scipy_pdf(data_parts, float(point)), scipy_pdf(gen_parts, float(point))
        if p + q == 0:
            assert d_star is None
        else:
            assert d_star == pytest.approx(p / (p + q), rel=1e-13, abs=1e-15)


@settings(max_examples=20, deadline=None)
@given(
    family=st.sampled_from(["normal", "laplace"]),
    mu=st.integers(-30, 30),
    scale=st.integers(3, 30),
    other_mu=st.integers(-30, 30),
    other_scale=st.integers(3, 30),
)
def test_quadrature_of_loss_and_jsd_matches_scipy_for_random_pairs(family, mu, scale, other_mu, other_scale):
    """Tenths: μ in [−3, 3], scales in [0.3, 3], for a normal or Laplace p_data against a normal p_g."""
    data = spec(f"{family}({mu}/10, {scale}/10)")
    gen = spec(f"normal({other_mu}/10, {other_scale}/10)", "--gen")
    frozen = (stats.norm if family == "normal" else stats.laplace)(mu / 10, scale / 10)
    reference = LOG4 - 2 * scipy_jsd([(1, frozen)], [(1, stats.norm(other_mu / 10, other_scale / 10))])
    assert float(integrate_loss_at_optimum(data, gen).value) == pytest.approx(reference, abs=1e-9)
    assert LOG4 - 2 * float(integrate_jsd(data, gen).value) == pytest.approx(reference, abs=1e-9)


def test_a_twenty_component_mixture_against_scipy():
    weights = [1 / 20] * 20
    parts = [(w, stats.norm(i / 2, 0.3 + i / 40)) for i, w in enumerate(weights)]
    text = "mixture(" + ", ".join(f"1/20*normal({i}/2, {12 + i}/40)" for i in range(20)) + ")"
    derivation = gan_optimal(spec(text), spec("laplace(4, 2)", "--gen"), [F(3)], samples=0)
    reference = LOG4 - 2 * scipy_jsd(parts, [(1, stats.laplace(4, 2))])
    assert derivation.result["loss_at_optimum"] == pytest.approx(reference, abs=1e-9)
    assert derivation.all_checks_passed


def test_nearly_disjoint_distributions_pass_the_monte_carlo_check():
    """Here most of L(D*) ≈ 2e-8 sits where 100,000 samples never land; the check must not call that a failure."""
    derivation = gan_optimal(spec("uniform(0, 1e-9)"), spec("uniform(0, 1)", "--gen"), [F(1, 2)], samples=100_000)
    assert derivation.all_checks_passed
    exact_loss = -math.log(1e9 / (1e9 + 1)) - 1e-9 * math.log(1 / (1e9 + 1))  # on [0, 1e-9]; beyond, D* = 0 costs 0
    assert derivation.result["loss_at_optimum"] == pytest.approx(exact_loss, rel=1e-9)


def test_thin_knots_keeps_fixed_knots_and_the_ends_and_drops_the_densest():
    knots = np.array([0.0, 1.0, 1.1, 1.2, 1.3, 5.0, 10.0])
    fixed = np.array([False, False, False, True, False, False, False])
    thinned = thin_knots(knots, fixed, 5)
    assert len(thinned) == 5
    assert thinned[0] == 0.0 and thinned[-1] == 10.0 and 1.2 in thinned
    assert 5.0 in thinned  # the sparse region keeps its knot


def test_d_star_stays_right_in_the_far_tails_where_both_densities_underflow():
    """At x = 40, N(0,1) and N(2,1) densities are ~1e-348 and ~1e-314: the ratio is 0/0 in float64."""
    data, gen = spec("normal(0,1)"), spec("normal(2,1)", "--gen")
    x = np.array([40.0, -40.0])
    d_star, defined = optimal_discriminator(data, gen, x)
    assert defined.all()
    reference = special.expit(stats.norm(0, 1).logpdf(x) - stats.norm(2, 1).logpdf(x))  # = 1/(1 + e^(2x − 2))
    np.testing.assert_allclose(d_star, reference, rtol=1e-13)
    assert d_star[0] == pytest.approx(math.exp(-78) / (1 + math.exp(-78)), rel=1e-13)
    assert 0 < d_star[0] < 1e-33 and 1 - d_star[1] == 0.0  # 1 − e^(−82) rounds to 1: the right float


def test_disjoint_supports_give_zero_loss_and_jsd_log2_with_undefined_d_star_between():
    derivation = gan_optimal(
        spec("uniform(0,1)"), spec("uniform(2,3)", "--gen"), [F(1, 2), F(3, 2), F(5, 2)], samples=0
    )
    result = derivation.result
    assert result["d_star"] == [1.0, None, 0.0]
    assert result["d_star_exact"] == ["1", "undefined", "0"]
    assert result["jsd"] == pytest.approx(math.log(2), abs=1e-12)
    assert result["loss_at_optimum"] == pytest.approx(0.0, abs=1e-12)
    table = next(step.table for step in derivation.steps if step.table is not None)
    assert [row[1:] for row in table.rows] == [(1, 1.0), ("undefined", "undefined"), (0, 0.0)]


def test_identical_distributions_give_d_star_one_half_and_loss_log4():
    derivation = gan_optimal(spec("laplace(1,2)"), spec("laplace(1,2)", "--gen"), [F(-5), F(1), F(7)], samples=0)
    assert derivation.result["d_star"] == [0.5, 0.5, 0.5]
    assert derivation.result["loss_at_optimum"] == pytest.approx(LOG4, abs=1e-12)
    assert derivation.result["jsd"] == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- categorical: exact


def test_categorical_example_gives_exact_d_star_one_third_five_ninths_three_fifths():
    derivation = gan_optimal(
        spec("categorical(0.2,0.5,0.3)"), spec("categorical(0.4,0.4,0.2)", "--gen"), None, samples=0
    )
    assert derivation.result["d_star_exact"] == ["1/3", "5/9", "3/5"]
    assert derivation.result["d_star"] == pytest.approx([1 / 3, 5 / 9, 3 / 5], rel=1e-15)


def test_categorical_jsd_and_loss_are_exact_closed_forms_equal_to_direct_sums():
    p, q = [F(1, 5), F(1, 2), F(3, 10)], [F(2, 5), F(2, 5), F(1, 5)]
    derivation = gan_optimal(
        spec("categorical(0.2,0.5,0.3)"), spec("categorical(0.4,0.4,0.2)", "--gen"), None, samples=0
    )
    # Direct sums in exact rationals inside the logs, evaluated by math.log: no shared code with the solver.
    jsd = sum(
        0.5 * float(a) * math.log(float(2 * a / (a + b))) + 0.5 * float(b) * math.log(float(2 * b / (a + b)))
        for a, b in zip(p, q)
    )
    loss = -sum(float(a) * math.log(float(a / (a + b))) + float(b) * math.log(float(b / (a + b))) for a, b in zip(p, q))
    assert derivation.result["jsd"] == pytest.approx(jsd, rel=1e-14)
    assert derivation.result["loss_at_optimum"] == pytest.approx(loss, rel=1e-14)
    assert loss == pytest.approx(LOG4 - 2 * jsd, rel=1e-14)
    # The closed forms in logs of primes: JSD = 17/10·log 2 − 21/20·log 3, L = 21/10·log 3 − 7/5·log 2.
    log2, log3 = sympy.log(2), sympy.log(3)
    assert (
        sympy.sympify(derivation.result["jsd_exact"]) == sympy.Rational(17, 10) * log2 - sympy.Rational(21, 20) * log3
    )
    assert (
        sympy.sympify(derivation.result["loss_at_optimum_exact"])
        == sympy.Rational(21, 10) * log3 - sympy.Rational(7, 5) * log2
    )


def test_categorical_edge_cases_zero_mass_gives_boundary_values():
    derivation = gan_optimal(spec("categorical(0.5,0.5,0)"), spec("categorical(0,0.5,0.5)", "--gen"), None, samples=0)
    assert derivation.result["d_star_exact"] == ["1", "1/2", "0"]
    assert derivation.result["loss_at_optimum"] == pytest.approx(
        math.log(2), rel=1e-15
    )  # only k = 1 costs: ½log2 + ½log2
    assert derivation.all_checks_passed


def test_categorical_of_different_lengths_pads_with_zero_mass():
    derivation = gan_optimal(spec("categorical(0.5,0.5)"), spec("categorical(0.2,0.3,0.5)", "--gen"), None, samples=0)
    assert derivation.result["d_star_exact"] == ["5/7", "5/8", "0"]


# --------------------------------------------------------------------------- verification steps


@pytest.mark.parametrize("name", ["assignment normals", "unequal scales", "laplace and normal", "uniform and normal"])
def test_fitted_discriminator_recovers_d_star_when_the_family_contains_it(name):
    data_text, gen_text, data_parts, gen_parts = PAIRS[name]
    data, gen = spec(data_text), spec(gen_text, "--gen")
    fitted = fit_discriminator(data, gen)
    assert fitted.contains_optimum
    grid = fit_grid(data, gen, fitted)
    p, q = scipy_pdf(data_parts, grid), scipy_pdf(gen_parts, grid)
    keep = p + q > 1e-300  # the scipy ratio needs representable densities; ours does not
    assert keep.sum() > 100
    error = np.max(np.abs(fitted(grid[keep]) - p[keep] / (p[keep] + q[keep])))
    assert error < FIT_TOLERANCE_EXACT


def test_fitted_discriminator_for_a_mixture_approaches_d_star():
    data_text, gen_text, data_parts, gen_parts = PAIRS["mixture and normal"]
    data, gen = spec(data_text), spec(gen_text, "--gen")
    fitted = fit_discriminator(data, gen)
    grid = np.linspace(-3, 5, 801)
    p, q = scipy_pdf(data_parts, grid), scipy_pdf(gen_parts, grid)
    assert np.max(np.abs(fitted(grid) - p / (p + q))) < FIT_TOLERANCE_MIXTURE


def test_fitted_categorical_logits_recover_d_star():
    data, gen = spec("categorical(0.2,0.5,0.3,0)"), spec("categorical(0.4,0.4,0,0.2)", "--gen")
    fitted = fit_discriminator(data, gen)
    np.testing.assert_allclose(fitted(np.arange(4.0)), [1 / 3, 5 / 9, 1, 0], atol=FIT_TOLERANCE_EXACT)


def test_perturbations_increase_the_loss_checked_against_scipy_quadrature():
    data, gen = spec("normal(0,1)"), spec("normal(2,1)", "--gen")
    perturbations, increases, errors = perturbation_increases(data, gen, seed=7)
    assert np.all(increases > 100 * errors)
    # One perturbation again, L(D) evaluated independently: quad with scipy.stats densities.
    parts = PAIRS["assignment normals"][2:]
    j = int(np.argmin(increases))

    def perturbed(x):
        h = 2 - 2 * x  # log p_data − log p_g for these normals
        d_star = special.expit(h)
        t = perturbations.amplitudes[j]
        return (1 - t) * d_star + t * special.expit(perturbations.logit(np.array([x]), np.array([j]))[0])

    increase = scipy_loss(*parts, perturbed) - scipy_loss(*parts, lambda x: special.expit(2 - 2 * x))
    assert increase == pytest.approx(increases[j], rel=1e-6)
    assert increase > 0


def test_any_other_discriminator_does_worse_constant_one_half_costs_log4():
    parts = PAIRS["unequal scales"][2:]
    assert scipy_loss(*parts, lambda x: 0.5, -30, 30) == pytest.approx(LOG4, abs=1e-10)
    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(1,2)", "--gen"), [F(0)], samples=0)
    assert derivation.result["loss_at_optimum"] < LOG4 - 0.1


def test_monte_carlo_check_passes_and_is_close():
    derivation = gan_optimal(spec("laplace(0,1)"), spec("normal(0.5,1)", "--gen"), [F(0)], samples=50_000, seed=3)
    check = next(c for c in derivation.checks if plain_text(c.name).startswith("Monte Carlo"))
    assert check.passed
    assert derivation.result["loss_monte_carlo"] == pytest.approx(derivation.result["loss_at_optimum"], abs=0.02)


def test_every_check_is_reported_and_passes_for_the_default_example():
    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(2,1)", "--gen"), None)
    names = [plain_text(c.name) for c in derivation.checks]
    assert "L(D*) = log 4 − 2·JSD" in names
    assert "L(D* + perturbation) > L(D*)" in names
    assert "fitted discriminator approaches D*" in names
    assert derivation.all_checks_passed
    assert derivation.inputs["x"] == ["0", "1", "2"]  # defaults: the two means and their midpoint
    assert derivation.result["d_star"][1] == 0.5


# --------------------------------------------------------------------------- the SymPy proof


def test_pointwise_proof_finds_the_minimiser_and_its_convexity():
    proof = pointwise_proof()
    a, b, D = proof.a, proof.b, proof.D
    assert proof.stationary == [a / (a + b)]
    assert sympy.simplify(proof.g_prime.subs(D, a / (a + b))) == 0
    assert sympy.simplify(proof.g_second - (a / D**2 + b / (1 - D) ** 2)) == 0
    assert proof.g_second_positive
    assert proof.minimum_identity_holds and proof.excess_identity_holds


def test_the_log_identity_test_can_fail():
    proof = pointwise_proof()
    a, D = proof.a, proof.D
    assert not _log_identity(proof.minimum - proof.minimum_as_log2 + sympy.log(2) * a, D)
    assert not _log_identity(sympy.log(D) - sympy.log(1 - D), D)


def test_pointwise_minimum_value_numerically():
    """g(a/(a + b)) is below g on a grid of D, for a few (a, b): the claim itself, in plain floats."""
    for a, b in [(0.3, 0.7), (2.0, 0.01), (1e-5, 3.0)]:
        grid = np.linspace(1e-6, 1 - 1e-6, 200_001)
        g = -a * np.log(grid) - b * np.log1p(-grid)
        d_star = a / (a + b)
        assert -a * math.log(d_star) - b * math.log1p(-d_star) <= g.min() + 1e-12
        assert abs(grid[np.argmin(g)] - d_star) < 1e-5


# --------------------------------------------------------------------------- input errors in the solver


def test_mixing_discrete_and_continuous_is_an_input_error():
    with pytest.raises(InputError, match="no common dominating measure") as caught:
        gan_optimal(spec("categorical(0.5,0.5)"), spec("normal(0,1)", "--gen"), None)
    assert caught.value.option == "gen"  # the solver names its parameter; the command line spells it --gen


def test_categorical_points_must_be_category_indices():
    data, gen = spec("categorical(0.5,0.5)"), spec("categorical(0.5,0.5)", "--gen")
    for bad in (F(1, 2), F(2), F(-1)):
        with pytest.raises(InputError, match="not a category"):
            gan_optimal(data, gen, [bad])


# --------------------------------------------------------------------------- the CLI


def test_cli_example_prints_the_proof_and_the_numbers(run):
    result = run(
        ["gan-optimal", "--data", "normal(0,1)", "--gen", "normal(2,1)", "--x", "0", "--x", "1.5", "-f", "plain"]
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in (
        "g′(D)",
        "g″(D)",
        "Edge cases",
        "log 4 − 2·JSD",
        "Pointwise minimisation minimises the integral",
        "[PASS]",
    ):
        assert text in out
    assert "[FAIL]" not in out
    assert "0.880797077977882" in out and "0.268941421369995" in out


def test_cli_json_result_has_the_required_keys_and_strict_json(run):
    result = run(["gan-optimal", "--x", "0,1.5", "--json"])
    assert result.exit_code == 0, result.stderr
    payload = strict_json(result.stdout)
    for key in ("d_star", "jsd", "loss_at_optimum", "log4_minus_2jsd", "max_fit_error"):
        assert key in payload["result"]
    assert payload["inputs"]["x"] == ["0", "1.5"]
    assert len(payload["result"]["d_star"]) == 2
    assert abs(payload["result"]["loss_at_optimum"] - payload["result"]["log4_minus_2jsd"]) < 1e-10


def test_cli_categorical_example_gives_exact_fractions(run):
    result = run(["gan-optimal", "--data", "categorical(0.2,0.5,0.3)", "--gen", "categorical(0.4,0.4,0.2)", "--json"])
    assert result.exit_code == 0, result.stderr
    assert strict_json(result.stdout)["result"]["d_star_exact"] == ["1/3", "5/9", "3/5"]


def test_cli_undefined_d_star_is_null_in_json_not_nan(run):
    result = run(["gan-optimal", "--data", "uniform(0,1)", "--gen", "uniform(0,1)", "--x", "0.5,5", "--json"])
    assert result.exit_code == 0, result.stderr
    assert strict_json(result.stdout)["result"]["d_star"] == [0.5, None]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "foo(1)"], "--data: unknown distribution 'foo'"),
        (["--gen", "normal(0,-1)"], "--gen: normal: sigma must be positive, got -1"),
        (["--data", "categorical(0.2,0.5)"], "sum to 0.7, not 1"),
        (["--data", "normal(0,1"], "unbalanced parentheses"),
        (["--data", "__import__('os')"], "unknown distribution '__import__'"),
        (["--data", "categorical(0.5,0.5)"], "no common dominating measure"),
        (["--x", "abc"], "--x: 'abc' is not a number"),
        (["--x", "nan"], "--x: 'nan' is not a finite number"),
        (["--plot", "/no/such/folder/f.png"], "--plot: folder"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(run, args, message):
    result = run(["gan-optimal", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_plot_writes_a_png(run, tmp_path):
    pytest.importorskip("matplotlib")
    for args in (["--x", "0"], ["--data", "categorical(0.2,0.5,0.3)", "--gen", "categorical(0.4,0.4,0.2)"]):
        target = tmp_path / f"figure{len(args)}.png"
        result = run(["gan-optimal", *args, "--samples", "0", "--plot", str(target), "--json"])
        assert result.exit_code == 0, result.stderr
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_does_not_import_the_heavy_libraries():
    code = (
        "import sys; from typer.testing import CliRunner; from dgm_cli.cli import app; "
        "r = CliRunner().invoke(app, ['gan-optimal', '--help']); assert r.exit_code == 0, r.output; "
        "assert '--data' in r.output; print(sorted(m for m in ('sympy', 'numpy', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_installed_entry_point_runs_the_example():
    completed = subprocess.run(
        [sys.executable, "-m", "dgm_cli", "gan-optimal", "--x", "0", "--x", "1.5", "--samples", "0", "--json"],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert strict_json(completed.stdout)["result"]["d_star"][0] == pytest.approx(1 / (1 + math.exp(-2)), rel=1e-15)


# --------------------------------------------------------------------------- the derivation's prose


@pytest.mark.parametrize(
    ("data", "gen", "points"),
    [
        ("normal(0,1)", "normal(2,1)", [F(0), F(3, 2)]),
        ("uniform(0,1)", "uniform(2,3)", [F(1, 2), F(3, 2)]),
        ("categorical(0.2,0.5,0.3)", "categorical(0.4,0.4,0.2)", None),
    ],
)
def test_prose_words_carry_no_unicode_mathematics_and_the_answer_carries_the_numbers(data, gen, points):
    from dgm_cli.derivation import Math, iter_prose

    derivation = gan_optimal(spec(data), spec(gen, "--gen"), points, samples=1000)
    allowed = set("–—‘’“”…\u00a0")
    for text in iter_prose(derivation):
        for piece in text:
            if isinstance(piece, str):
                assert all(ord(c) < 128 or c in allowed for c in piece), piece
            elif isinstance(piece, Math):
                assert piece.latex.isascii() and "$" not in piece.latex, piece.latex
    assert "(1)" in plain_text(derivation.question) and "(2)" in plain_text(derivation.question)
    assert derivation.result["jsd"] in derivation.answer and derivation.result["loss_at_optimum"] in derivation.answer
    assert not any(plain_text(step.title).startswith(("Check", "Warning")) for step in derivation.steps)


# --------------------------------------------------------------------------- extreme but valid inputs


def _mp_exact(value: F):
    import mpmath

    return mpmath.mpf(value.numerator) / value.denominator


def _mp_sigmoid(h) -> float:
    import mpmath

    return float(1 / (1 + mpmath.exp(-h)))


def _no_nan(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_no_nan(v) for v in value)
    return not (isinstance(value, float) and math.isnan(value))


def test_batch_d_star_far_out_comes_from_the_finite_log_ratio_and_defined_is_a_boolean(run):
    """N(0,1) against N(2,1): h = 2 − 2x, finite for every finite x, so D* = σ(2 − 2x) (mpmath, 50 digits) is 0 or
    1 out there, and defined. Subtracting the two log-densities (−5e33 each at 1e17) gave 0.5, and 'defined = 0'
    from |x| = 1e160 on."""
    import mpmath

    points = ["1e17", "-1e20", "1e160", "-1e160", "1.7e308"]
    result = run(["gan-optimal", "--input", "-", "--format", "jsonl"], input="\n".join(points) + "\n")
    assert result.exit_code == 0, result.stderr
    records = [strict_json(line) for line in result.stdout.splitlines()]
    with mpmath.workdps(50):
        expected = [_mp_sigmoid(2 - 2 * mpmath.mpf(p)) for p in points]
    assert [r["d_star"] for r in records] == expected == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert all(r["defined"] is True for r in records)


def test_batch_undefined_d_star_is_a_json_false(run):
    result = run(
        ["gan-optimal", "--data", "uniform(0,1)", "--gen", "uniform(0,1)", "--input", "-", "--format", "jsonl"],
        input="0.5\n5\n",
    )
    assert result.exit_code == 0, result.stderr
    records = [strict_json(line) for line in result.stdout.splitlines()]
    assert records[0]["defined"] is True and records[1]["defined"] is False  # JSON true/false, not 1.0/0.0
    assert [r["d_star"] for r in records] == [0.5, 0.5]


def test_discriminator_records_mark_defined_with_a_boolean_array():
    from dgm_cli.solvers.gan_optimal import discriminator_records

    record = discriminator_records(spec("uniform(0,1)"), spec("uniform(2,3)", "--gen"), np.array([[0.5], [1.5]]))
    assert record["defined"].dtype == np.bool_
    assert record["defined"].tolist() == [True, False]


@pytest.mark.parametrize("value", ["1e400", "-1e400", "1e309"])
def test_cli_x_beyond_float64_is_refused_in_one_line_naming_x(run, value):
    result = run(["gan-optimal", "--x", value])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--x: " in lines[0] and "beyond float64's range" in lines[0]
    assert len(lines[0]) < 120 and "Traceback" not in result.stderr


def test_cli_categorical_point_far_out_is_named_in_a_short_message(run):
    result = run(["gan-optimal", "--data", "categorical(0.5,0.5)", "--gen", "categorical(0.5,0.5)", "--x", "1e300"])
    assert result.exit_code == 2
    assert "--x: 1e+300 is not a category" in result.stderr and len(result.stderr) < 200


def test_d_star_at_points_up_to_the_float64_limit_matches_mpmath():
    """±1.8e308 are valid points: D* = σ(2 − 2x) against mpmath, and every check passes."""
    import mpmath

    points = [F(17, 10) * 10**308, -F(17976931348623157) * 10**292, F(10**17) + F(1, 3), F(-(10**160))]
    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(2,1)", "--gen"), points, samples=0)
    with mpmath.workdps(50):
        expected = [_mp_sigmoid(2 - 2 * _mp_exact(p)) for p in points]
    assert derivation.result["d_star"] == expected
    assert derivation.all_checks_passed


def test_d_star_at_a_point_typed_exactly_is_not_rounded_first():
    """x = 999999999 + 1/3 between N(999999999, 1) and N(1e9, 1): h = 1/6 exactly, D* = σ(1/6) (mpmath). Rounding x
    to a float first moved D* by 6e-9 and failed four checks (the quadrature near 1e9 as well)."""
    import mpmath

    point = F(999999999) + F(1, 3)
    derivation = gan_optimal(spec("normal(999999999,1)"), spec("normal(1e9,1)", "--gen"), [point], samples=0)
    with mpmath.workdps(50):
        expected = _mp_sigmoid(mpmath.mpf(1) / 6)
    assert derivation.result["d_star"][0] == pytest.approx(expected, abs=1e-15)
    assert derivation.all_checks_passed


def test_monte_carlo_in_chunks_draws_the_same_samples_in_bounded_memory(monkeypatch):
    """Chunks of 20,000 give the one-draw estimate (same draws, merged statistics) with a peak of a few MB, where
    one draw of 1,000,000 samples of each distribution holds hundreds of MB (8e8 samples needed 4 GB)."""
    import tracemalloc

    import dgm_cli.solvers.gan_optimal_checks as module

    data, gen = spec("normal(0,1)"), spec("normal(2,1)", "--gen")
    samples = 1_000_000
    whole = module.monte_carlo_loss(data, gen, samples, 5)  # the default chunks of 500,000
    monkeypatch.setattr(module, "MC_CHUNK", 20_000)
    tracemalloc.start()
    try:
        chunked = module.monte_carlo_loss(data, gen, samples, 5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Independent: the same draws, the closed-form logit h = 2 − 2x, one array each.
    rng = np.random.default_rng(5)
    from_data, from_gen = rng.normal(0, 1, samples), rng.normal(2, 1, samples)
    terms_data, terms_gen = np.logaddexp(0, -(2 - 2 * from_data)), np.logaddexp(0, 2 - 2 * from_gen)
    estimate = terms_data.mean() + terms_gen.mean()
    standard_error = math.sqrt((terms_data.var() + terms_gen.var()) / samples)
    for value, error in (whole, chunked):
        assert value == pytest.approx(estimate, rel=1e-12)
        assert error == pytest.approx(standard_error, rel=1e-9, abs=0)
    assert peak < 10e6


def test_default_monte_carlo_is_one_draw_of_each_distribution_as_before():
    """The default 100,000 samples (one chunk): p_data's draws, then p_g's, from random state 0."""
    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(2,1)", "--gen"), [F(0)], samples=100_000, seed=0)
    rng = np.random.default_rng(0)
    from_data, from_gen = rng.normal(0, 1, 100_000), rng.normal(2, 1, 100_000)
    estimate = np.logaddexp(0, -(2 - 2 * from_data)).mean() + np.logaddexp(0, 2 - 2 * from_gen).mean()
    assert derivation.result["loss_monte_carlo"] == pytest.approx(estimate, rel=1e-13)


def _mp_jsd(data_pdf, gen_pdf, breaks) -> float:
    """½∫ p log(2p/(p + q)) + ½∫ q log(2q/(p + q)) by mpmath.quad at 60 digits, the definition itself."""
    import mpmath

    with mpmath.workdps(60):

        def integrand(x):
            p, q = data_pdf(x), gen_pdf(x)
            total = p + q
            if total == 0:
                return mpmath.mpf(0)
            left = p * mpmath.log(2 * p / total) if p > 0 else 0
            right = q * mpmath.log(2 * q / total) if q > 0 else 0
            return (left + right) / 2

        return float(mpmath.quad(integrand, [-mpmath.inf, *breaks, mpmath.inf]))


@pytest.mark.parametrize(("gen", "mean"), [("normal(1e6,1)", 10**6), ("normal(1e9,1)", 10**9)])
def test_far_apart_normals_pass_every_check_with_jsd_log2(run, gen, mean):
    """The quadrature resolves each mode in coordinates from an exact knot; in x, a piece near 1e9 had 1.2e-7 of
    resolution for σ = 1 and ∫p_g came out 0.99999999992 (exit 1). JSD against mpmath: log 2 to 30 digits."""
    import mpmath

    result = run(["gan-optimal", "--gen", gen, "--samples", "1000", "--json"])
    assert result.exit_code == 0, result.stderr
    payload = strict_json(result.stdout)["result"]
    with mpmath.workdps(60):
        reference = _mp_jsd(
            lambda x: mpmath.npdf(x, 0, 1), lambda x: mpmath.npdf(x, mean, 1), [-8, 0, 8, mean - 8, mean, mean + 8]
        )
    assert reference == math.log(2)
    assert payload["jsd"] == pytest.approx(reference, abs=1e-12)
    assert 0 <= payload["loss_at_optimum"] < 1e-12 and 0 <= payload["log4_minus_2jsd"] < 1e-12
    assert payload["checks_passed"] is True


def test_a_mixture_with_modes_at_plus_and_minus_1e9_passes_every_check():
    derivation = gan_optimal(
        spec("mixture(0.5*normal(-1e9,1), 0.5*normal(1e9,1))"), spec("normal(0,1)", "--gen"), None, samples=1000
    )
    assert derivation.all_checks_passed
    assert derivation.result["jsd"] == pytest.approx(math.log(2), abs=1e-12)


def test_jsd_of_nearly_equal_normals_is_positive_and_matches_mpmath():
    """N(0,1) against N(0, 1.000000001): JSD = 2.4999999975e-19 (mpmath); the difference of two O(1) terms gave
    −3.3e-18. Computed as ∫ m·κ(h) with κ ≥ 0, and repeated with a tolerance scaled to the small value."""
    import mpmath

    derivation = gan_optimal(spec("normal(0,1)"), spec("normal(0,1.000000001)", "--gen"), [F(0)], samples=0)
    with mpmath.workdps(60):
        sigma = mpmath.mpf("1.000000001")
        reference = _mp_jsd(lambda x: mpmath.npdf(x, 0, 1), lambda x: mpmath.npdf(x, 0, sigma), [-10, -3, 0, 3, 10])
    result = derivation.result
    assert result["jsd"] > 0
    assert result["jsd"] == pytest.approx(reference, rel=1e-9, abs=0)
    assert result["loss_at_optimum"] <= LOG4 and result["log4_minus_2jsd"] <= LOG4
    assert derivation.all_checks_passed


@pytest.mark.parametrize(
    "text", ["normal(0,1)", "laplace(1,2)", "uniform(0,1)", "mixture(0.3*normal(0,1), 0.7*laplace(3,0.5))"]
)
def test_identical_distributions_give_jsd_zero_and_loss_at_most_log4(text):
    derivation = gan_optimal(spec(text), spec(text, "--gen"), [F(1, 2)], samples=0)
    assert derivation.result["jsd"] == 0.0
    assert derivation.result["log4_minus_2jsd"] == LOG4
    assert LOG4 - 1e-11 < derivation.result["loss_at_optimum"] <= LOG4


def test_bernoulli_divergence_from_half_is_nonnegative_and_matches_mpmath():
    """κ(h) = log 2 − H(σ(h)) against mpmath at 50 digits, from 1e-300 (κ underflows) to ±∞ (κ = log 2)."""
    import mpmath

    from dgm_cli.solvers.gan_optimal_integrals import bernoulli_divergence_from_half

    magnitudes = [0.0, 1e-300, 1e-10, 1e-5, 0.5, 1.0, 1.0000001, 5.0, 40.0, 800.0, 1e300]
    h = np.array([sign * v for v in magnitudes for sign in (1, -1)])
    kappa = bernoulli_divergence_from_half(np.append(h, [np.inf, -np.inf]))
    assert np.all(kappa >= 0)
    assert kappa[-2:].tolist() == [math.log(2)] * 2
    with mpmath.workdps(50):
        for value, computed in zip(h, kappa):
            d = 1 / (1 + mpmath.exp(-mpmath.mpf(value)))
            terms = [t * mpmath.log(t) for t in (d, 1 - d) if t > 0]
            reference = float(mpmath.log(2) + sum(terms))
            assert abs(computed - reference) <= 1e-14 * reference + 1e-300, value


def test_categorical_jsd_far_below_the_terms_matches_mpmath():
    """p_0 = 1e-400 against q_0 = 1e-300: JSD ≈ 3.5e-301, 300 digits below the closed form's terms (SymPy's evalf
    gave 2.8e-163). Reference: the definition in mpmath at 900 digits, from the exact probabilities."""
    import mpmath

    data, gen = spec("categorical(1e-400, 1)"), spec("categorical(1e-300, 1)", "--gen")
    derivation = gan_optimal(data, gen, None, samples=0)
    with mpmath.workdps(900):
        total = mpmath.mpf(0)
        for p, q in zip(data.probabilities, gen.probabilities):
            p, q = _mp_exact(p), _mp_exact(q)
            total += (p * mpmath.log(2 * p / (p + q)) + q * mpmath.log(2 * q / (p + q))) / 2
        reference = float(total)
    assert derivation.result["jsd"] == pytest.approx(reference, rel=1e-12, abs=0)
    assert derivation.all_checks_passed


def test_categorical_with_swapped_tiny_probabilities_passes_every_check():
    """categorical(1e-300, 1) against categorical(1, 1e-300): JSD = log 2 − 6.9e-298 and L(D*) = 1.38e-297
    (mpmath); κ at t = 2D* − 1 = −1 + 2e-300 is formed from the exact 1 ± t, which 40 digits would round to 0."""
    import mpmath

    data, gen = spec("categorical(1e-300, 1)"), spec("categorical(1, 1e-300)", "--gen")
    derivation = gan_optimal(data, gen, None, samples=1000)
    with mpmath.workdps(900):
        loss = mpmath.mpf(0)
        for p, q in zip(data.probabilities, gen.probabilities):
            p, q = _mp_exact(p), _mp_exact(q)
            loss -= p * mpmath.log(p / (p + q)) + q * mpmath.log(q / (p + q))
        expected_loss = float(loss)
    assert derivation.result["loss_at_optimum"] == pytest.approx(expected_loss, rel=1e-12, abs=0)
    assert derivation.result["jsd"] == pytest.approx(math.log(2), abs=1e-15)
    assert derivation.all_checks_passed and _no_nan(list(derivation.result.values()))


@pytest.mark.parametrize(
    ("data", "gen"),
    [
        ("normal(0,1e-9)", "normal(0,1e9)"),
        ("laplace(0,1e-9)", "normal(0,1e9)"),
        (
            "mixture(0.5*normal(0,1e-9), 0.5*laplace(1,2))",
            "mixture(0.2*uniform(0,1), 0.3*laplace(1,1e-9), 0.5*normal(3,2))",
        ),
        ("mixture(1e-400*normal(0,1), 1*laplace(0,1))", "normal(0,1)"),
    ],
)
def test_extreme_scales_and_weights_pass_every_check_without_nan(data, gen):
    """A spike of σ = 1e-9 inside σ = 1e9: the fit's light end needed a tighter Newton tolerance, and a mixture's
    logit that turns within one piece needed that piece halved (exit 1 before). D* at the points against mpmath."""
    import mpmath
    from tests.test_distributions import _mp_log_density

    data, gen = spec(data), spec(gen, "--gen")
    derivation = gan_optimal(data, gen, [F(0), F(1, 10**8), F(3)], samples=1000)
    assert derivation.all_checks_passed
    assert _no_nan(list(derivation.result.values()))
    with mpmath.workdps(60):
        for point, d_star in zip([F(0), F(1, 10**8), F(3)], derivation.result["d_star"]):
            x = _mp_exact(point)
            h = _mp_log_density(data, x) - _mp_log_density(gen, x)
            assert d_star == pytest.approx(_mp_sigmoid(h), abs=1e-14)


def test_a_uniform_end_just_past_another_is_resolved_in_its_own_piece():
    """uniform(0, 1) against uniform(0, 1 + 1e-9): JSD = ½∫ over [0, 1] + ½·log 2·q·1e-9 (closed form in mpmath).
    The piece [1, 1 + 1e-9] is compared against its exact ends in its own coordinate; measured from 0 its first
    1e-16 rounded into the data's support, and the quadrature neither converged nor kept 8 digits."""
    import mpmath

    derivation = gan_optimal(spec("uniform(0,1)"), spec("uniform(0,1.000000001)", "--gen"), [F(1, 2)], samples=1000)
    with mpmath.workdps(60):
        delta = mpmath.mpf(10) ** -9
        p, q = mpmath.mpf(1), 1 / (1 + delta)
        inside = (p * mpmath.log(2 * p / (p + q)) + q * mpmath.log(2 * q / (p + q))) / 2  # on [0, 1]
        reference = float(inside + q * mpmath.log(2) / 2 * delta)  # plus [1, 1 + 1e-9], where only q has mass
    assert derivation.result["jsd"] == pytest.approx(reference, rel=1e-12, abs=0)
    assert derivation.all_checks_passed and not derivation.warnings
