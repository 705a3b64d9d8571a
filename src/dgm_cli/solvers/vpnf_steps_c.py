"""Problem 2, part (c): when A ≠ ∅ the event Ā = B∖A gives δ ≥ ε(1 − vol(A)); with part (a), the bound for every
flow of the family and for volume-preserving flows (c = 1) and a given c, and the ε that makes each bound largest."""

from __future__ import annotations

import math

import sympy

from dgm_cli.derivation import Approx, Notice, Prose, Step, m
from dgm_cli.solvers.symbolic import equation
from dgm_cli.solvers.vpnf_bounds import Bounds, ForDet, pinsker_kl
from dgm_cli.solvers.vpnf_formulas import best_eps_formulas
from dgm_cli.solvers.vpnf_maxima import pinsker_kl_lower_bound
from dgm_cli.solvers.vpnf_notation import (
    A_EMPTY,
    A_M,
    ABS_DET,
    B_M,
    BEST_EPS,
    C_IS_1,
    C_M,
    DELTA,
    DELTA_M,
    EPS,
    EPS_M,
    GAP_A_BAR,
    H_M,
    K_M,
    KL,
    P_THETA,
    THETA_M,
    VOL_A_M,
    H,
    approx,
    at_least,
    kl_at_least,
    rel,
    shown,
)
from dgm_cli.solvers.vpnf_numbers import as_number, float_of, is_positive

KL_SHORT = m(r"\mathrm{KL}", "KL")


def _positive_if(b: Bounds) -> Prose:
    """When the bound for every c is positive: ε < h − 1/e, or never when h ≤ 1/e."""
    if b.best_eps is not None:
        return rel(m(r"\varepsilon < h - 1/e", "ε < h − 1/e"), "=", Approx(float_of(b.plateau) - 1 / math.e, 8))
    return (
        m(r"h - \varepsilon > 1/e", "h − ε > 1/e"),
        ", impossible for ",
        m(r"\varepsilon > 0", "ε > 0"),
        " since ",
        m(r"h \le 1/e", "h ≤ 1/e"),
        " here",
    )


def _nonempty_A_step(b: Bounds) -> Step:
    """Part (c) proper: δ ≥ ε(1 − 1/(e(h − ε))) when A ≠ ∅, positive exactly when ε < h − 1/e."""
    case_c_positive = is_positive(b.tv_nonempty_A)
    positive_if = _positive_if(b)
    return Step(
        ("Part (c): ", m(r"A \ne \emptyset", "A ≠ ∅"), ", event ", m(r"E = \bar A = B \setminus A", "E = Ā = B∖A")),
        (
            "On ",
            m(r"\bar A \subset B", "Ā ⊂ B"),
            ", ",
            m("p = h", "p = h"),
            " and ",
            m(r"p_\theta < h - \varepsilon", "p_θ < h − ε"),
            ", so ",
            m(
                r"P(\bar A) - P_\theta(\bar A) \ge \varepsilon \operatorname{vol}(\bar A)",
                "P(Ā) − P_θ(Ā) ≥ ε·vol(Ā)",
            ),
            ", and ",
            m(
                r"\operatorname{vol}(\bar A) \ge \operatorname{vol}(B) - \operatorname{vol}(A) "
                r"\ge 1 - 1/(e(h - \varepsilon))",
                "vol(Ā) ≥ vol(B) − vol(A) ≥ 1 − 1/(e(h − ε))",
            ),
            " by part (b). This is positive exactly when the bound on ",
            VOL_A_M,
            " is below ",
            m(r"\operatorname{vol}(B) = 1", "vol(B) = 1"),
            ", i.e. when ",
            *positive_if,
            ". Here ",
            *rel(m(r"\varepsilon(1 - 1/(e(h - \varepsilon)))", "ε(1 − 1/(e(h − ε)))"), "=", approx(b.tv_nonempty_A, 8)),
            *(
                (".",)
                if case_c_positive
                else (
                    ": not positive. The bound on the area of ",
                    A_M,
                    " exceeds the area of ",
                    B_M,
                    ", so this case proves only ",
                    m(r"\delta \ge 0", "δ ≥ 0"),
                    ".",
                )
            ),
        ),
        at_least(GAP_A_BAR, EPS * (1 - 1 / (sympy.E * (H - EPS)))),
        as_number(b.tv_nonempty_A),
        part="c",
    )


def _no_bound_advice(b: Bounds) -> Prose:
    """What would give a positive bound for every c: the best ε, or nothing when h ≤ 1/e."""
    if b.best_eps is not None and b.best_tv is not None:
        best_tv = float_of(b.best_tv)
        return (
            "; the best ",
            EPS_M,
            " for this ",
            K_M,
            " is ",
            approx(b.best_eps, 8),
            ", where ",
            *rel(DELTA_M, ">=", Approx(best_tv, 8)),
            " and ",
            *rel(m(r"\mathrm{KL}", "KL"), ">=", Approx(pinsker_kl_lower_bound(best_tv), 8)),
            ".",
        )
    plateau_float = float_of(b.plateau)
    return (
        ": ",
        *rel(H_M, "=", Approx(plateau_float, 8)),
        " ",
        m(r"\le 1/e", "≤ 1/e"),
        ", so at this ",
        K_M,
        " the argument gives no positive bound valid for every ",
        C_M,
        ", whatever ",
        EPS_M,
        ".",
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _every_flow_text(b: Bounds, warnings: list[Notice]) -> Prose:
    """The bound for every θ and every c, or why there is none at this ε (a notice says so)."""
    if is_positive(b.tv_every):
        return (
            "Every flow has ",
            A_EMPTY,
            " (part (a): ",
            m(r"\delta \ge \varepsilon", "δ ≥ ε"),
            ") or ",
            m(r"A \ne \emptyset", "A ≠ ∅"),
            " (part (c): ",
            m(r"\delta \ge \varepsilon(1 - 1/(e(h - \varepsilon)))", "δ ≥ ε(1 − 1/(e(h − ε)))"),
            "). The smaller, part (c), holds for every ",
            THETA_M,
            " and every ",
            C_M,
            ": ",
            *rel(DELTA_M, ">=", approx(b.tv_every, 8)),
            ", and by Pinsker ",
            *rel(
                m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge 2\delta^2", "KL(p‖p_θ) ≥ 2δ²"),
                "=",
                approx(pinsker_kl(b.tv_every), 8),
            ),
            " ",
            m("> 0", "> 0"),
            ".",
        )
    positive_if = _positive_if(b)
    advice = _no_bound_advice(b)
    warnings.append(
        Notice(
            (
                "At ",
                *rel(EPS_M, "=", b.eps_shown),
                " no positive bound holds for every ",
                C_M,
                ": the bound on ",
                VOL_A_M,
                " is not below ",
                m(r"\operatorname{vol}(B) = 1", "vol(B) = 1"),
                ".",
            ),
            "tv_lower_bound",
        )
    )
    return (
        "NO POSITIVE BOUND at ",
        *rel(EPS_M, "=", b.eps_shown),
        ": the bound on ",
        VOL_A_M,
        ", ",
        approx(b.volume_A_upper_bound, 8),
        ", is not below the area of ",
        B_M,
        ", 1, so part (c) proves only ",
        m(r"\delta \ge 0", "δ ≥ 0"),
        ". A positive bound needs ",
        *positive_if,
        *advice,
    )


def _every_flow_step(b: Bounds, warnings: list[Notice]) -> Step:
    """Parts (a) and (c) together: the bound for every flow with constant |det|."""
    text = _every_flow_text(b, warnings)
    return Step(
        ("The bound for every flow with constant ", ABS_DET, " (every ", THETA_M, ", every ", C_M, ")"),
        text,
        at_least(KL, 2 * b.tv_every**2),
        as_number(pinsker_kl(b.tv_every)),
        part="c",
    )


def _vp_bound_text(vp: ForDet) -> Prose:
    """Which part gives the bound at c = 1: A a single point, A empty, or A a disc of area below 1 or not."""
    if vp.is_point:
        return (
            "For ",
            C_IS_1,
            ", ",
            m(r"A = \{f(0)\}", "A = {f(0)}"),
            " is a single point, of area 0 (part (b)), so part (c) with ",
            m(r"\operatorname{vol}(A) = 0", "vol(A) = 0"),
            " holds for every volume-preserving flow: ",
            *rel(m(r"\delta \ge \varepsilon", "δ ≥ ε"), "=", approx(vp.tv, 8)),
        )
    if not vp.nonempty:
        return (
            "For ",
            C_IS_1,
            ", ",
            A_EMPTY,
            " (part (b)), so part (a) holds for every volume-preserving flow: ",
            *rel(m(r"\delta \ge \varepsilon", "δ ≥ ε"), "=", approx(vp.tv, 8)),
        )
    if is_positive(vp.tv):
        return (
            "For ",
            C_IS_1,
            ", ",
            *rel(VOL_A_M, "=", approx(vp.volume_A, 8)),
            " ",
            m("< 1", "< 1"),
            " exactly, so part (c) gives ",
            *rel(m(r"\delta \ge \varepsilon(1 - \operatorname{vol}(A))", "δ ≥ ε(1 − vol(A))"), "=", approx(vp.tv, 8)),
        )
    return (
        "For ",
        C_IS_1,
        ", ",
        *rel(VOL_A_M, "=", approx(vp.volume_A, 8)),
        " ",
        m(r"\ge 1", "≥ 1"),
        ", so at this ",
        EPS_M,
        " the argument gives only ",
        m(r"\delta \ge 0", "δ ≥ 0"),
    )


def _vp_bound_step(b: Bounds) -> Step:
    """The bound for volume-preserving flows, never weaker than that for every c."""
    vp = b.vp
    text = _vp_bound_text(vp)
    return Step(
        ("The bound for volume-preserving flows (", C_IS_1, ")"),
        (
            *text,
            ", and ",
            *rel(
                m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge 2\delta^2", "KL(p‖p_θ) ≥ 2δ²"),
                "=",
                approx(pinsker_kl(vp.tv), 8),
            ),
            ". This is never weaker than the bound for every ",
            C_M,
            ", since ",
            VOL_A_M,
            " at ",
            C_IS_1,
            " is at most its maximum over ",
            C_M,
            ".",
        ),
        at_least(KL, vp.kl),
        as_number(pinsker_kl(vp.tv)),
        part="c",
    )


def _given_bound_step(g: ForDet) -> Step:
    """The bound for the given c."""
    which: Prose
    if g.is_point:
        which = ("Part (c) with ", m(r"\operatorname{vol}(A) = 0", "vol(A) = 0"), " (", A_M, " is a single point)")
    elif not g.nonempty:
        which = ("Part (a), ", A_EMPTY)
    elif is_positive(g.tv):
        which = ("Part (c)",)
    else:
        which = ("Part (c), which proves only ", m(r"\delta \ge 0", "δ ≥ 0"), " here")
    return Step(
        ("The bound for the given constant ", *rel(C_M, "=", shown(g.c))),
        (
            *which,
            ": ",
            *rel(DELTA_M, ">=", approx(g.tv, 8)),
            ", ",
            *kl_at_least(approx(pinsker_kl(g.tv), 8)),
            ".",
        ),
        at_least(KL, g.kl),
        as_number(pinsker_kl(g.tv)),
        part="c",
    )


def _vp_best_text(b: Bounds) -> Prose:
    """The best ε for c = 1 alone: the kink h − 1/(2π), found numerically, or none."""
    if is_positive(b.best_tv_vp):
        return (
            "For ",
            C_IS_1,
            " alone the best ",
            EPS_M,
            " is ",
            approx(b.best_eps_vp, 8),
            *(
                (
                    " ",
                    m(r"= h - 1/(2\pi)", "= h − 1/(2π)"),
                    ", the largest ",
                    EPS_M,
                    " at which ",
                    m(r"\operatorname{vol}(A) = 0", "vol(A) = 0"),
                    ": there ",
                    m(r"h - \varepsilon = 1/(2\pi)", "h − ε = 1/(2π)"),
                    ", the largest value of ",
                    P_THETA,
                    ", so ",
                    A_M,
                    " is the single point ",
                    m("f(0)", "f(0)"),
                    " (below it ",
                    A_EMPTY,
                    "; beyond it ",
                    A_M,
                    " is a disc of positive area and the bound, concave there, falls from the slope ",
                    m(r"1 - 4\pi^2\varepsilon < 0", "1 − 4π²ε < 0"),
                    ")",
                )
                if b.best_eps_vp_exact is not None
                else (" (found numerically)",)
            ),
            ", with ",
            *rel(DELTA_M, ">=", approx(b.best_tv_vp, 8)),
            " and ",
            *rel(KL_SHORT, ">=", approx(pinsker_kl(b.best_tv_vp), 8)),
            ".",
        )
    return ("Even for ", C_IS_1, " no ", EPS_M, " gives a positive bound.")


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _best_eps_steps(b: Bounds) -> list[Step]:
    """The ε that maximises the bound for every c, h − √(h/e), and the bound there; or why there is none."""
    plateau_float = float_of(b.plateau)
    best = best_eps_formulas()
    vp_best_text = _vp_best_text(b)
    if b.best_eps is not None:
        best_eps, best_tv = float_of(b.best_eps), float_of(b.best_tv)
        return [
            Step(
                ("The best ", EPS_M),
                (
                    m(
                        r"\delta(\varepsilon) = \varepsilon(1 - 1/(e(h - \varepsilon)))",
                        "δ(ε) = ε(1 − 1/(e(h − ε)))",
                    ),
                    " is concave on ",
                    m("(0, h)", "(0, h)"),
                    "; its derivative vanishes at ",
                    m(r"\varepsilon = h - \sqrt{h/e}", "ε = h − √(h/e)"),
                    " (SymPy), where ",
                    m(r"\delta = (\sqrt{eh} - 1)^2/e", "δ = (√(eh) − 1)²/e"),
                    ". For ",
                    *rel(H_M, "=", Approx(plateau_float, 8)),
                    ": ",
                    *rel(m(r"\varepsilon_{\mathrm{best}}", "ε_best"), "=", Approx(best_eps, 10)),
                    ", ",
                    *rel(DELTA_M, ">=", Approx(best_tv, 10)),
                    " and ",
                    *rel(KL_SHORT, ">=", Approx(pinsker_kl_lower_bound(best_tv), 10)),
                    " for every flow with constant ",
                    ABS_DET,
                    ". ",
                    *vp_best_text,
                ),
                equation(BEST_EPS, best.best_eps.subs(best.h, H)),
                best_eps,
                part="c",
            ),
            Step(
                ("The bound at the best ", EPS_M),
                (),
                at_least(DELTA, best.best_tv.subs(best.h, H)),
                best_tv,
                part="c",
            ),
        ]
    return [
        Step(
            ("The best ", EPS_M),
            (
                *rel(H_M, "=", Approx(plateau_float, 8)),
                " ",
                *rel(m(r"\le 1/e", "≤ 1/e"), "=", Approx(1 / math.e, 8)),
                ", so the bound on ",
                VOL_A_M,
                " is at least 1 for every ",
                EPS_M,
                " in ",
                m("(0, h)", "(0, h)"),
                ": no ",
                EPS_M,
                " gives a positive bound valid for every ",
                C_M,
                " at this ",
                K_M,
                ". ",
                *vp_best_text,
            ),
            part="c",
        )
    ]


def part_c_steps(b: Bounds, warnings: list[Notice]) -> list[Step]:
    """Part (c), then the bounds of parts (a) and (c) for every flow, for c = 1 and the given c, and the best ε."""
    steps = [_nonempty_A_step(b), _every_flow_step(b, warnings), _vp_bound_step(b)]
    if b.given is not None:
        steps.append(_given_bound_step(b.given))
    steps += _best_eps_steps(b)
    if b.eps_best_for_vp:
        warnings.append(
            Notice(
                (
                    "Since ",
                    m(r"h \le 1/e", "h ≤ 1/e"),
                    ", the best ",
                    EPS_M,
                    " was taken for ",
                    C_IS_1,
                    " alone: ",
                    *rel(EPS_M, "=", approx(b.best_eps_vp, 8)),
                    ".",
                ),
                "eps",
            )
        )
    return steps
