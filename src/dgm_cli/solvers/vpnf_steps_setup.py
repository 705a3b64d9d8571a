"""Problem 2's set-up, before the parts: the counterexample as written and its correction, which case covers which
region, its mass and normalisation, the sets B, A and Ā, and which KL Pinsker's inequality bounds."""

from __future__ import annotations

from typing import Any

import sympy

from dgm_cli.derivation import Approx, Notice, Prose, Step, m
from dgm_cli.solvers.symbolic import Label, equation
from dgm_cli.solvers.vpnf_bounds import Bounds
from dgm_cli.solvers.vpnf_formulas import HALF_SIDE, PLATEAU_AS_WRITTEN, profile_formulas
from dgm_cli.solvers.vpnf_notation import (
    A_M,
    B_M,
    C_IS_1,
    DELTA_M,
    DENSITY,
    EPS_M,
    K_M,
    K_NORMALIZING,
    KL_M,
    MASS,
    P_M,
    P_THETA,
    T_M,
    THRESHOLD_M,
    X_M,
    Y_M,
    H,
    approx,
    for_display,
    rel,
    shown,
)
from dgm_cli.solvers.vpnf_numbers import as_number, float_of

RAMP_ZERO = m(r"0.5 + 0.9/k", "0.5 + 0.9/k")  # where the ramp reaches 0
RAMP_END_AS_WRITTEN = m(r"0.9k + 0.5", "0.9k + 0.5")  # where the assignment ends it


def k_shown(b: Bounds) -> Any:
    """k for prose: exact as the user gave it, or the normalising k* to 8 digits."""
    return shown(b.example.k) if b.k_given else approx(b.example.k, 8)


def _density_as_written() -> sympy.Piecewise:
    """The assignment's four cases in order, k symbolic, the ramp ending at its zero ½ + 0.9/k."""
    formulas = profile_formulas()
    x, y = sympy.symbols("x y", real=True)
    ax, ay, ks = sympy.Abs(x), sympy.Abs(y), formulas.k
    return sympy.Piecewise(
        (PLATEAU_AS_WRITTEN, (ax <= HALF_SIDE) & (ay <= HALF_SIDE)),
        (PLATEAU_AS_WRITTEN - ks * (ax - HALF_SIDE), (ax >= HALF_SIDE) & (ax <= formulas.ramp_end) & (ay <= ax)),
        (PLATEAU_AS_WRITTEN - ks * (ay - HALF_SIDE), (ay >= HALF_SIDE) & (ay <= formulas.ramp_end) & (ax <= ay)),
        (0, True),
    )


def _counterexample_step() -> Step:
    """The density case by case, and the family of flows it is compared with."""
    as_written = _density_as_written()
    return Step(
        ("The counterexample (with the ramp's end corrected)",),
        (
            "The target density, case by case as the assignment writes it; the first case that matches wins. "
            "The model is any normalizing flow ",
            P_THETA,
            " with latent ",
            m(r"z \sim \mathcal{N}(0, I_2)", "z ~ N(0, I₂)"),
            " and constant ",
            m(r"\lvert \det \partial f_\theta / \partial z \rvert = c", "|det ∂f_θ/∂z| = c"),
            ".",
        ),
        equation(DENSITY, as_written),
    )


def _correction_step(b: Bounds) -> Step:
    """Why the ramp ends at its zero ½ + 0.9/k and not at the assignment's 0.9k + 0.5, and why nothing is lost."""
    formulas = profile_formulas()
    k = b.example.k
    written_end = PLATEAU_AS_WRITTEN * k + HALF_SIDE
    corrected_end = float_of(b.example.ramp_end)
    return Step(
        ("Correction: the ramp ends at ", RAMP_ZERO, ", not at ", RAMP_END_AS_WRITTEN),
        (
            "The assignment writes ",
            m(r"\lvert x \rvert \in [0.5, 0.9k + 0.5]", "|x| ∈ [0.5, 0.9k + 0.5]"),
            ". But the ramp ",
            m(r"0.9 - k(\lvert x \rvert - 0.5)", "0.9 − k(|x| − 0.5)"),
            " reaches 0 at ",
            m(r"\lvert x \rvert = 0.5 + 0.9/k", "|x| = 0.5 + 0.9/k"),
            " and past it would be a negative density: at ",
            *rel(K_M, "=", k_shown(b)),
            " the assignment's end is ",
            *rel(RAMP_END_AS_WRITTEN, "=", approx(written_end, 8)),
            ", the ramp's zero ",
            Approx(corrected_end, 8),
            ". The ramp is used up to its zero, so ",
            P_M,
            " is continuous and non-negative; the two ends agree only at ",
            m("k = 1", "k = 1"),
            ", as here, so nothing changes." if k == 1 else ".",
            "\nA second reading is consistent too: the slope is ",
            m("1/k", "1/k"),
            ", that is the ramp ",
            m(r"0.9 - (\lvert x \rvert - 0.5)/k", "0.9 − (|x| − 0.5)/k"),
            ", which does reach 0 at ",
            m(r"\lvert x \rvert = 0.9k + 0.5", "|x| = 0.9k + 0.5"),
            " as written. It is the same family with ",
            K_M,
            " replaced by ",
            m("1/k", "1/k"),
            ": under it, the density with parameter ",
            K_M,
            " is the density used here with parameter ",
            m("1/k", "1/k"),
            ". So the choice loses nothing: every result below, at ",
            *rel(K_M, "=", k_shown(b)),
            ", is that of the second reading at ",
            *rel(m("1/k", "1/k"), "=", approx(1 / k, 8)),
            ".",
        ),
        equation(Label("ramp end", r"\text{ramp end}"), formulas.ramp_end),
        corrected_end,
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _regions_step() -> Step:
    """Which of the four cases covers which part of the plane: the density depends on ‖x‖∞ alone."""
    formulas = profile_formulas()
    return Step(
        ("Which case covers which region",),
        (
            "Case 1 is the plateau ",
            m(r"B = [-\tfrac12, \tfrac12]^2", "B = [−½, ½]²"),
            ". Case 2 (",
            m(r"\tfrac12 \le \lvert x \rvert \le \tfrac12 + 0.9/k", "½ ≤ |x| ≤ ½ + 0.9/k"),
            " and ",
            m(r"\lvert y \rvert \le \lvert x \rvert", "|y| ≤ |x|"),
            ") is two trapezoids left and right of ",
            B_M,
            ", bounded by the diagonals ",
            m(r"\lvert y \rvert = \lvert x \rvert", "|y| = |x|"),
            ": at their outer edge they reach ",
            m(r"\lvert y \rvert = \tfrac12 + 0.9/k", "|y| = ½ + 0.9/k"),
            ", so they also cover the halves of the four corner squares on the side ",
            m(r"\lvert y \rvert \le \lvert x \rvert", "|y| ≤ |x|"),
            " of the diagonals, not just strips beside ",
            B_M,
            ". Case 3 is the same with ",
            X_M,
            " and ",
            Y_M,
            " exchanged (above and below ",
            B_M,
            ", and the other halves of the corners). Case 2 meets case 1 only on the sides ",
            m(r"\lvert x \rvert = \tfrac12,\ \lvert y \rvert \le \tfrac12", "|x| = ½, |y| ≤ ½"),
            " of ",
            B_M,
            ", and case 3 meets case 1 only on the sides ",
            m(r"\lvert y \rvert = \tfrac12,\ \lvert x \rvert \le \tfrac12", "|y| = ½, |x| ≤ ½"),
            "; cases 2 and 3 meet only on the diagonals ",
            m(
                r"\lvert x \rvert = \lvert y \rvert,\ \tfrac12 \le \lvert x \rvert \le \tfrac12 + 0.9/k",
                "|x| = |y|, ½ ≤ |x| ≤ ½ + 0.9/k",
            ),
            ". These are segments, of area zero, and on them the cases agree anyway (",
            m("0.9", "0.9"),
            " on the sides of ",
            B_M,
            ", ",
            m(r"0.9 - k(\lvert x \rvert - \tfrac12)", "0.9 − k(|x| − ½)"),
            " on the diagonals), so the order of the cases changes no probability. Together they tile the "
            "square of half-side ",
            m(r"\tfrac12 + 0.9/k", "½ + 0.9/k"),
            ", and on all of it ",
            P_M,
            " depends only on ",
            m(
                r"t = \max(\lvert x \rvert, \lvert y \rvert) = \lVert (x, y) \rVert_\infty",
                "t = max(|x|, |y|) = ‖(x, y)‖∞",
            ),
            ": a pyramid frustum, flat on ",
            B_M,
            " and falling linearly to 0 at the edge. Every integral below is one in ",
            T_M,
            ", with ",
            m(r"dA = 8t\, dt", "dA = 8t dt"),
            " (the square ",
            m(r"\lVert x \rVert_\infty \le t", "‖x‖∞ ≤ t"),
            " has area ",
            m("4t^2", "4t²"),
            ").",
        ),
        equation(DENSITY, formulas.profile.subs(formulas.t, Label("‖(x, y)‖∞", r"\|(x, y)\|_\infty"))),
    )


def _mass_step() -> Step:
    """mass(k) in closed form, through the profile in t = ‖x‖∞."""
    formulas = profile_formulas()
    return Step(
        ("Total mass as a function of ", K_M),
        (
            m(r"0.9 \operatorname{vol}(B)", "0.9·vol(B)"),
            " plus ",
            m(
                r"\int_{1/2}^{1/2 + 0.9/k} \bigl(0.9 - k(t - \tfrac12)\bigr)\, 8t \, dt",
                "∫ from ½ to ½ + 0.9/k of (0.9 − k(t − ½))·8t dt",
            ),
            ", integrated by SymPy:",
        ),
        equation(MASS, formulas.mass),
    )


def _normalising_k_step() -> Step:
    """The one k > 0 with mass(k) = 1: the default."""
    formulas = profile_formulas()
    return Step(
        ("The normalising ", K_M),
        (
            m(r"\operatorname{mass}(k)", "mass(k)"),
            " falls from ",
            m(r"\infty", "∞"),
            " (",
            m(r"k \to 0", "k → 0"),
            ") to ",
            m("0.9", "0.9"),
            " (",
            m(r"k \to \infty", "k → ∞"),
            "), so ",
            m(r"\operatorname{mass}(k) = 1", "mass(k) = 1"),
            " has exactly one positive root: the default value of ",
            K_M,
            ".",
        ),
        equation(K_NORMALIZING, formulas.k_normalizing),
        float_of(formulas.k_normalizing),
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _normalisation_step(b: Bounds, warnings: list[Notice]) -> Step:
    """This k normalises p, or the density is divided by its mass (a notice says so)."""
    example, k = b.example, b.example.k
    mass_float, plateau_float = float_of(example.mass), float_of(b.plateau)
    if example.is_normalized:
        k_name = m("k^{*}", "k*") if not b.k_given else None
        return Step(
            (k_name, " normalises ", P_M) if k_name else (*rel(K_M, "=", k), " normalises ", P_M),
            (
                *rel(m(r"\operatorname{mass}(k)", "mass(k)"), "=", example.mass),
                ": ",
                P_M,
                " is a probability density as written, with plateau height ",
                m("h = 0.9", "h = 0.9"),
                ".",
            ),
            equation(H, for_display(b.plateau)),
            plateau_float,
        )
    warnings.append(
        Notice(
            (
                "NOT A DENSITY: at ",
                *rel(K_M, "=", k_shown(b)),
                " the density as written integrates to ",
                mass_float,
                ", so it is divided by that mass.",
            ),
            "mass",
        )
    )
    return Step(
        (
            "NOT A DENSITY at ",
            *rel(K_M, "=", k_shown(b)),
            ": normalised by ",
            *rel(m("Z", "Z"), "=", Approx(mass_float, 8)),
        ),
        (
            *rel(m(r"Z = \operatorname{mass}(k)", "Z = mass(k)"), "=", example.mass),
            " = ",
            Approx(mass_float, 10),
            " ",
            m(r"\ne 1", "≠ 1"),
            ". Pinsker's inequality holds only between probability densities, so every step below uses the "
            "normalised density ",
            m("p/Z", "p/Z"),
            ". Its plateau height is ",
            m("h = 0.9/Z", "h = 0.9/Z"),
            " (not ",
            m("0.9", "0.9"),
            "), and ",
            A_M,
            " is defined with the threshold ",
            THRESHOLD_M,
            " (not ",
            m(r"0.9 - \varepsilon", "0.9 − ε"),
            ").",
        ),
        equation(H, for_display(b.plateau)),
        plateau_float,
    )


def _sets_step(b: Bounds) -> Step:
    """B, A = {p_θ ≥ h − ε} and Ā = B∖A at this ε."""
    chosen: Prose
    if b.eps_best_for_vp:
        chosen = (" (the best ", EPS_M, " for ", C_IS_1, ", in part (c))")
    elif b.eps_is_best:
        chosen = (" (the best ", EPS_M, ", in part (c))")
    else:
        chosen = ()
    return Step(
        ("The sets ", B_M, ", ", A_M, " and ", m(r"\bar A", "Ā")),
        (
            m(r"B = [-\tfrac12, \tfrac12]^2", "B = [−½, ½]²"),
            ", ",
            m(r"\operatorname{vol}(B) = 1", "vol(B) = 1"),
            ", ",
            *rel(m(r"P(B) = h \operatorname{vol}(B)", "P(B) = h·vol(B)"), "=", approx(b.plateau, 8)),
            ". ",
            m(r"A = \{x : p_\theta(x) \ge h - \varepsilon\}", "A = {x : p_θ(x) ≥ h − ε}"),
            " with ",
            *rel(EPS_M, "=", b.eps_shown),
            *chosen,
            ", so the threshold is ",
            *rel(THRESHOLD_M, "=", approx(b.threshold, 8)),
            ". ",
            m(r"\bar A = B \setminus A", "Ā = B∖A"),
            " is the part of the plateau where the flow's density is more than ",
            EPS_M,
            " below that of ",
            P_M,
            ".",
        ),
        equation(Label("h − ε", r"h - \varepsilon"), for_display(b.threshold)),
        as_number(b.threshold),
    )


def _pinsker_step() -> Step:
    """δ without a factor ½, Pinsker's KL ≥ 2δ², and why KL(p‖p_θ) is the one bounded."""
    return Step(
        ("Which KL, and Pinsker",),
        (
            DELTA_M,
            " is the supremum over events ",
            m("E", "E"),
            " of ",
            m(r"\lvert P(E) - P_\theta(E) \rvert", "|P(E) − P_θ(E)|"),
            ", as the assignment defines it, with no factor ",
            m(r"\tfrac12", "½"),
            " (it equals ",
            m(r"\tfrac12 \int \lvert p - p_\theta \rvert", "½∫|p − p_θ|"),
            "). Pinsker's inequality ",
            m(r"\delta \le \sqrt{\mathrm{KL}/2}", "δ ≤ √(KL/2)"),
            " gives ",
            m(r"\mathrm{KL} \ge 2\delta^2", "KL ≥ 2δ²"),
            ". The bounds are stated for ",
            KL_M,
            ", the maximum-likelihood objective; Pinsker holds in both directions, so they bound ",
            m(r"\mathrm{KL}(p_\theta \,\|\, p)", "KL(p_θ‖p)"),
            " too, which is in fact ",
            m(r"+\infty", "+∞"),
            " here: ",
            m(r"p_\theta > 0", "p_θ > 0"),
            " everywhere, while ",
            P_M,
            " vanishes outside a bounded square.",
        ),
    )


def setup_steps(b: Bounds, warnings: list[Notice]) -> list[Step]:
    """The counterexample, its normalisation, the sets B, A, Ā and Pinsker's inequality: before the parts."""
    if b.example.k != 1:  # at k = 1 the assignment's 0.9k + 0.5 and the ramp's zero 0.5 + 0.9/k coincide
        warnings.append(
            Notice(
                (
                    "The ramp is used up to its zero ",
                    RAMP_ZERO,
                    ", not up to the assignment's ",
                    RAMP_END_AS_WRITTEN,
                    ".",
                ),
                "ramp_end",
            )
        )
    return [
        _counterexample_step(),
        _correction_step(b),
        _regions_step(),
        _mass_step(),
        _normalising_k_step(),
        _normalisation_step(b, warnings),
        _sets_step(b),
        _pinsker_step(),
    ]
