"""One distribution language for --base, --data and --gen: every family against SciPy, its moments, its support,
and the parser's spellings and refusals for each option."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from scipy import stats

from conftest import strict_json
from dgm_cli.distributions import (
    FAMILIES,
    STANDARD_NORMAL,
    Categorical,
    Distribution,
    Laplace,
    Logistic,
    Mixture,
    Normal,
    Uniform,
    parse_base,
    parse_distribution,
)
from dgm_cli.errors import InputError

F = Fraction
OPTIONS = ("--base", "--data", "--gen")


def parse(text: str, option: str):
    """The parser as each option calls it: --base through parse_base, --data and --gen directly."""
    return parse_base(text, option) if option == "--base" else parse_distribution(text, option)


def mixture_of(*parts):
    """A SciPy-like object for Σ wᵢ pᵢ: logpdf, mean and variance from the components'."""

    class _Mixture:
        def logpdf(self, x):
            return np.log(sum(w * c.pdf(x) for w, c in parts))

        def mean(self):
            return sum(w * c.mean() for w, c in parts)

        def var(self):
            mean = self.mean()
            return sum(w * (c.var() + c.mean() ** 2) for w, c in parts) - mean**2

    return _Mixture()


# Each continuous family with an independent reference (SciPy's own parametrisation).
CONTINUOUS = [
    ("normal(-1.5, 0.25)", stats.norm(-1.5, 0.25)),
    ("uniform(-0.5, 2.5)", stats.uniform(-0.5, 3.0)),
    ("logistic(1, 2)", stats.logistic(1, 2)),
    ("logistic(-3, 1/3)", stats.logistic(-3, 1 / 3)),
    ("laplace(1, 2)", stats.laplace(1, 2)),
    (
        "mixture(0.25*logistic(0, 1), 0.75*normal(3, 0.5))",
        mixture_of((0.25, stats.logistic(0, 1)), (0.75, stats.norm(3, 0.5))),
    ),
]
POINTS = np.array([-40.0, -3.0, -0.5, 0.0, 0.25, 1.0, 2.5, 7.0, 40.0])


# --------------------------------------------------------------------------- the protocol


@pytest.mark.parametrize(
    "text", ["normal(0,1)", "uniform(0,1)", "logistic(0,1)", "laplace(0,1)", "mixture(0.5*normal, 0.5*laplace)",
             "categorical(0.5, 0.5)"],
)
def test_every_family_implements_the_one_protocol(text):
    distribution = parse_distribution(text, "--data")
    assert isinstance(distribution, Distribution)
    assert isinstance(distribution, FAMILIES)
    assert distribution.family == text.split("(")[0]
    assert all(isinstance(p, Fraction) for p in distribution.parameters)


# --------------------------------------------------------------------------- log densities against SciPy


@pytest.mark.parametrize(("text", "reference"), CONTINUOUS)
def test_log_pdf_matches_scipy_including_far_tails(text, reference):
    """Within 1e-13 relative (float64 rounding of a few operations), −∞ exactly off the support."""
    ours = parse_distribution(text, "--data").log_pdf(POINTS)
    expected = reference.logpdf(POINTS)
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(ours), finite)
    np.testing.assert_allclose(ours[finite], expected[finite], rtol=1e-13, atol=1e-13)


def test_logistic_log_pdf_stays_finite_where_its_density_underflows():
    """At x = 1000 the density e^−1000 has no float64 value; its log is −1000 − log s, to rounding."""
    logistic = Logistic(F(0), F(1))
    assert logistic.log_pdf(np.array([1000.0, -1000.0])) == pytest.approx([-1000.0, -1000.0], rel=1e-15)


def test_categorical_log_pdf_against_scipy():
    ours = parse_distribution("categorical(0.2, 0.5, 0.3)", "--data").log_pdf(np.arange(-1, 4))
    expected = stats.rv_discrete(values=([0, 1, 2], [0.2, 0.5, 0.3])).logpmf(np.arange(-1, 4))
    np.testing.assert_allclose(ours, expected, rtol=1e-15)


@pytest.mark.parametrize(("text", "reference"), CONTINUOUS)
def test_exact_density_and_log_density_agree_with_scipy(text, reference):
    """The SymPy density and log-density at exact points, to 30 digits, against SciPy's float64 (1e-13)."""
    distribution = parse_distribution(text, "--data")
    x = sympy.Symbol("x", real=True)
    for point in (F(-1, 4), F(0), F(3, 2)):
        exact = sympy.Rational(point.numerator, point.denominator)
        density = float(distribution.density(x).subs(x, exact).evalf(30))
        assert density == pytest.approx(math.exp(reference.logpdf(float(point))), rel=1e-13)
        if distribution.contains(exact):
            log_density = float(distribution.log_density(x).subs(x, exact).evalf(30))
            assert log_density == pytest.approx(reference.logpdf(float(point)), rel=1e-13)


@pytest.mark.parametrize(("text", "reference"), CONTINUOUS)
def test_independent_coordinates_multiply_the_density(text, reference):
    """p(z1)·p(z2)·p(z3): exact (SymPy), its log, and its log in mpmath, against SciPy's product."""
    distribution = parse_distribution(text, "--data")
    point = (F(1, 3), F(0), F(1, 2))
    expected = sum(reference.logpdf(float(c)) for c in point)
    z = sympy.symbols("z1:4", real=True)
    values = {s: sympy.Rational(c.numerator, c.denominator) for s, c in zip(z, point)}
    assert float(distribution.iid_density(z).subs(values).evalf(30)) == pytest.approx(math.exp(expected), rel=1e-13)
    assert float(distribution.iid_log_density(z).subs(values).evalf(30)) == pytest.approx(expected, rel=1e-13)
    with mpmath.workdps(40):
        latent = [mpmath.mpf(c.numerator) / c.denominator for c in point]
        assert float(distribution.iid_log_pdf_mp(latent)) == pytest.approx(expected, rel=1e-13)


def test_standard_normal_of_independent_coordinates_is_the_familiar_form():
    z = sympy.symbols("z1:3", real=True)
    expected = sympy.exp(-(z[0] ** 2 + z[1] ** 2) / 2) / (2 * sympy.pi)
    assert sympy.simplify(STANDARD_NORMAL.iid_density(z) - expected) == 0
    assert parse_base("normal") == STANDARD_NORMAL


def test_logistic_mp_log_density_far_out_needs_no_float64():
    """At u = 1e6 the mpmath form is −|u| − log s (e^−u is below any float); at u = 0, −2 log 2 − log s."""
    logistic = Logistic(F(0), F(2))
    with mpmath.workdps(30):
        assert logistic.iid_log_pdf_mp([mpmath.mpf(2e6)]) == pytest.approx(-1e6 - math.log(2), rel=1e-15)
        assert logistic.iid_log_pdf_mp([mpmath.mpf(0)]) == pytest.approx(-2 * math.log(2) - math.log(2), rel=1e-15)


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize(("text", "reference"), CONTINUOUS)
def test_sample_mean_and_variance_match_the_exact_moments(text, reference):
    """Mean within 5 standard errors (σ/√N); the sample variance within 5 of its standard errors, √((μ₄ − σ⁴)/N),
    at most σ²·√(6/N) here (kurtosis μ₄/σ⁴ at most 6, Laplace's; logistic 4.2, normal 3, uniform 1.8)."""
    distribution = parse_distribution(text, "--data")
    n = 200_000
    samples = distribution.sample(np.random.default_rng(11), n)
    mean, variance = reference.mean(), reference.var()
    assert float(distribution.mean()) == pytest.approx(mean, rel=1e-15, abs=1e-15)
    assert abs(samples.mean() - mean) < 5 * math.sqrt(variance / n)
    assert abs(samples.var() - variance) < 5 * variance * math.sqrt(6 / n)


def test_categorical_sample_frequencies_and_mean():
    categorical = parse_distribution("categorical(0.2, 0.5, 0.3)", "--data")
    samples = categorical.sample(np.random.default_rng(2), 100_000)
    assert categorical.mean() == F(11, 10)
    assert abs(samples.mean() - 1.1) < 5 * math.sqrt(0.49 / 100_000)  # variance 0.5 + 1.2 − 1.21 = 0.49


@pytest.mark.parametrize("text", ["normal(1, 2)", "uniform(0, 1)", "logistic(0, 1)", "laplace(0, 1)",
                                  "mixture(0.5*normal(0,1), 0.5*uniform(5,6))", "categorical(0.5, 0.5)"])
def test_samples_take_a_shape_and_the_same_seed_gives_the_same_draws(text):
    distribution = parse_distribution(text, "--data")
    block = distribution.sample(np.random.default_rng(4), (500, 3))
    assert block.shape == (500, 3)
    assert np.array_equal(block, distribution.sample(np.random.default_rng(4), (500, 3)))
    assert np.isfinite(distribution.log_pdf(block)).all()  # every draw lies in the support


def test_normal_draws_are_numpys_own():
    """rng.normal(μ, σ, shape) is μ + σ·standard_normal(shape), draw for draw: a flow base samples as before."""
    draws = Normal(F(1, 2), F(2)).sample(np.random.default_rng(3), (100, 3))
    assert np.array_equal(draws, 0.5 + 2.0 * np.random.default_rng(3).standard_normal((100, 3)))


def test_a_uniform_wider_than_float64_samples_inside_its_support():
    wide = parse_base("uniform(-1e308, 1e308)")
    draws = wide.sample(np.random.default_rng(0), 1000)
    assert np.isfinite(draws).all() and (np.abs(draws) <= 1e308).all()


# --------------------------------------------------------------------------- support, centre


def test_supports_exact_and_in_float64():
    gap = parse_base("mixture(0.25*uniform(0, 1), 0.75*uniform(2, 3))")
    assert gap.support() == (0.0, 3.0)
    assert gap.support_intervals() == ((F(0), F(1)), (F(2), F(3)))
    assert gap.contains(F(1, 2)) and not gap.contains(F(3, 2)) and gap.contains(sympy.Rational(5, 2))
    assert gap.centre() == F(5, 2)  # the heaviest component's
    assert parse_base("mixture(0.5*uniform(0,2), 0.5*uniform(1,3))").support_intervals() == ((F(0), F(3)),)
    assert parse_base("mixture(0.5*normal, 0.5*uniform(1,3))").support_intervals() == ((None, None),)
    assert Logistic(F(0), F(1)).support() == (-math.inf, math.inf)
    assert Categorical((F(1, 2), F(0), F(1, 2))).support_intervals() == ((F(0), F(0)), (F(2), F(2)))


def test_contains_reads_sympy_mpmath_and_exact_numbers_at_the_ends():
    uniform = Uniform(F(-1), F(1, 3))
    assert uniform.contains(sympy.Rational(1, 3))
    assert not uniform.contains(sympy.Rational(1, 3) + sympy.Rational(1, 10**40))
    assert uniform.contains(-sympy.sqrt(1)) and not uniform.contains(sympy.sqrt(2) / 4)  # 0.354 > 1/3
    with mpmath.workdps(30):
        assert uniform.contains(mpmath.mpf(1) / 3) and not uniform.contains(mpmath.mpf("0.34"))
    assert uniform.contains(F(1, 3)) and not uniform.contains(0.34)


def test_words_name_the_family_and_its_parameters():
    assert Laplace(F(1), F(2)).words() == ("the Laplace distribution with location ", 1, " and scale ", 2)
    assert Logistic(F(0), F(1, 2)).words()[2:] == (" and scale ", sympy.Rational(1, 2))
    assert parse_base("uniform(-3, 3)").words() == ("the uniform distribution between ", -3, " and ", 3)


# --------------------------------------------------------------------------- the parser, for each option


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("normal", Normal(F(0), F(1))),
        ("  Normal  ", Normal(F(0), F(1))),
        ("uniform", Uniform(F(0), F(1))),
        ("logistic", Logistic(F(0), F(1))),
        ("laplace", Laplace(F(0), F(1))),
        ("normal(0, 1)", Normal(F(0), F(1))),
        ("NORMAL(\u22121, 1/3)", Normal(F(-1), F(1, 3))),  # a pasted minus sign, any case
        ("logistic(0.5, 2)", Logistic(F(1, 2), F(2))),
        ("laplace(-2, 1e-3)", Laplace(F(-2), F(1, 1000))),
        ("uniform(-1, 1/2)", Uniform(F(-1), F(1, 2))),
        ("mixture(0.3*logistic, 0.7*normal(3, 0.5))", Mixture((F(3, 10), F(7, 10)),
                                                              (Logistic(F(0), F(1)), Normal(F(3), F(1, 2))))),
        ("mixture(1*laplace(1, 2))", Laplace(F(1), F(2))),
    ],
)
def test_the_same_spellings_mean_the_same_distribution_for_every_option(option, text, expected):
    assert parse(text, option) == expected


@pytest.mark.parametrize("option", ["--data", "--gen"])
def test_categorical_is_read_for_data_and_gen(option):
    assert parse("categorical(0.5, 0.5)", option) == Categorical((F(1, 2), F(1, 2)))


@pytest.mark.parametrize(
    "text", ["categorical(0.5, 0.5)", "mixture(0.5*categorical(1), 0.5*categorical(0, 1))"]
)
def test_a_categorical_base_is_refused_the_latent_space_is_continuous(text):
    with pytest.raises(InputError) as caught:
        parse_base(text)
    assert caught.value.option == "--base"
    assert "latent space of a flow is continuous" in caught.value.message


def test_an_unknown_base_lists_the_continuous_families_only():
    with pytest.raises(InputError) as caught:
        parse_base("gamma(2, 1)")
    assert caught.value.message.endswith("(known: normal, uniform, logistic, laplace, mixture)")
    with pytest.raises(InputError, match=r"mixture, categorical\)$"):
        parse_distribution("gamma(2, 1)", "--data")


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cauchy(0, 1)", "unknown distribution 'cauchy' (known: normal, uniform, logistic, laplace, mixture"),
        ("logistic(0)", "logistic takes 2 parameters (mu, s), got 1"),
        ("logistic(0, 0)", "logistic: s must be positive, got 0"),
        ("laplace(0, -1)", "laplace: b must be positive, got -1"),
        ("uniform(1, 0)", "uniform needs a < b, got a = 1, b = 0"),
        ("normal(0, nan)", "normal's parameters are numbers"),
        ("normal(0, 1e400)", "sigma = 1e+400"),
        ("mixture", "expected '(' after mixture"),
        ("mixture(normal)", "each mixture component needs a weight"),
        ("mixture(0.3*normal, 0.6*laplace)", "mixture weights sum to 0.9, not 1"),
        ("normal(0,1", "unbalanced parentheses"),
        ("normal 1", "unexpected '1' at position 8 after the distribution"),
        ("", "empty distribution"),
    ],
)
def test_refusals_name_the_option_and_the_problem(option, text, message):
    with pytest.raises(InputError) as caught:
        parse(text, option)
    assert caught.value.option == option
    assert message in caught.value.message
    assert "\n" not in caught.value.user_message()


@pytest.mark.parametrize(
    ("text", "quadrature_message"),
    [
        ("normal(0, 1e-400)", "too narrow for float64 to resolve"),
        ("uniform(-1e308, 1e308)", "is outside ±1e9"),
        ("logistic(0, 1e300)", "is above 1e9"),
        ("normal(1e17, 1)", "is outside ±1e9"),
    ],
)
def test_the_base_takes_float64s_range_and_data_what_quadrature_resolves(text, quadrature_message):
    """The flow evaluates its base with mpmath where float64 cannot; quadrature for D* needs distinct nodes."""
    assert isinstance(parse_base(text), Distribution)
    with pytest.raises(InputError, match=quadrature_message):
        parse_distribution(text, "--data")


@pytest.mark.parametrize("text", ["uniform(0, 1e400)", "normal(1e309, 1)", "laplace(0, 2e308)"])
def test_a_base_parameter_beyond_float64_is_refused(text):
    with pytest.raises(InputError, match=r"beyond float64's range \(±1.8e308\)"):
        parse_base(text)


def test_density_pair_keeps_a_logistic_location_difference_that_x_cannot_resolve():
    """logistic(0, 1) against logistic(2, 1) at x = ±1e17: h = |x − 2| − |x| (the softnesses are 0 there) = ∓2
    exactly, though x − 2 rounds to x; against laplace(2, 1), by the same algebra, ∓2 + log 2 (its 1/(2b))."""
    from dgm_cli.distributions import DensityPair

    far = np.array([1e17, -1e17])
    for gen, constant in (("logistic(2, 1)", 0.0), ("laplace(2, 1)", math.log(2))):
        pair = DensityPair(parse_distribution("logistic(0, 1)", "--data"), parse_distribution(gen, "--gen"))
        np.testing.assert_allclose(pair.evaluate(far).log_ratio, [-2.0 + constant, 2.0 + constant], rtol=1e-15)



# --------------------------------------------------------------------------- one language, end to end

SPELLINGS = {
    "normal": stats.norm(0, 1),
    "normal(1, 2)": stats.norm(1, 2),
    "uniform(-1, 2)": stats.uniform(-1, 3),
    "logistic": stats.logistic(0, 1),
    "logistic(0.5, 2)": stats.logistic(0.5, 2),
    "laplace(0, 1)": stats.laplace(0, 1),
}


@pytest.mark.parametrize("spec", [*SPELLINGS, "mixture(0.5*normal(0,1), 0.5*laplace(3,1))"])
def test_every_option_takes_the_same_spelling_on_the_command_line(run, spec):
    """The same text is a flow's base (x = z: p_X = p at x) and either side of a GAN, with the density it names."""
    reference = SPELLINGS.get(spec)
    base = run(["flow-density", "--transform", "z1", "--x", "0.5", "--base", spec, "--json"])
    assert base.exit_code == 0, base.stderr
    density = strict_json(base.stdout)["result"]["density"]
    if reference is not None:  # the identity map: the density at x is the base's own, by SciPy
        assert density == pytest.approx(reference.pdf(0.5), rel=1e-12)
    else:
        assert density == pytest.approx(0.5 * stats.norm.pdf(0.5) + 0.5 * stats.laplace(3, 1).pdf(0.5), rel=1e-12)
    for option, other in (("--data", "--gen"), ("--gen", "--data")):
        gan = run(["gan-optimal", option, spec, other, "normal(3, 1)", "--x", "0.5", "--samples", "0", "--json"])
        assert gan.exit_code == 0, (option, gan.stderr)


def test_categorical_is_a_gan_distribution_but_not_a_flow_base(run):
    assert run(["gan-optimal", "--data", "categorical(0.5, 0.5)", "--gen", "categorical(0.25, 0.75)",
                "--samples", "0", "--json"]).exit_code == 0
    refused = run(["flow-density", "--transform", "z1", "--x", "0", "--base", "categorical(0.5, 0.5)"])
    assert refused.exit_code == 2 and "--base" in refused.stderr and "continuous" in refused.stderr
