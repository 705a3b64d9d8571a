"""Problem 2, parts (a) and (b): the event B when A is empty; the latent event C = f⁻¹(A), a disc, its volume and
a simple bound on it, and the volume of A = f(C), at most 1/(e(h − ε)) for every flow of the family."""

from __future__ import annotations

import sympy

from dgm_cli.derivation import Math, Prose, Step, m
from dgm_cli.solvers.symbolic import Label, equation
from dgm_cli.solvers.vpnf_bounds import Bounds, ForDet, pinsker_kl
from dgm_cli.solvers.vpnf_formulas import level_set_formulas
from dgm_cli.solvers.vpnf_notation import (
    A_EMPTY,
    A_M,
    B_M,
    C_IS_1,
    C_M,
    DELTA_M,
    EPS,
    EPS_M,
    FLOW_DENSITY,
    GAP_B,
    P_M,
    P_THETA,
    R_SQUARED,
    TAU,
    TAU_M,
    THRESHOLD_M,
    VOL_A_M,
    VOLUME_A,
    VOLUME_A_UPPER,
    X_M,
    C,
    H,
    approx,
    at_least,
    at_most,
    for_display,
    kl_at_least,
    rel,
    shown,
)
from dgm_cli.solvers.vpnf_numbers import as_number

VOL_C_M = m(r"\operatorname{vol}(C)", "vol(C)")


# --------------------------------------------------------------------------- part (a)


def part_a_steps(b: Bounds) -> list[Step]:
    """Part (a): when A = ∅, the event E = B gives δ ≥ ε, so KL ≥ 2ε²."""
    return [_empty_A_step(b)]


def _empty_A_step(b: Bounds) -> Step:
    """A = ∅: p_θ < h − ε on B, where p = h, so P(B) − P_θ(B) > ε."""
    return Step(
        ("Part (a): ", A_EMPTY, ", event ", m(r"E = \bar A = B", "E = Ā = B")),
        (
            "If ",
            A_M,
            " is empty, ",
            m(r"p_\theta < h - \varepsilon", "p_θ < h − ε"),
            " everywhere, in particular on ",
            B_M,
            ", where ",
            m("p = h", "p = h"),
            ". Take ",
            m(r"E = \bar A = B \setminus \emptyset = B", "E = Ā = B∖∅ = B"),
            ": ",
            m(
                r"P(B) - P_\theta(B) = \int_B (p - p_\theta) > \varepsilon \operatorname{vol}(B) = \varepsilon",
                "P(B) − P_θ(B) = ∫_B (p − p_θ) > ε·vol(B) = ε",
            ),
            ". So ",
            m(r"\delta \ge \varepsilon > 0", "δ ≥ ε > 0"),
            " for every ",
            EPS_M,
            " in ",
            m("(0, h)", "(0, h)"),
            ", and by Pinsker ",
            m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge 2\varepsilon^2", "KL(p‖p_θ) ≥ 2ε²"),
            ". Here ",
            *rel(DELTA_M, ">=", approx(b.eps, 8)),
            " and ",
            *kl_at_least(approx(pinsker_kl(b.eps), 8)),
            ".",
        ),
        at_least(GAP_B, EPS),
        as_number(b.eps),
        part="a",
    )


# --------------------------------------------------------------------------- part (b)


def _family_step() -> Step:
    """A flow with constant |det| = c has p_θ(x) = N(f⁻¹(x))/c, at most 1/(2πc)."""
    forms = level_set_formulas()
    z_label = Label("‖z‖²", r"\|z\|^2")
    return Step(
        ("The family of flows",),
        (
            "By the change of variables with ",
            m(r"\lvert \det \partial f / \partial z \rvert = c", "|det ∂f/∂z| = c"),
            " everywhere, ",
            m(r"\lvert \det \partial f^{-1} / \partial x \rvert = 1/c", "|det ∂f⁻¹/∂x| = 1/c"),
            ", so ",
            m(r"p_\theta(x) = \mathcal{N}(f^{-1}(x); 0, I_2)/c", "p_θ(x) = N(f⁻¹(x); 0, I₂)/c"),
            ": it depends on ",
            X_M,
            " only through ",
            m(r"\lVert f^{-1}(x) \rVert^2", "‖f⁻¹(x)‖²"),
            ", and never exceeds ",
            m(r"1/(2\pi c)", "1/(2πc)"),
            ". The strictly volume-preserving flows are ",
            C_IS_1,
            "; the statement's family (any constant ",
            C_M,
            ") contains them.",
        ),
        equation(FLOW_DENSITY, forms.flow_density_at_radius.subs({forms.rho_squared: z_label, forms.c: C})),
        part="b",
    )


def _latent_event_step() -> Step:
    """C = f⁻¹(A) = {‖z‖² ≤ r²}, and vol(A) = c·vol(C)."""
    forms = level_set_formulas()
    display = {forms.c: C, forms.tau: TAU}
    return Step(
        ("Part (b): the event ", m(r"C = f^{-1}(A)", "C = f⁻¹(A)"), " in latent space"),
        (
            m(
                r"p_\theta(f(z)) \ge h - \varepsilon \iff \mathcal{N}(z)/c \ge \tau \iff \lVert z \rVert^2 \le r^2",
                "p_θ(f(z)) ≥ h − ε ⟺ N(z)/c ≥ τ ⟺ ‖z‖² ≤ r²",
            ),
            " (with ",
            m(r"\tau = h - \varepsilon", "τ = h − ε"),
            "), solved by SymPy: ",
            m("C", "C"),
            " is the disc of radius ",
            m("r", "r"),
            " around 0 when ",
            m("r^2 > 0", "r² > 0"),
            ", the single point 0 when ",
            m("r^2 = 0", "r² = 0"),
            ", and empty when ",
            m("r^2 < 0", "r² < 0"),
            ". Because ",
            m("f", "f"),
            " multiplies every area by the constant ",
            C_M,
            ", ",
            m(
                r"\operatorname{vol}(A) = \operatorname{vol}(f(C)) = c \operatorname{vol}(C)",
                "vol(A) = vol(f(C)) = c·vol(C)",
            ),
            ", that is ",
            m(r"\operatorname{vol}(C) = \operatorname{vol}(A)/c", "vol(C) = vol(A)/c"),
            ": for a volume-preserving flow the two volumes are equal.",
        ),
        equation(R_SQUARED, forms.r_squared.subs(display)),
        part="b",
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _volume_C_step() -> Step:
    """vol(C) = π r², and the simple bound vol(C) ≤ 1/(ecτ) from log u ≤ u/e; why vol(A) is the one bounded."""
    forms = level_set_formulas()
    display = {forms.c: C, forms.tau: TAU}
    return Step(
        ("Part (b): the volume of ", m("C", "C"), " and a simple upper bound"),
        (
            m("C", "C"),
            " is a disc (the hint's circle), so ",
            m(
                r"\operatorname{vol}(C) = \pi r^2 = 2\pi \log\bigl(1/(2\pi c \tau)\bigr)",
                "vol(C) = π r² = 2π log(1/(2πcτ))",
            ),
            " when ",
            m("r^2 > 0", "r² > 0"),
            ", and ",
            m(r"\operatorname{vol}(C) = 0", "vol(C) = 0"),
            " otherwise. A simple upper bound: ",
            m(r"\log", "log"),
            " is concave, so it lies below its tangent at ",
            m("u = e", "u = e"),
            ", ",
            m(r"\log u \le u/e", "log u ≤ u/e"),
            " for every ",
            m("u > 0", "u > 0"),
            ", with equality only at ",
            m("u = e", "u = e"),
            " (SymPy). With ",
            m(r"u = 1/(2\pi c \tau)", "u = 1/(2πcτ)"),
            " this gives ",
            m(r"\operatorname{vol}(C) = 2\pi \log u \le 2\pi u/e", "vol(C) = 2π log u ≤ 2πu/e"),
            ", that is ",
            m(
                r"\operatorname{vol}(C) \le 1/(ec\tau) = 1/\bigl(ec(h - \varepsilon)\bigr)",
                "vol(C) ≤ 1/(ecτ) = 1/(ec(h − ε))",
            ),
            ", with equality exactly when ",
            m("r^2 = 2", "r² = 2"),
            ".\nThis bound, like ",
            VOL_C_M,
            " itself, depends on ",
            C_M,
            ", and no bound on ",
            VOL_C_M,
            " holds for every ",
            C_M,
            ": as ",
            m(r"c \to 0", "c → 0"),
            ", ",
            m(
                r"\operatorname{vol}(C) = 2\pi \log\bigl(1/(2\pi c \tau)\bigr) \to \infty",
                "vol(C) = 2π log(1/(2πcτ)) → ∞",
            ),
            " (a flow with a small ",
            C_M,
            " squeezes an ever larger latent disc into ",
            A_M,
            "). The factor ",
            C_M,
            " makes up for it: ",
            m(
                r"\operatorname{vol}(A) = c \operatorname{vol}(C) \le 1/(e\tau)",
                "vol(A) = c·vol(C) ≤ 1/(eτ)",
            ),
            " for every ",
            C_M,
            ". That is why the proof bounds ",
            VOL_A_M,
            " and not ",
            VOL_C_M,
            ": part (c) needs ",
            m(
                r"\operatorname{vol}(\bar A) \ge \operatorname{vol}(B) - \operatorname{vol}(A)",
                "vol(Ā) ≥ vol(B) − vol(A)",
            ),
            ", a statement about areas in the plane of ",
            P_M,
            ", and needs it for every flow of the family at once.",
        ),
        at_most(Label("vol(C)", r"\operatorname{vol}(C)"), forms.volume_C_upper_bound.subs(display)),
        part="b",
    )


def _volume_A_step() -> Step:
    """vol(A) = c·π·r²."""
    forms = level_set_formulas()
    display = {forms.c: C, forms.tau: TAU}
    return Step(
        ("Part (b): the volume of ", A_M),
        (
            m(r"\operatorname{vol}(A) = c \operatorname{vol}(C) = c \pi r^2", "vol(A) = c·vol(C) = c·π·r²"),
            " when ",
            m("r^2 > 0", "r² > 0"),
            " (else 0):",
        ),
        equation(VOLUME_A, forms.volume_A.subs(display)),
        part="b",
    )


def _volume_A_bound_step(b: Bounds) -> Step:
    """vol(A) ≤ 1/(eτ) for every c: the maximum over c, at c = 1/(2πeτ)."""
    forms = level_set_formulas()
    return Step(
        ("Part (b): a bound on ", VOL_A_M, " for every ", C_M),
        (
            "Multiplying the bound on ",
            VOL_C_M,
            " by ",
            C_M,
            " removes ",
            C_M,
            ": ",
            m(r"\operatorname{vol}(A) \le 1/(e\tau)", "vol(A) ≤ 1/(eτ)"),
            ". It is the maximum over ",
            C_M,
            ", not just a bound: ",
            VOL_A_M,
            " is concave in ",
            C_M,
            " (second derivative ",
            m(r"-2\pi/c", "−2π/c"),
            "); its derivative vanishes at ",
            m(r"c = 1/(2\pi e \tau)", "c = 1/(2πeτ)"),
            ", where ",
            m("r^2 = 2", "r² = 2"),
            ", ",
            m(r"\operatorname{vol}(C) = 2\pi", "vol(C) = 2π"),
            " and ",
            m(r"\operatorname{vol}(A) = 1/(e\tau)", "vol(A) = 1/(eτ)"),
            ". At ",
            *rel(TAU_M, "=", approx(b.threshold, 8)),
            " the maximising ",
            C_M,
            " is ",
            approx(b.c_maximizing, 8),
            "; every flow in the family has",
        ),
        equation(VOLUME_A_UPPER, forms.volume_A_upper_bound.subs(forms.tau, H - EPS)),
        as_number(b.volume_A_upper_bound),
        part="b",
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _volumes_for_det(d: ForDet, r_squared_name: Math, bound_name: Math, threshold: Prose) -> Prose:
    """Part (b) at one c, as prose: r², then C and A (a disc, a single point, or empty), vol(C) beside its bound."""
    bound = (*rel(bound_name, "=", approx(d.volume_C_upper_bound, 8)),)
    largest = (*rel(m(r"1/(2\pi c)", "1/(2πc)"), "=", approx(1 / (2 * sympy.pi * d.c), 8)),)
    if d.nonempty:
        return (
            *rel(r_squared_name, "=", approx(d.r_squared, 8)),
            " ",
            m("> 0", "> 0"),
            ": ",
            m("C", "C"),
            " is a disc of area ",
            *rel(m(r"\operatorname{vol}(C) = \pi r^2", "vol(C) = π r²"), "=", approx(d.volume_C, 8)),
            ", below its simple bound ",
            *bound,
            ", and ",
            *rel(
                m(r"\operatorname{vol}(A) = c \operatorname{vol}(C)", "vol(A) = c·vol(C)"), "=", approx(d.volume_A, 8)
            ),
            ".",
        )
    if d.is_point:
        return (
            *rel(m("r^2", "r²"), "=", sympy.Integer(0)),
            ": ",
            *threshold,
            " is exactly the largest value ",
            *largest,
            " of ",
            P_THETA,
            ", reached only at ",
            m("f(0)", "f(0)"),
            ". So ",
            m(r"C = \{0\}", "C = {0}"),
            " and ",
            m(r"A = \{f(0)\}", "A = {f(0)}"),
            " are single points: not empty, but ",
            m(r"\operatorname{vol}(C) = \operatorname{vol}(A) = 0", "vol(C) = vol(A) = 0"),
            " (the simple bound is ",
            *bound,
            ").",
        )
    return (
        *rel(r_squared_name, "=", approx(d.r_squared, 8)),
        " ",
        m("< 0", "< 0"),
        ", because ",
        *threshold,
        " exceeds the largest value ",
        *largest,
        " of ",
        P_THETA,
        ": ",
        m(r"C = \emptyset", "C = ∅"),
        " and ",
        A_EMPTY,
        ", so ",
        m(r"\operatorname{vol}(C) = \operatorname{vol}(A) = 0", "vol(C) = vol(A) = 0"),
        " (the simple bound is ",
        *bound,
        ").",
    )


def _vp_volumes_step(b: Bounds) -> Step:
    """Part (b) at c = 1."""
    vp = b.vp
    threshold_vp = (*rel(THRESHOLD_M, "=", approx(b.threshold, 8)),)
    return Step(
        ("Part (b) for volume-preserving flows (", C_IS_1, ")"),
        _volumes_for_det(
            vp,
            m(r"r^2 = 2\log\bigl(1/(2\pi(h - \varepsilon))\bigr)", "r² = 2 log(1/(2π(h − ε)))"),
            m(r"1/\bigl(e(h - \varepsilon)\bigr)", "1/(e(h − ε))"),
            threshold_vp,
        ),
        equation(VOLUME_A, for_display(vp.volume_A)),
        as_number(vp.volume_A),
        part="b",
    )


def _given_volumes_step(b: Bounds, g: ForDet) -> Step:
    """Part (b) at the given c."""
    threshold_vp = (*rel(THRESHOLD_M, "=", approx(b.threshold, 8)),)
    return Step(
        ("Part (b) for the given constant ", *rel(C_M, "=", shown(g.c))),
        _volumes_for_det(
            g,
            m(r"r^2 = 2\log\bigl(1/(2\pi c(h - \varepsilon))\bigr)", "r² = 2 log(1/(2πc(h − ε)))"),
            m(r"1/\bigl(ec(h - \varepsilon)\bigr)", "1/(ec(h − ε))"),
            threshold_vp,
        ),
        equation(VOLUME_A, for_display(g.volume_A)),
        as_number(g.volume_A),
        part="b",
    )


def part_b_steps(b: Bounds) -> list[Step]:
    """Part (b): the family of flows, the latent event C, its volume and a simple bound, vol(A) and its maximum over
    c; then C and A at c = 1 and at the given c."""
    steps = [
        _family_step(),
        _latent_event_step(),
        _volume_C_step(),
        _volume_A_step(),
        _volume_A_bound_step(b),
        _vp_volumes_step(b),
    ]
    if b.given is not None:
        steps.append(_given_volumes_step(b, b.given))
    return steps
