"""dgm vpnf-bound (Problem 2) as the registry sees it: its declaration, its parameters (named in errors, never as
options), its figure and batch records, the old names kept as aliases, and Brent's evaluation cap against SciPy's.

The references are independent of the solver: δ = ε(1 − 1/(e(h − ε))) and KL ≥ 2δ² written out with math,
SciPy's minimize_scalar, and the error's own spelling hook.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import cache

import numpy as np
import pytest

from dgm_cli import errors
from dgm_cli.derivation import iter_prose, plain_text
from dgm_cli.errors import InputError
from dgm_cli.problems import problem
from dgm_cli.solvers import vpnf, vpnf_maxima
from dgm_cli.solvers.vpnf_limits import check_parameters

OPTION = re.compile(r"(?<![\w-])--[a-z]")  # an option such as --eps, --det (not an en dash, not "x--y")


@cache
def solved(k=None, eps=Fraction(1, 10), det=None):
    return vpnf.solve(k, eps, det)


# --------------------------------------------------------------------------- the registry


def test_problem_declares_the_assignments_problem_two():
    found = problem("vpnf-bound")
    assert (found.number, found.title) == (2, "VP-NFs are not universal")
    assert found.defaults == {"k": None, "eps": Fraction(1, 10), "det": None}
    assert found.module is vpnf and found.figure is vpnf.figure and found.records is vpnf.records


def test_solve_with_the_defaults_is_the_problem_as_posed():
    """The normalising k (h = 0.9) and ε = 0.1: δ ≥ 0.1·(1 − 1/(0.8e)) for every c and δ ≥ ε for c = 1, against the
    formulas written out here (rel 1e-15)."""
    derivation = problem("vpnf-bound").solve()
    result = derivation.result
    tv = 0.1 * (1.0 - 1.0 / (math.e * 0.8))
    assert result["plateau"] == 0.9 and result["normalized"] is True
    assert result["tv_lower_bound"] == pytest.approx(tv, rel=1e-15)
    assert result["kl_lower_bound"] == pytest.approx(2 * tv * tv, rel=1e-15)
    assert result["kl_lower_bound_vp"] == pytest.approx(0.02, rel=1e-15)
    assert derivation.inputs == {"k": "normalising", "eps": "1/10", "det": None}
    assert derivation.result == solved().result  # the same as solve() with its own defaults


def test_solve_takes_k_eps_det_in_that_order():
    by_position = solved(Fraction(2), Fraction(1, 20), Fraction(1, 10))
    by_name = vpnf.solve(k=Fraction(2), eps=Fraction(1, 20), det=Fraction(1, 10))
    assert by_position.result == by_name.result and by_name.result["det"] == 0.1


def test_records_hold_the_same_bounds_as_solve():
    """Batch records for (2, 1/20) and (normalising k, best ε) equal the derivations' results (==)."""
    pairs = [(Fraction(2), Fraction(1, 20)), (None, "best")]
    record = vpnf.records(pairs)
    for row, (k, eps) in enumerate(pairs):
        result = solved(k, eps).result
        for key in vpnf.SWEEP_KEYS:
            assert record[key][row] == result[key], key
        assert record["bound_positive"][row] == result["bound_positive"]
    rows = vpnf.records_of_rows(np.array([[2.0, 0.05]]))
    assert all(rows[key][0] == record[key][0] for key in vpnf.SWEEP_KEYS)


def test_figure_draws_the_solved_run():
    """The figure's values are the result's; its curves are the bounds δ(ε) = ε(1 − 1/(e(h − ε))) on a grid."""
    derivation = solved()
    data = vpnf.figure(derivation, points=11)
    assert data["k"] == derivation.result["k"] and data["eps"] == 0.1 and data["density"].shape == (11, 11)
    eps_grid = data["eps_grid"]
    expected = eps_grid * (1.0 - np.minimum(1.0, 1.0 / (math.e * (0.9 - eps_grid))))
    assert np.allclose(data["tv_lower_bound"], expected, rtol=1e-15, atol=0)
    assert np.array_equal(data["kl_lower_bound"], 2 * data["tv_lower_bound"] ** 2)


# --------------------------------------------------------------------------- parameters, not options


@pytest.mark.parametrize(
    "k, eps, det, parameter",
    [
        (Fraction(0), Fraction(1, 10), None, "k"),
        (Fraction(1, 10**200), Fraction(1, 10), None, "k"),
        (None, Fraction(1, 10), Fraction(-1), "det"),
        (None, Fraction(1), None, "eps"),
        (Fraction(2), Fraction(1, 2), None, "eps"),
    ],
)
def test_errors_name_the_parameter(k, eps, det, parameter):
    for refuse in (check_parameters, vpnf.solve):
        with pytest.raises(InputError) as caught:
            refuse(k, eps, det)
        assert caught.value.option == parameter and not OPTION.search(caught.value.message)


def test_no_bound_for_the_best_eps_names_eps_as_the_caller_spells_it():
    """k = 1/2 (h ≈ 0.11): no ε gives a positive bound, even for c = 1; the message mentions ε's parameter, spelled
    --eps on the command line and eps in Python."""
    with pytest.raises(InputError) as caught:
        vpnf.solve(Fraction(1, 2), "best")
    error = caught.value
    assert error.option == "eps" and errors.mention("eps") in error.message
    assert error.user_message().endswith("give eps a number to see the steps")
    assert error.user_message(lambda name: "--" + name).startswith("--eps: no ε in (0, h)")
    assert error.user_message(lambda name: "--" + name).endswith("give --eps a number to see the steps")


@pytest.mark.parametrize(
    "k, eps, det",
    [
        (None, Fraction(1, 10), None),
        (Fraction(1), "best", Fraction(1)),
        (Fraction(2), Fraction(1, 10), Fraction(1, 10)),
        (Fraction(1, 2), Fraction(1, 10), None),  # h ≤ 1/e: no positive bound for every c, a notice says so
    ],
)
def test_no_text_of_the_derivation_names_an_option(k, eps, det):
    derivation = solved(k, eps, det)
    for text in iter_prose(derivation):
        assert not OPTION.search(plain_text(text)), plain_text(text)


# --------------------------------------------------------------------------- Brent's evaluation cap


@pytest.mark.parametrize("cap", [2, 3, 5, 8])
def test_brent_stops_at_its_evaluation_cap_where_scipy_does(cap, monkeypatch):
    """With the cap lowered to a few evaluations, the same floats and the same number of evaluations as
    scipy.optimize.minimize_scalar(method="bounded", options={"maxiter": cap}) (==)."""
    from scipy.optimize import minimize_scalar

    def f(x):
        calls.append(x)
        return math.sin(7.0 * x) + 0.1 * x * x

    monkeypatch.setattr(vpnf_maxima, "BRENT_MAX_EVALUATIONS", cap)
    calls: list[float] = []
    x, value = vpnf_maxima.minimize_bounded(f, -3.0, 4.0, 1e-12)
    ours = list(calls)
    calls.clear()
    found = minimize_scalar(f, bounds=(-3.0, 4.0), method="bounded", options={"xatol": 1e-12, "maxiter": cap})
    assert float(x) == float(found.x) and float(value) == float(found.fun)
    assert ours == calls and len(ours) == cap
