"""Volume-preserving flows are not universal: the counterexample and its Pinsker bounds (Problem 2).

The target is the assignment's "pyramid frustum" density, normalised: p = g(‖x‖∞)/Z with
g = 0.9 on B = [−½, ½]² and a linear ramp 0.9 − k(‖x‖∞ − ½) down to 0 at
‖x‖∞ = ½ + 0.9/k. A flow with constant |det ∂f/∂z| = c and latent N(0, I₂) has
p_θ(x) = N(f⁻¹(x))/c, so its upper level sets are images of discs whose area is
bounded whatever θ and c are; on the plateau B it must fall short of p by ε on
most of B, and Pinsker's inequality KL ≥ 2δ² (δ = sup_E |P(E) − Q(E)|) turns that
into a lower bound on KL(p‖p_θ) that does not depend on θ.

This module is the problem as the registry sees it (:data:`PROBLEM`, :func:`solve`, :func:`figure`,
:func:`records`); the work is done by its neighbours, one concept each:

- :mod:`~dgm_cli.solvers.vpnf_limits`: the parameters' ranges (light: checked before any heavy import);
- :mod:`~dgm_cli.solvers.vpnf_formulas`: the closed forms, derived once with SymPy;
- :mod:`~dgm_cli.solvers.vpnf_bounds`: every quantity of one run, exact;
- :mod:`~dgm_cli.solvers.vpnf_numbers` and :mod:`~dgm_cli.solvers.vpnf_notation`: exact values as numbers, and
  how they are shown;
- :mod:`~dgm_cli.solvers.vpnf_steps_setup`, :mod:`~dgm_cli.solvers.vpnf_steps_ab`,
  :mod:`~dgm_cli.solvers.vpnf_steps_c`, :mod:`~dgm_cli.solvers.vpnf_steps_d` and
  :mod:`~dgm_cli.solvers.vpnf_statement`: the derivation's prose, in the assignment's order;
- :mod:`~dgm_cli.solvers.vpnf_checks`, on :mod:`~dgm_cli.solvers.vpnf_quadrature` and
  :mod:`~dgm_cli.solvers.vpnf_maxima`: each closed form checked by an independent route (Gauss–Legendre quadrature
  of the density exactly as the assignment writes it, Monte Carlo through a concrete flow, Brent's bounded
  minimisation, and mpmath).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, TypedDict

import numpy as np
import sympy

from dgm_cli.derivation import Check, Derivation, Notice
from dgm_cli.problems import Problem
from dgm_cli.solvers.vpnf_bounds import Bounds, pinsker_kl, solve_bounds
from dgm_cli.solvers.vpnf_checks import run_checks
from dgm_cli.solvers.vpnf_formulas import profile_formulas
from dgm_cli.solvers.vpnf_limits import Eps
from dgm_cli.solvers.vpnf_maxima import tv_lower_bound_every_det, tv_lower_bound_for_det
from dgm_cli.solvers.vpnf_notation import KL_M
from dgm_cli.solvers.vpnf_numbers import as_number, exact_text, is_positive
from dgm_cli.solvers.vpnf_quadrature import density_as_written_grid
from dgm_cli.solvers.vpnf_statement import PARTS, QUESTION
from dgm_cli.solvers.vpnf_steps_ab import part_a_steps, part_b_steps
from dgm_cli.solvers.vpnf_steps_c import part_c_steps
from dgm_cli.solvers.vpnf_steps_d import answer_sentence, conclusion, sandwich_steps
from dgm_cli.solvers.vpnf_steps_setup import setup_steps

COMMAND = "vpnf-bound"
PROBLEM = Problem(
    command=COMMAND,
    number=2,
    title="VP-NFs are not universal",
    defaults={"k": None, "eps": Fraction(1, 10), "det": None},  # the normalising k, ε = 0.1, no given c
)


# --------------------------------------------------------------------------- one (k, ε): the derivation


def solve(k: Fraction | None = None, eps: Eps = Fraction(1, 10), det: Fraction | None = None) -> Derivation:
    """Parts (a)–(d) of Problem 2 for one k and ε: the counterexample, the sets, the bounds, the sandwich, the checks.

    ``k`` None means the normalising k; ``eps`` may be "best", the ε that maximises the bound; ``det`` adds one given
    constant c = |det ∂f/∂z|. The steps come in the assignment's order: the set-up, then parts (a), (b), (c) and (d).
    An :class:`InputError` names the parameter out of range ("k", "eps", "det").
    """
    b = solve_bounds(k, eps, det)
    warnings: list[Notice] = []
    steps = (
        setup_steps(b, warnings)
        + part_a_steps(b)
        + part_b_steps(b)
        + part_c_steps(b, warnings)
        + sandwich_steps(b)
        + [conclusion(b)]
    )
    checks, tv_gaussian, tv_gaussian_vp = run_checks(b)
    return Derivation(
        command=COMMAND,
        title=("Volume-preserving flows are not universal: Pinsker lower bounds on ", KL_M),
        inputs={
            "k": "normalising" if k is None else str(k),
            "eps": "best" if eps == "best" else str(eps),
            "det": None if det is None else str(det),
        },
        steps=steps,
        result=_result(b, tv_gaussian, tv_gaussian_vp, checks),
        checks=checks,
        warnings=warnings,
        question=QUESTION,
        answer=answer_sentence(b),
        parts=PARTS,
    )


def _result(b: Bounds, tv_gaussian: float, tv_gaussian_vp: float, checks: list[Check]) -> dict[str, Any]:
    """The flat named values. Each is a float64 where one holds it, else a 15-digit SymPy Float (1e-400, 1e400)."""
    formulas, example = profile_formulas(), b.example
    n = as_number
    result: dict[str, Any] = {
        "k": n(example.k),
        "k_exact": exact_text(example.k),
        "eps": n(b.eps),
        "eps_exact": exact_text(b.eps),
        "mass": n(example.mass),
        "mass_exact": exact_text(example.mass),
        "normalized": example.is_normalized,
        "k_normalizing": n(formulas.k_normalizing),
        "k_normalizing_exact": exact_text(formulas.k_normalizing),
        "ramp_end": n(example.ramp_end),
        "plateau": n(b.plateau),
        "plateau_exact": exact_text(b.plateau),
        "threshold": n(b.threshold),
        "c_maximizing_volume_A": n(b.c_maximizing),
        "volume_A_upper_bound": n(b.volume_A_upper_bound),
        "r_squared_vp": n(b.vp.r_squared),
        "volume_C_vp": n(b.vp.volume_C),
        "volume_C_upper_bound_vp": n(b.vp.volume_C_upper_bound),
        "volume_A_vp": n(b.vp.volume_A),
        "tv_lower_bound_empty_A": n(b.eps),
        "tv_lower_bound_nonempty_A": n(b.tv_nonempty_A) if is_positive(b.tv_nonempty_A) else 0.0,
        "tv_lower_bound": n(b.tv_every),
        "kl_lower_bound": n(pinsker_kl(b.tv_every)),
        "bound_positive": is_positive(b.tv_every),
        "tv_lower_bound_vp": n(b.vp.tv),
        "kl_lower_bound_vp": n(pinsker_kl(b.vp.tv)),
        "best_eps": n(b.best_eps) if b.best_eps is not None else None,
        "best_tv_lower_bound": n(b.best_tv) if b.best_tv is not None else None,
        "best_kl_lower_bound": n(pinsker_kl(b.best_tv)) if b.best_tv is not None else None,
        "best_eps_vp": n(b.best_eps_vp),
        "best_kl_lower_bound_vp": n(pinsker_kl(b.best_tv_vp)),
        "second_moment": n(example.second_moment),
        "neg_entropy": n(example.neg_entropy),
        "sigma_squared_gaussian": n(b.sigma_squared),
        "kl_gaussian_upper": n(b.kl_gaussian),
        "tv_gaussian": tv_gaussian,
        "kl_gaussian_vp": n(b.kl_gaussian_vp),
        "tv_gaussian_vp": tv_gaussian_vp,
    }
    if b.given is not None:
        g = b.given
        result.update(
            {
                "det": n(g.c),
                "r_squared_det": n(g.r_squared),
                "volume_C_det": n(g.volume_C),
                "volume_C_upper_bound_det": n(g.volume_C_upper_bound),
                "volume_A_det": n(g.volume_A),
                "tv_lower_bound_det": n(g.tv),
                "kl_lower_bound_det": n(pinsker_kl(g.tv)),
                "kl_gaussian_det": n(b.kl_gaussian_det),
            }
        )
    result["checks_passed"] = all(c.passed for c in checks)
    return result


# --------------------------------------------------------------------------- many (k, ε) at once: batch mode

SWEEP_KEYS = ("k", "eps", "plateau", "tv_lower_bound", "kl_lower_bound", "tv_lower_bound_vp", "kl_lower_bound_vp")


def records(pairs: list[tuple[Fraction | None, Eps]]) -> dict[str, np.ndarray]:
    """The bounds of parts (a)–(c) for many (k, ε) in one process: k, ε, h, the bound on δ and KL ≥ 2δ² for
    every constant c and for c = 1 (a k of None is the normalising k, an ε of "best" the maximising ε).

    The same closed forms as :func:`solve`, without its derivation and checks; ``bound_positive`` says
    whether the bound for every c is positive."""
    columns: dict[str, list] = {key: [] for key in SWEEP_KEYS}
    positive = []
    for k, eps in pairs:
        b = solve_bounds(k, eps, None)
        values = (b.example.k, b.eps, b.plateau, b.tv_every, pinsker_kl(b.tv_every), b.vp.tv, pinsker_kl(b.vp.tv))
        for key, value in zip(SWEEP_KEYS, values):
            columns[key].append(float(as_number(value)))
        positive.append(is_positive(b.tv_every))
    record = {key: np.array(values, dtype=np.float64) for key, values in columns.items()}
    record["bound_positive"] = np.array(positive, dtype=bool)
    return record


def records_of_rows(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode: one ``k ε`` pair per row, each read back as the shortest decimal of its float (0.1 is 1/10)."""
    return records([(Fraction(repr(float(k))), Fraction(repr(float(eps)))) for k, eps in rows])


# --------------------------------------------------------------------------- the figure


class FigureData(TypedDict):
    """What the figure draws (render/plot_vpnf_bound.py), by name: the normalised density on a grid with B and the
    largest possible A, and the bounds on KL against ε beside the KL of the concrete flows."""

    k: float
    plateau: float
    eps: float
    axis: np.ndarray
    density: np.ndarray  # the normalised density on axis × axis
    largest_A_radius: float  # the disc A of z ↦ √c*·z, the largest over c
    volume_A_upper_bound: float
    eps_grid: np.ndarray
    tv_lower_bound: np.ndarray  # against eps_grid, for every c
    tv_lower_bound_vp: np.ndarray  # against eps_grid, for c = 1
    kl_lower_bound: np.ndarray
    kl_lower_bound_vp: np.ndarray
    best_eps: float | None
    best_eps_vp: float
    kl_lower_bound_at_eps: float
    kl_lower_bound_vp_at_eps: float
    kl_gaussian_upper: float
    kl_gaussian_vp: float


class _PlotNumber(float):
    """A value beyond float64 for the figure: drawn as its float (0 or ∞), formatted as itself (1e-400 in a label)."""

    exact: sympy.Float

    def __new__(cls, value: sympy.Float) -> _PlotNumber:
        number = super().__new__(cls, float(value))
        number.exact = value
        return number

    def __format__(self, spec: str) -> str:
        return format(self.exact, spec)


def figure(derivation: Derivation, points: int = 401) -> FigureData:
    """Arrays for the figure, from a solved run: the normalised density on a grid, B, the largest possible A, δ(ε)."""
    # Values beyond float64 (a SymPy Float in the result) are drawn at 0 or ∞, but labelled as they are.
    r = {
        name: _PlotNumber(value) if isinstance(value, sympy.Float) else value
        for name, value in derivation.result.items()
    }
    k, ramp_end, mass, plateau, eps = r["k"], r["ramp_end"], r["mass"], r["plateau"], r["eps"]
    half = 1.15 * max(ramp_end, 0.5 + 1e-9)
    axis = np.linspace(-half, half, points)
    xx, yy = np.meshgrid(axis, axis)
    eps_grid = np.linspace(0.0, plateau, 802)[1:-1]
    tv_every = np.array([tv_lower_bound_every_det(e, plateau) for e in eps_grid])
    tv_vp = np.array([tv_lower_bound_for_det(e, plateau, 1.0) for e in eps_grid])
    # The largest A over c is attained by z ↦ √c*·z, c* = 1/(2πe(h − ε)), where r² = 2: a disc of radius √(2c*).
    return {
        "k": k,
        "plateau": plateau,
        "eps": eps,
        "axis": axis,
        "density": density_as_written_grid(xx, yy, k, ramp_end) / mass,  # k may be ∞ (k = 1e400): its ramp is empty
        # A disc far larger than the window is drawn just outside it (so invisible, as it should be):
        # matplotlib dashes the whole circumference, and at radius 3e13 (ε = h − 1e-28) that takes gigabytes.
        "largest_A_radius": min(math.sqrt(2 * r["c_maximizing_volume_A"]), 2 * half),
        "volume_A_upper_bound": r["volume_A_upper_bound"],
        "eps_grid": eps_grid,
        "tv_lower_bound": tv_every,
        "tv_lower_bound_vp": tv_vp,
        "kl_lower_bound": 2 * tv_every**2,
        "kl_lower_bound_vp": 2 * tv_vp**2,
        "best_eps": r["best_eps"],
        "best_eps_vp": r["best_eps_vp"],
        "kl_lower_bound_at_eps": r["kl_lower_bound"],
        "kl_lower_bound_vp_at_eps": r["kl_lower_bound_vp"],
        "kl_gaussian_upper": r["kl_gaussian_upper"],
        "kl_gaussian_vp": r["kl_gaussian_vp"],
    }

