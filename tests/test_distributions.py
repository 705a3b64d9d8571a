"""The distribution spec language: the parser, its errors, and the densities against SciPy's."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dgm_cli.distributions import (
    MAX_CATEGORIES,
    MAX_COMPONENTS,
    MAX_DEPTH,
    Categorical,
    Laplace,
    Mixture,
    Normal,
    Uniform,
    build,
    format_fraction,
    parse_distribution,
)
from dgm_cli.errors import InputError
from dgm_cli.parsing import MAX_TEXT_LENGTH

F = Fraction


def parse(text: str):
    return parse_distribution(text, "--data")


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("normal(0,1)", Normal(F(0), F(1))),
        ("normal( -1.5 , 2 )", Normal(F(-3, 2), F(2))),
        ("Normal(\u22121, 1/3)", Normal(F(-1), F(1, 3))),  # a pasted minus sign, any case
        ("uniform(0, 1e-3)", Uniform(F(0), F(1, 1000))),
        ("laplace(2, 0.5)", Laplace(F(2), F(1, 2))),
        ("categorical(0.2, 0.5, 0.3)", Categorical((F(1, 5), F(1, 2), F(3, 10)))),
        ("categorical(1/3, 1/3, 1/3)", Categorical((F(1, 3),) * 3)),
        (
            "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))",
            Mixture((F(3, 10), F(7, 10)), (Normal(F(0), F(1)), Normal(F(3), F(1, 2)))),
        ),
    ],
)
def test_valid_specs_parse_to_exact_parameters(text, expected):
    assert parse(text) == expected


def test_nested_mixtures_flatten_with_multiplied_weights():
    parsed = parse("mixture(0.5*mixture(0.5*normal(0,1), 0.5*laplace(1,2)), 0.5*uniform(0,1))")
    assert parsed.weights == (F(1, 4), F(1, 4), F(1, 2))
    assert parsed.components == (Normal(F(0), F(1)), Laplace(F(1), F(2)), Uniform(F(0), F(1)))


def test_mixture_of_categoricals_is_the_categorical_of_the_weighted_sum():
    assert parse("mixture(0.5*categorical(1, 0), 0.5*categorical(0, 0, 1))") == Categorical((F(1, 2), F(0), F(1, 2)))


def test_one_component_mixture_is_the_component_and_zero_weights_are_dropped():
    assert parse("mixture(1*normal(0,1))") == Normal(F(0), F(1))
    assert parse("mixture(0*laplace(0,1), 1*normal(0,1))") == Normal(F(0), F(1))


def test_probabilities_within_1e9_of_one_are_renormalised_exactly():
    parsed = parse("categorical(0.3333333333, 0.3333333333, 0.3333333334)")
    assert sum(parsed.probabilities) == 1
    nearly = parse("categorical(0.33333333333, 0.33333333333, 0.33333333333)")  # sums to 1 − 1e-11
    assert sum(nearly.probabilities) == 1
    assert nearly.probabilities[0] == F(1, 3)


@pytest.mark.parametrize(
    "text",
    [
        "normal(0, 1)",
        "uniform(-2, 3.25)",
        "laplace(1/3, 7)",
        "categorical(0.1, 0.2, 0.7)",
        "mixture(0.25*normal(0, 1), 0.75*laplace(-1, 0.5))",
    ],
)
def test_canonical_text_parses_back_to_the_same_distribution(text):
    parsed = parse(text)
    assert parse(str(parsed)) == parsed


@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6))
def test_format_fraction_reads_back_exactly(value):
    from dgm_cli.parsing import parse_number

    assert parse_number(format_fraction(value)) == value


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo(1)", "unknown distribution 'foo' (known: normal, uniform, logistic, laplace, mixture, categorical)"),
        ("__import__('os')", "unknown distribution '__import__'"),
        ("normal(0, 1).__class__", "unexpected character '.'"),
        ("normal(0,-1)", "sigma must be positive, got -1"),
        ("normal(0, 0)", "sigma must be positive, got 0"),
        ("laplace(0, -2)", "b must be positive, got -2"),
        ("uniform(1, 0)", "uniform needs a < b, got a = 1, b = 0"),
        ("categorical(0.2, 0.5, 0.2)", "categorical probabilities sum to 0.9, not 1"),
        ("categorical(-0.1, 1.1)", "categorical probability 1 is -0.1, negative"),
        ("mixture(0.3*normal(0,1), 0.6*normal(3,0.5))", "mixture weights sum to 0.9, not 1"),
        ("mixture(-0.5*normal(0,1), 1.5*normal(3,0.5))", "mixture weight 1 is -0.5, negative"),
        ("mixture(normal(0,1))", "each mixture component needs a weight"),
        ("mixture(0.5*normal(0,1), 0.5*categorical(1))", "cannot mix categorical and continuous"),
        ("normal(0,1", "unbalanced parentheses: 1 '(' not closed"),
        ("normal(0,1))", "unbalanced parentheses: ')' at position 12 closes nothing"),
        (")(", "unbalanced parentheses"),
        ("normal(0,1,2)", "normal takes 2 parameters (mu, sigma), got 3"),
        ("normal()", "normal's parameters are numbers"),
        ("normal(0, nan)", "normal's parameters are numbers"),
        ("normal(0, inf)", "normal's parameters are numbers"),
        ("normal(0, 1/0)", "divides by zero"),
        ("mixture", "expected '(' after mixture"),
        ("categorical", "expected '(' after categorical"),
        ("", "empty distribution"),
        ("   ", "empty distribution"),
        ("normal(0,1) normal(0,1)", "unexpected 'normal' at position 13 after the distribution"),
        ("0.5*normal(0,1)", "expected a distribution name"),
        ("normal(0;1)", "unexpected character ';'"),
        ("normal(1e10, 1)", "outside ±1e9"),
        ("normal(0, 1e-12)", "too narrow for float64"),
        ("normal(0, 1e500)", "exponent 500 is outside"),
    ],
)
def test_bad_specs_raise_one_input_error_naming_the_option_and_the_problem(text, message):
    with pytest.raises(InputError) as caught:
        parse_distribution(text, "--gen")
    assert caught.value.option == "--gen"
    assert message in caught.value.message
    assert "\n" not in caught.value.user_message()
    assert caught.value.user_message().startswith("--gen: ")


def test_limits_on_length_depth_components_and_categories():
    with pytest.raises(InputError, match="characters long"):
        parse("normal(0," + " " * MAX_TEXT_LENGTH + "1)")
    deep = "mixture(1*" * (MAX_DEPTH + 1) + "normal(0,1)" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(InputError, match="nested deeper than"):
        parse(deep)
    many = "mixture(" + ", ".join(f"1/{MAX_COMPONENTS + 1}*normal({i},1)" for i in range(MAX_COMPONENTS + 1)) + ")"
    with pytest.raises(InputError, match="components; the limit is"):
        parse(many)
    # Through the text, the length limit binds first (10,001 categories need 20,000 characters) ...
    with pytest.raises(InputError, match="characters long"):
        parse("categorical(" + ",".join(["0"] * MAX_CATEGORIES + ["1"]) + ")")
    # ... and the category limit guards the builder itself.
    with pytest.raises(InputError, match="more than"):
        build("categorical", [F(0)] * MAX_CATEGORIES + [F(1)], "--data")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("normal(0, 1/3e-400)", "sigma = 3.33333e+399 is above 1e9"),
        ("categorical(1e400, 1)", "categorical probabilities sum to 1e+400, not 1"),
        ("mixture(1e-400*normal(0,1), 0.5*normal(1,1))", "mixture weights sum to 0.5, not 1"),
    ],
)
def test_numbers_beyond_float64_range_give_messages_not_overflow(text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        parse(text)


def test_probabilities_below_float64_range_keep_a_finite_log():
    """1e-400 has no float64 value, but its log does: −400·log 10, from the exact fraction."""
    parsed = parse("categorical(1e-400, 1)")
    assert parsed.log_pdf(np.array([0.0]))[0] == pytest.approx(-400 * math.log(10) - math.log1p(1e-400), rel=1e-14)
    mixture = parse("mixture(1e-400*laplace(0,1), 1*normal(1,1))")
    assert np.isfinite(mixture.log_pdf(np.array([0.0, 50.0]))).all()


def test_the_limits_themselves_are_accepted():
    at_depth = "mixture(1*" * (MAX_DEPTH - 1) + "normal(0,1)" + ")" * (MAX_DEPTH - 1)
    assert parse(at_depth) == Normal(F(0), F(1))
    many = "mixture(" + ", ".join(f"1/{MAX_COMPONENTS}*normal({i},1)" for i in range(MAX_COMPONENTS)) + ")"
    assert len(parse(many).components) == MAX_COMPONENTS


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"()*,./+-0123456789 e'\"[]{};:=_x",
                "normal",
                "uniform",
                "laplace",
                "mixture",
                "categorical",
                "__import__",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_arbitrary_text_parses_or_raises_input_error_and_nothing_else(text):
    try:
        parsed = parse(text)
    except InputError as error:
        assert "\n" not in error.user_message()
    else:
        assert isinstance(parsed, (Normal, Uniform, Laplace, Mixture, Categorical))


# --------------------------------------------------------------------------- densities against SciPy


POINTS = np.array([-40.0, -3.0, -0.5, 0.0, 0.25, 1.0, 2.5, 7.0, 40.0])


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("normal(0, 1)", stats.norm(0, 1)),
        ("normal(-1.5, 0.25)", stats.norm(-1.5, 0.25)),
        ("laplace(1, 2)", stats.laplace(1, 2)),
        ("uniform(-0.5, 2.5)", stats.uniform(-0.5, 3.0)),
    ],
)
def test_log_pdf_matches_scipy_stats_including_far_tails(text, reference):
    ours = parse(text).log_pdf(POINTS)
    expected = reference.logpdf(POINTS)
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(ours), finite)  # −∞ exactly off the support
    np.testing.assert_allclose(ours[finite], expected[finite], rtol=1e-13, atol=1e-13)


def test_mixture_log_pdf_matches_the_log_of_the_weighted_scipy_densities_and_stays_finite_in_the_tails():
    parsed = parse("mixture(0.3*normal(0,1), 0.7*laplace(3,0.5))")
    x = np.linspace(-6, 9, 61)
    expected = np.log(0.3 * stats.norm(0, 1).pdf(x) + 0.7 * stats.laplace(3, 0.5).pdf(x))
    np.testing.assert_allclose(parsed.log_pdf(x), expected, rtol=1e-12)
    # At x = 60 both components' densities underflow; the log-density is the Laplace term's, exactly.
    far = parsed.log_pdf(np.array([60.0]))[0]
    assert far == pytest.approx(math.log(0.7) + stats.laplace(3, 0.5).logpdf(60.0), rel=1e-14)


def test_categorical_log_pdf_is_log_probability_and_minus_infinity_off_the_categories():
    parsed = parse("categorical(0.2, 0, 0.8)")
    values = parsed.log_pdf(np.array([0, 1, 2, 3, -1, 0.5]))
    np.testing.assert_allclose(values[[0, 2]], np.log([0.2, 0.8]), rtol=1e-15)
    assert np.all(values[[1, 3, 4, 5]] == -np.inf)


@pytest.mark.parametrize(
    "text", ["normal(0.5, 2)", "laplace(-1, 1/3)", "uniform(0, 3)", "mixture(0.4*normal(0,1), 0.6*uniform(1,2))"]
)
def test_exact_sympy_density_equals_the_float_density(text):
    parsed = parse(text)
    x = sympy.Symbol("x", real=True)
    density = parsed.density(x)
    for point in (F(-1, 2), F(0), F(3, 2), F(5, 2)):
        exact = float(density.subs(x, sympy.Rational(point.numerator, point.denominator)).evalf(30))
        assert math.exp(parsed.log_pdf(np.array([float(point)]))[0]) == pytest.approx(exact, rel=1e-13, abs=1e-300)


def test_exact_density_integrates_to_one():
    x = sympy.Symbol("x", real=True)
    for text in ("normal(1, 2)", "laplace(0, 1/2)"):
        assert sympy.integrate(parse(text).density(x), (x, -sympy.oo, sympy.oo)) == 1


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize(
    ("text", "cdf"),
    [
        ("normal(1, 2)", stats.norm(1, 2).cdf),
        ("laplace(0, 0.5)", stats.laplace(0, 0.5).cdf),
        ("uniform(-1, 3)", stats.uniform(-1, 4).cdf),
        (
            "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))",
            lambda t: 0.3 * stats.norm(0, 1).cdf(t) + 0.7 * stats.norm(3, 0.5).cdf(t),
        ),
    ],
)
def test_samples_follow_the_distribution_kolmogorov_smirnov(text, cdf):
    samples = parse(text).sample(np.random.default_rng(1), 20_000)
    assert stats.kstest(samples, cdf).pvalue > 1e-4


def test_categorical_samples_follow_the_probabilities_chi_square():
    parsed = parse("categorical(0.2, 0.5, 0.3)")
    samples = parsed.sample(np.random.default_rng(2), 30_000)
    counts = np.bincount(samples, minlength=3)
    assert stats.chisquare(counts, 30_000 * np.array([0.2, 0.5, 0.3])).pvalue > 1e-4


# --------------------------------------------------------------------------- the spec as mathematics


@pytest.mark.parametrize(
    ("text", "spelled", "latex"),
    [
        ("normal(0, 1)", "normal(0, 1)", r"\operatorname{normal}(0, 1)"),
        ("laplace(-1/3, 0.5)", "laplace(-1/3, 0.5)", r"\operatorname{laplace}(-\tfrac{1}{3}, 0.5)"),
        ("uniform(-2, 1e-3)", "uniform(-2, 0.001)", r"\operatorname{uniform}(-2, 0.001)"),
        ("categorical(1/3, 1/3, 1/3)", "categorical(1/3, 1/3, 1/3)", None),
        (
            "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))",
            "mixture(0.3·normal(0, 1), 0.7·normal(3, 0.5))",
            r"\operatorname{mixture}(0.3 \cdot \operatorname{normal}(0, 1), 0.7 \cdot \operatorname{normal}(3, 0.5))",
        ),
    ],
)
def test_spec_as_mathematics_spells_the_exact_parameters_and_is_valid_latex(text, spelled, latex):
    math = parse(text).math()
    assert math.text == spelled
    if latex is not None:
        assert math.latex == latex
    assert math.latex.isascii() and "$" not in math.latex
    converter = pytest.importorskip("latex2mathml.converter")
    assert "<math" in converter.convert(math.latex)


def test_describe_names_a_long_distribution_in_words_and_a_short_one_as_its_spec():
    from dgm_cli.distributions import SPELLED_OUT_TERMS, describe

    assert describe(parse("normal(0, 1)")) == (Normal(F(0), F(1)).math(),)
    n = SPELLED_OUT_TERMS + 1
    many = parse("categorical(" + ", ".join([f"1/{n}"] * n) + ")")
    assert describe(many) == ("a categorical distribution on ", n, " categories")
    mixture = parse("mixture(" + ", ".join(f"1/20*normal({i}, 1)" for i in range(20)) + ")")
    assert describe(mixture) == ("a mixture of ", 20, " components")


# --------------------------------------------------------------------------- log p_data − log p_g without cancellation


def _mp_log_density(distribution, x):
    """log p(x) with mpmath from the exact parameters (the caller sets the precision); −∞ where p = 0."""
    import mpmath

    from dgm_cli.distributions import LAPLACE_TERM, LOGISTIC_TERM, NORMAL_TERM, terms

    def exact(value):
        return mpmath.mpf(value.numerator) / value.denominator

    logs = []
    for term in terms(distribution):
        location, scale, weight = exact(term.location), exact(term.scale), exact(term.weight)
        y = x - location
        if term.kind == NORMAL_TERM:
            logs.append(mpmath.log(weight / (scale * mpmath.sqrt(2 * mpmath.pi))) - (y / scale) ** 2 / 2)
        elif term.kind == LAPLACE_TERM:
            logs.append(mpmath.log(weight / (2 * scale)) - abs(y) / scale)
        elif term.kind == LOGISTIC_TERM:  # log σ(u) + log σ(−u) = −|u| − 2·log(1 + e^−|u|)
            u = abs(y) / scale
            logs.append(mpmath.log(weight / scale) - u - 2 * mpmath.log1p(mpmath.exp(-u)))
        elif 0 <= y <= scale:
            logs.append(mpmath.log(weight / scale))
    if not logs:
        return -mpmath.inf
    top = max(logs)
    return top + mpmath.log(sum(mpmath.exp(v - top) for v in logs))


PAIR_SPECS = [
    ("normal(0,1)", "normal(2,1)"),
    ("normal(0,1)", "normal(1,2)"),
    ("normal(0,1)", "normal(0,1.000000001)"),
    ("laplace(0,1)", "normal(0.5,1)"),
    ("laplace(1,2)", "laplace(-1,0.5)"),
    ("uniform(0,1)", "normal(0,1e-9)"),
    ("normal(999999999,1)", "normal(1e9,1)"),
    ("mixture(0.3*normal(0,1), 0.7*laplace(3,0.5))", "mixture(1e-300*normal(5,1), 1*normal(0,2))"),
    ("mixture(0.5*normal(-1e9,1e9), 0.5*laplace(1e9,1))", "mixture(0.5*uniform(0,1), 0.5*normal(0,1e-9))"),
    ("logistic(0,1)", "normal(1,2)"),
    ("logistic(0,1)", "laplace(2,1)"),
    ("logistic(-1,0.5)", "logistic(3,2)"),
    ("mixture(0.5*logistic(0,1), 0.5*uniform(-1,1))", "mixture(0.2*laplace(1,1), 0.8*logistic(1,1.000000001))"),
]
FAR_POINTS = np.array(
    [-3.0, 0.0, 0.5, 1.0, 3.0, 40.0, 1e3, 1e17, -1e20, 1e160, -1e160, 1e300, 1.7e308, -1.7e308, 999999999.5, 3e-9]
)


@pytest.mark.parametrize(("data", "gen"), PAIR_SPECS)
def test_density_pair_gives_d_star_of_the_exact_log_ratio_for_every_float_x(data, gen):
    """D* = σ(log p_data − log p_g) against mpmath at 700 digits (log-densities reach 1e634 in size at x = 1.7e308):
    within 1e-13 at every point, never NaN, and defined wherever either density is positive. Subtracting two
    float64 log-densities gave D* = 1/2 at x = 1e17 and 'undefined' from |x| = 1e160 on."""
    import mpmath
    from scipy.special import expit

    from dgm_cli.distributions import DensityPair

    pair = DensityPair(parse(data), parse(gen))
    values = pair.evaluate(FAR_POINTS)
    assert not np.isnan(values.log_ratio).any()
    with mpmath.workdps(700):
        for x, h, defined in zip(FAR_POINTS, values.log_ratio, values.defined):
            exact = mpmath.mpf(float(x))
            lp, lq = _mp_log_density(pair.data, exact), _mp_log_density(pair.gen, exact)
            if lp == -mpmath.inf and lq == -mpmath.inf:
                assert not defined
                continue
            assert defined
            reference = float(1 / (1 + mpmath.exp(lq - lp))) if lp > -mpmath.inf else 0.0
            assert abs(float(expit(h)) - reference) <= 1e-13, (x, h)


def test_density_pair_log_ratio_of_two_normals_far_out_is_the_closed_form():
    """N(0,1) against N(2,1): h = 2 − 2x exactly, to float64 rounding, out to x = ±1.7e308 (|h| overflows to ∞ only
    where 2 − 2x itself is beyond float64, and then with its sign)."""
    from dgm_cli.distributions import DensityPair

    x = np.array([1e17, -1e20, 1e160, -1e160, 1e300, 8e307, 1.7e308, -1.7e308])
    h = DensityPair(parse("normal(0,1)"), parse("normal(2,1)")).evaluate(x).log_ratio
    with np.errstate(over="ignore"):
        expected = 2 - 2 * x  # exact in float64 here, or ±∞ where 2x overflows
    assert np.array_equal(np.sign(h), np.sign(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(h[finite], expected[finite], rtol=1e-15)
    assert np.array_equal(np.isinf(h), ~finite)


def test_density_pair_keeps_a_location_difference_that_x_cannot_resolve():
    """Laplace(0, 1) against Laplace(2, 1) at x = 1e17: h = |x − 2| − |x| = −2 exactly, though x − 2 rounds to x."""
    from dgm_cli.distributions import DensityPair

    h = DensityPair(parse("laplace(0,1)"), parse("laplace(2,1)")).evaluate(np.array([1e17, -1e17])).log_ratio
    np.testing.assert_allclose(h, [-2.0, 2.0], rtol=1e-15)


def test_density_pair_at_exact_anchors_takes_the_point_exactly():
    """x = 999999999 + 1/3 as an anchor: h = 1/6 exactly for N(999999999, 1) against N(1e9, 1), where the float
    999999999.3333334 is 2.4e-8 off and moves h by that much."""
    from dgm_cli.distributions import DensityPair

    pair = DensityPair(parse("normal(999999999,1)"), parse("normal(1e9,1)"))
    point = F(999999999) + F(1, 3)
    h = pair.evaluate(np.zeros(1), rows=np.zeros(1), offsets=pair.offsets([point])).log_ratio[0]
    assert h == pytest.approx(1 / 6, rel=1e-15)


def test_density_pair_for_categoricals_takes_the_exact_probability_ratio():
    """log(p/q) from the exact ratio: 0.5 against 0.5000000001 gives −2e-10 to 1e-15 relative (a difference of two
    rounded logs keeps 6 digits); a category with mass on one side only gives ±∞; none on either, undefined."""
    from dgm_cli.distributions import DensityPair

    pair = DensityPair(parse("categorical(0.5, 0.5, 0)"), parse("categorical(0.5000000001, 0.4999999999)"))
    values = pair.evaluate(np.array([0.0, 1.0, 2.0, 3.0]))
    assert values.log_ratio[0] == pytest.approx(-math.log1p(2e-10), rel=1e-15, abs=0)
    assert values.log_ratio[1] == pytest.approx(-math.log1p(-2e-10), rel=1e-15, abs=0)
    assert list(values.defined) == [True, True, False, False]


def test_format_fraction_writes_long_decimals_in_scientific_notation_that_reads_back():
    from dgm_cli.distributions import short_number
    from dgm_cli.parsing import parse_number

    for text, expected in [("1e308", "1e+308"), ("-1.7976931348623157e308", "-1.7976931348623157e+308"),
                           ("1.5e-300", "1.5e-300"), ("100000000000000000", "100000000000000000")]:  # fmt: skip
        value = parse_number(text)
        assert format_fraction(value) == expected
        assert parse_number(format_fraction(value)) == value
    assert short_number(parse_number("1e400")) == "1e+400"
    assert short_number(F(1, 3)) == "1/3"


def test_a_limit_passed_by_less_than_the_shown_digits_says_by_how_much():
    """1e9 + 1e-9 shows as 1e+09 to 6 digits; the message adds the excess instead of '1e+09 is outside ±1e9'."""
    with pytest.raises(InputError, match=re.escape("mu = 1e+09 is outside ±1e9 (by 1e-09)")):
        parse("normal(1000000000.000000001, 1)")
    with pytest.raises(InputError, match=re.escape("is above 1e9 (by 1e-09)")):
        parse("uniform(-1e9, 1e-9)")
