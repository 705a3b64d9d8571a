"""The flow solver as a package (solvers/flow/): its registry entry, its batch records, errors that name parameters
(never options), interval bounds with exact ends, and mpmath evaluation of every kind of expression, each against
an independent reference (mpmath at high precision, the closed forms of Problem 1)."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from dgm_cli import problems
from dgm_cli.errors import InputError
from dgm_cli.expressions import parse_transform
from dgm_cli.solvers import flow
from dgm_cli.solvers.flow.bounds import real_bounds
from dgm_cli.solvers.symbolic import MpOutOfRange, MpUndefined, mp_value

# Problem 1 at (0, 1, 1/3): z = (0, 1, 1/27), |det ∂f⁻¹/∂x| = 3·x3² = 1/3, so
# p_X = (2π)^(−3/2) · exp(−(1 + 1/729)/2) / 3, written out here independently of the solver.
ASSIGNMENT_DENSITY = float(mpmath.power(2 * mpmath.pi, -1.5) * mpmath.exp(-(1 + mpmath.mpf(1) / 729) / 2) / 3)


def test_the_package_declares_problem_1_for_the_registry():
    problem = problems.problem("flow-density")
    assert (problem.number, problem.title) == (1, "Probability review")
    assert problem.defaults == {"x": (Fraction(0), Fraction(1), Fraction(1, 3))}
    assert problem.records is flow.records


def test_solving_the_defaults_is_the_problem_as_posed():
    derivation = problems.problem("flow-density").solve()
    assert derivation.result["density"] == pytest.approx(ASSIGNMENT_DENSITY, rel=1e-14)
    assert derivation.inputs["x"] == ["0", "1", "1/3"]
    assert derivation.passed


def test_records_are_batch_modes_rows():
    """x, z = f⁻¹(x) and the density for Problem 1's map; z against the closed form
    (x1, x2·e^(−x1), (x3³ − x1²)·e^(x1))."""
    points = np.array([[0.0, 1.0, 1 / 3], [0.5, -1.0, 2.0]])
    record = flow.records(None, points)
    assert set(record) == {"x", "z", "log_density", "density"}
    x1, x2, x3 = points.T
    expected = np.stack([x1, x2 * np.exp(-x1), (x3**3 - x1**2) * np.exp(x1)], axis=1)
    np.testing.assert_allclose(record["z"], expected, rtol=1e-14)
    assert record["density"][0] == pytest.approx(ASSIGNMENT_DENSITY, rel=1e-14)


def test_records_refuse_a_map_inverted_one_point_at_a_time():
    components, z, x = parse_transform("z1 + z2; z1 - z2**3 + z2", "transform")
    model = flow.transform_model(components, z, x)
    assert model.inverse_method == "numeric"
    with pytest.raises(InputError) as refused:
        flow.records(model, np.zeros((1, 2)))
    assert refused.value.option == "input"
    assert refused.value.user_message(lambda name: f"--{name}").count("--") == 3  # input, inverse, input


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: flow.solve((Fraction(0), Fraction(1))), "x"),
        (lambda: flow.solve(verify=-1), "verify"),
        (lambda: flow.solve(box=Fraction(0)), "box"),
        (lambda: flow.solve(box=Fraction(10) ** 400), "box"),
        (lambda: flow.solve((Fraction(0), Fraction(1), Fraction(10) ** 400)), "x"),
        (lambda: flow.transform_model(*parse_transform("sign(z1)", "transform")), "transform"),
        (lambda: flow.transform_model(*parse_transform("z1; z2", "transform"), inverse=sympy.symbols("x1 x1")),
         "inverse"),
    ],
)
def test_errors_name_the_parameter_never_an_option(call, parameter):
    with pytest.raises(InputError) as refused:
        call()
    assert refused.value.option == parameter
    assert "--" not in refused.value.message


def test_no_step_or_notice_mentions_an_option():
    from dgm_cli.derivation import iter_prose, plain_text

    halving = flow.transform_model(*parse_transform("2*z1", "t"), inverse=[sympy.Symbol("x1", real=True) / 2])
    derivations = [
        flow.solve(verify=500),
        flow.solve((Fraction(1),), model=halving, transform="2*z1"),
    ]
    for derivation in derivations:
        for piece in iter_prose(derivation):
            assert "--" not in plain_text(piece)


# --------------------------------------------------------------------------- interval bounds: exact, outward ends


def test_bound_ends_stay_exact_after_widening_and_contain_the_true_value():
    """tanh(1 + e^z) lies in (tanh 1, 1): the lower end is an exact Fraction just below tanh 1 (mpmath, 60 digits)."""
    z = sympy.Symbol("z", real=True)
    bounds = real_bounds(sympy.tanh(1 + sympy.exp(z)))
    assert isinstance(bounds.lo, Fraction) and bounds.hi == 1
    with mpmath.workdps(60):
        true = mpmath.tanh(1)
        assert mpmath.mpf(bounds.lo.numerator) / bounds.lo.denominator < true
        assert true - mpmath.mpf(bounds.lo.numerator) / bounds.lo.denominator < mpmath.mpf(10) ** -25


def test_a_function_of_a_transcendental_end_is_bounded_too():
    """exp(tanh(1 + e^z)) ∈ (e^(tanh 1), e): an end computed from an end computed by mpmath."""
    z = sympy.Symbol("z", real=True)
    bounds = real_bounds(sympy.exp(sympy.tanh(1 + sympy.exp(z))))
    assert float(bounds.lo) == pytest.approx(math.exp(math.tanh(1)), rel=1e-15)
    assert float(bounds.hi) == pytest.approx(math.e, rel=1e-15)
    assert bounds.lo < Fraction(math.exp(math.tanh(1))) * (1 + Fraction(1, 10**14))


# --------------------------------------------------------------------------- mpmath evaluation of each kind of node


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("Piecewise((x**2, x < 0), (exp(x), True))", lambda v: mpmath.exp(v)),
        ("Max(x, 1/x, 2)", lambda v: max(v, 1 / v, 2)),
        ("Min(x, 1/x)", lambda v: min(v, 1 / v)),
        ("erf(x)", mpmath.erf),  # no rule of its own: SymPy evaluates it at the working precision
        ("sinh(x)*cosh(x) - tanh(x)", lambda v: mpmath.sinh(v) * mpmath.cosh(v) - mpmath.tanh(v)),
        ("atanh(x/4) + acosh(x + 1)", lambda v: mpmath.atanh(v / 4) + mpmath.acosh(v + 1)),
    ],
)
def test_mp_value_agrees_with_mpmath_itself(text, reference):
    x = sympy.Symbol("x", real=True)
    expr = sympy.sympify(text, locals={"x": x})
    with mpmath.workdps(50):
        value = mp_value(expr, {x: sympy.Rational(7, 5)})
        assert abs(value - reference(mpmath.mpf(7) / 5)) < mpmath.mpf(10) ** -45


def test_mp_value_gives_booleans_for_relations_and_refuses_what_has_no_value():
    x = sympy.Symbol("x", real=True)
    assert mp_value(sympy.And(x > 1, sympy.Not(x > 2)), {x: sympy.Rational(3, 2)}) is True
    assert mp_value(sympy.Or(sympy.Eq(x, 0), x < 0), {x: 1}) is False
    for expr in (sympy.log(x), 1 / x, sympy.Symbol("y") + x):
        with pytest.raises(MpUndefined):
            mp_value(expr, {x: 0} if expr == 1 / x else {x: -1})
    with pytest.raises(MpOutOfRange):
        mp_value(sympy.sin(sympy.Integer(10) ** 20000))


# --------------------------------------------------------------------------- the base: the distribution language


def _density(spec: str, transform: str, x: tuple[Fraction, ...]) -> float:
    from dgm_cli.distributions import parse_base

    model = flow.transform_model(*parse_transform(transform, "transform"), base=parse_base(spec))
    return flow.solve(x, model=model, transform=transform).result["density"]


def test_a_mixture_base_gives_the_mixtures_density_through_the_map():
    """x = 2z + 1 with z ~ 0.3·N(0, 1) + 0.7·Laplace(2, 1): p_X(x) = p_Z((x − 1)/2)/2, from scipy.stats."""
    from scipy import stats

    for x in (Fraction(2), Fraction(-3, 2), Fraction(6)):
        z = float((x - 1) / 2)
        expected = (0.3 * stats.norm.pdf(z) + 0.7 * stats.laplace.pdf(z, loc=2, scale=1)) / 2
        assert _density("mixture(0.3*normal(0,1), 0.7*laplace(2,1))", "2*z1 + 1", (x,)) == pytest.approx(
            expected, rel=1e-13)


def test_a_point_in_the_gap_of_a_mixture_of_uniforms_has_density_zero_and_says_where_the_support_is():
    from dgm_cli.derivation import plain_text
    from dgm_cli.distributions import parse_base

    base = parse_base("mixture(0.5*uniform(0,1), 0.5*uniform(2,3))")
    model = flow.transform_model(*parse_transform("2*z1 + 1", "transform"), base=base)
    assert flow.solve((Fraction(5),), model=model).result["density"] == pytest.approx(0.25, rel=1e-15)  # z = 2
    gap = flow.solve((Fraction(4),), model=model)  # z = 3/2, between the two intervals
    assert gap.result["density"] == 0.0
    assert any("between 0 and 1, or between 2 and 3" in plain_text(step.text) for step in gap.steps)


def test_the_standard_normal_base_is_n_0_i():
    assert flow.STANDARD_NORMAL_BASE.describe() == "N(0, I)"
