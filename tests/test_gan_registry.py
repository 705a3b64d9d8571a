"""Problems 3 and 4 in the registry: their declarations, solve(**defaults), figure(derivation), records(...), the
parameters their errors name, and the logistic family in gan-optimal.

References are independent of the solvers' pipelines: scipy.stats densities, closed forms, the old entry points.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, stats

from dgm_cli.distributions import Normal, parse_distribution
from dgm_cli.errors import InputError
from dgm_cli.problems import problem
from dgm_cli.solvers import gan_optimal, gan_vanishing
from dgm_cli.solvers.gan_optimal_fit import FIT_DEGREE_MIXTURE, FIT_TOLERANCE_MIXTURE, fit_discriminator

F = Fraction


def spec(text: str):
    return parse_distribution(text, "data")


# --------------------------------------------------------------------------- the declarations


def test_both_problems_are_declared_with_the_assignments_numbers_titles_and_defaults():
    optimal, vanishing = problem("gan-optimal"), problem("gan-vanishing")
    assert (optimal.number, optimal.title) == (3, "Optimality of the GAN framework")
    assert (vanishing.number, vanishing.title) == (4, "Perfect discriminator, perfect generation")
    assert optimal.defaults == {"data": Normal(F(0), F(1)), "gen": Normal(F(2), F(1)), "x": None}
    assert optimal.defaults["data"] == spec("normal(0,1)") and optimal.defaults["gen"] == spec("normal(2,1)")
    assert vanishing.defaults == {"logits": (F(-1), F(-5), F(-10), F(-20)), "sweep": True, "grad_bound": None,
                                  "source": "default"}
    assert optimal.module is gan_optimal and vanishing.module is gan_vanishing
    assert optimal.figure is gan_optimal.figure and optimal.records is gan_optimal.records
    assert vanishing.figure is gan_vanishing.figure and vanishing.records is gan_vanishing.records


def test_gan_optimal_as_posed_is_the_reports_problem_3():
    """solve(**defaults) is what `dgm report` computed: the assignment's two normals, default points."""
    posed = problem("gan-optimal").solve(samples=1000)
    old = gan_optimal.solve(spec("normal(0,1)"), spec("normal(2,1)"), None, samples=1000)
    assert posed.result == old.result
    assert posed.result["points"] == ["0", "1", "2"]
    # JSD(N(0,1) ‖ N(2,1)) by scipy's quadrature of the two densities, independently
    p, q = stats.norm(0, 1).pdf, stats.norm(2, 1).pdf

    def integrand(x):
        m = (p(x) + q(x)) / 2
        return 0.5 * p(x) * np.log(p(x) / m) + 0.5 * q(x) * np.log(q(x) / m)

    jsd = integrate.quad(integrand, -30, 32, limit=200, epsabs=1e-14)[0]
    assert posed.result["jsd"] == pytest.approx(jsd, abs=1e-11)


def test_gan_vanishing_as_posed_runs_the_sweep_on_the_default_logits():
    posed = problem("gan-vanishing").solve()
    assert posed.result["logits"] == [-1.0, -5.0, -10.0, -20.0]
    assert "sweep_sharpness" in posed.result and "grad_bound" not in posed.result
    # −σ(h) at h = −1, −5, −10, −20, from the closed form 1/(1 + e^(−h))
    assert posed.result["grad_saturating"] == pytest.approx([-1 / (1 + np.exp(h)) for h in (1, 5, 10, 20)], rel=1e-15)
    assert posed.all_checks_passed


# --------------------------------------------------------------------------- figure and records


def test_gan_optimal_figure_of_a_derivation_is_the_figure_of_its_inputs():
    data, gen = spec("laplace(0,1)"), spec("normal(1,2)")
    derivation = gan_optimal.solve(data, gen, [F(-1), F(1, 3), F(2)], samples=0)
    drawn = gan_optimal.figure(derivation)
    direct = gan_optimal.figure_data(data, gen, [F(-1), F(1, 3), F(2)])
    for name in ("x", "p_data", "p_g", "d_star", "d_fit", "points", "d_star_points"):
        np.testing.assert_array_equal(getattr(drawn, name), getattr(direct, name))
    # D* at the points against scipy's densities
    p, q = stats.laplace(0, 1).pdf(drawn.points), stats.norm(1, 2).pdf(drawn.points)
    np.testing.assert_allclose(drawn.d_star_points, p / (p + q), rtol=1e-13)


def test_gan_optimal_figure_uses_the_default_points_it_evaluated():
    derivation = gan_optimal.solve(spec("categorical(0.2,0.3,0.5)"), spec("categorical(0.5,0.5)"), samples=0)
    drawn = gan_optimal.figure(derivation)
    assert drawn.discrete and list(drawn.points) == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(drawn.d_star_points, [0.2 / 0.7, 0.3 / 0.8, 1.0], rtol=1e-15)


def test_gan_vanishing_figure_of_a_derivation_is_the_figure_of_its_result():
    derivation = gan_vanishing.solve([F(-3), F(60)], sweep=True)
    drawn, direct = gan_vanishing.figure(derivation), gan_vanishing.figure_data(derivation.result)
    np.testing.assert_array_equal(drawn.curve_saturating, direct.curve_saturating)
    assert drawn.batch_hidden == 1 and list(drawn.batch_logits) == [-3.0]  # 60 is beyond the curves' ±50
    swept = {key for key, value in derivation.result.items() if key.startswith("sweep_") and isinstance(value, list)}
    assert set(drawn.sweep) == swept and "sweep_sharpness" in swept


def test_gan_optimal_records_are_the_discriminator_records_and_refuse_an_incompatible_pair():
    data, gen = spec("normal(0,1)"), spec("normal(2,1)")
    points = np.array([[0.0], [1.0], [40.0]])
    record = gan_optimal.records(points, data=data, gen=gen)
    old = gan_optimal.discriminator_records(data, gen, points)
    for key in old:
        np.testing.assert_array_equal(record[key], old[key])
    # D* = 1/(1 + e^(2x − 2)) for N(0, 1) against N(2, 1)
    np.testing.assert_allclose(record["d_star"], 1 / (1 + np.exp(2 * points[:, 0] - 2)), rtol=1e-14)
    with pytest.raises(InputError) as raised:
        gan_optimal.records(points, data=spec("categorical(0.5,0.5)"), gen=gen)
    assert raised.value.option == "gen"


def test_gan_vanishing_records_are_the_logit_records():
    points = np.array([[-1.0], [0.0], [30.0]])
    record = gan_vanishing.records(points)
    np.testing.assert_allclose(record["grad_saturating"], -1 / (1 + np.exp(-points[:, 0])), rtol=1e-15)
    np.testing.assert_allclose(record["grad_nonsaturating"], -1 / (1 + np.exp(points[:, 0])), rtol=1e-15)


# --------------------------------------------------------------------------- errors name parameters


@pytest.mark.parametrize(
    ("call", "parameter", "words"),
    [
        (lambda: gan_optimal.solve(spec("normal(0,1)"), spec("categorical(1)")), "gen", "no common dominating"),
        (lambda: gan_optimal.solve(spec("normal(0,1)"), spec("normal(1,1)"), [F(10) ** 400]), "x", "float64"),
        (lambda: gan_optimal.solve(spec("categorical(1)"), spec("categorical(1)"), [F(3)]), "x", "not a category"),
        (lambda: gan_optimal.solve(spec("normal(0,1)"), spec("normal(1,1)"), [F(i) for i in range(101)]), "x",
         "the limit is 100"),
        (lambda: gan_optimal.solve(spec("normal(0,1)"), spec("normal(1,1)"), samples=-1), "samples", "0 or more"),
        (lambda: gan_vanishing.solve([]), "logits", "no logits"),
        (lambda: gan_vanishing.solve([F(10) ** 301]), "logits", "outside ±1e300"),
        (lambda: gan_vanishing.solve([float("nan")]), "logits", "not a finite number"),
        (lambda: gan_vanishing.solve([F(-1)], grad_bound=F(0)), "grad_bound", "positive"),
    ],
)
def test_solver_errors_name_the_parameter_never_an_option(call, parameter, words):
    with pytest.raises(InputError) as raised:
        call()
    assert raised.value.option == parameter
    assert words in raised.value.message and "--" not in raised.value.message


def test_a_message_naming_another_parameter_is_spelled_by_the_caller():
    with pytest.raises(InputError) as raised:
        gan_optimal.check_compatible(spec("categorical(0.5,0.5)"), spec("normal(0,1)"))
    options = {"data": "--data", "gen": "--gen"}
    assert raised.value.user_message(lambda name: options[name]).startswith(
        "--gen: normal(0, 1) is continuous (a density) but --data categorical(0.5, 0.5) is discrete"
    )
    assert str(raised.value).startswith("gen: normal(0, 1) is continuous (a density) but data categorical")


def test_where_the_logits_came_from_is_recorded_as_data():
    assert gan_vanishing.solve([F(-1)]).inputs["source"] == "given"
    assert gan_vanishing.solve([F(-1)], source="stdin").inputs["source"] == "stdin"


# --------------------------------------------------------------------------- the logistic family


def test_logistic_pair_passes_every_check_with_the_approximating_fit():
    """The logistic log-density has a softplus term: the fit uses degree 10, not the exact family's degree 2, and
    its D_fit approaches D* (here from scipy's densities) within the approximating family's tolerance."""
    data, gen = spec("logistic(0,1)"), spec("normal(1,2)")
    derivation = gan_optimal.solve(data, gen, samples=20_000)  # default points: the means 0, 1/2 and 1
    assert derivation.inputs["x"] == ["0", "0.5", "1"]
    assert derivation.all_checks_passed
    fitted = fit_discriminator(data, gen)
    assert fitted.degree == FIT_DEGREE_MIXTURE and not fitted.contains_optimum
    x = np.linspace(-6, 8, 201)
    p, q = stats.logistic(0, 1).pdf(x), stats.norm(1, 2).pdf(x)
    assert np.max(np.abs(fitted(x) - p / (p + q))) < FIT_TOLERANCE_MIXTURE
