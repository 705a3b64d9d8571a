"""Problem 2, part (d): the sandwich (each lower bound beside the KL that a concrete Gaussian flow of the same family
achieves), the summary table, the conclusion (why VP-NFs are not universal) and the answer in one sentence."""

from __future__ import annotations

import sympy

from dgm_cli.derivation import Approx, Prose, Step, Table, m
from dgm_cli.solvers.symbolic import Label, equation
from dgm_cli.solvers.vpnf_bounds import Bounds, ForDet, pinsker_kl
from dgm_cli.solvers.vpnf_formulas import profile_formulas
from dgm_cli.solvers.vpnf_maxima import pinsker_kl_lower_bound
from dgm_cli.solvers.vpnf_notation import (
    ABS_DET,
    C_IS_1,
    C_M,
    DELTA_M,
    EPS_M,
    H_M,
    K_M,
    KL_DET_M,
    KL_GAUSSIAN,
    KL_GAUSSIAN_M,
    KL_M,
    MASS,
    NEG_ENTROPY,
    NEG_ENTROPY_M,
    P_M,
    SECOND_MOMENT_M,
    SIGMA2,
    T_M,
    THETA_M,
    H,
    approx,
    for_display,
    kl_at_least,
    rel,
    shown,
)
from dgm_cli.solvers.vpnf_numbers import as_number, float_of, is_positive


def _kl_to_gaussian_formula() -> sympy.Expr:
    """KL(p‖N(0, σ²I)) = ∫ p log p + log(2πσ²) + E_p‖x‖²/(2σ²), σ² symbolic."""
    second_moment = Label("E_p‖x‖²", r"\mathbb{E}_p \|x\|^2")
    return NEG_ENTROPY + sympy.log(2 * sympy.pi * SIGMA2) + second_moment / (2 * SIGMA2)


def _moments_step(b: Bounds) -> Step:
    """E_p‖x‖² and ∫ p log p in closed form, through the profile in t."""
    formulas = profile_formulas()
    example = b.example
    return Step(
        ("The sandwich: ", SECOND_MOMENT_M, " and ", NEG_ENTROPY_M, " in closed form"),
        (
            "Through the profile in ",
            T_M,
            " (SymPy): ",
            m(
                r"\mathbb{E}_p \lVert x \rVert^2 = \int g(t)\, \tfrac{32 t^3}{3} \, dt \big/ \operatorname{mass}(k)",
                "E_p‖x‖² = ∫ g(t)·(32t³/3) dt / mass(k)",
            ),
            " (the square ",
            m(r"\lVert x \rVert_\infty \le t", "‖x‖∞ ≤ t"),
            " carries ",
            m(r"\int (x^2 + y^2)\, dA = 8t^4/3", "∫(x² + y²) dA = 8t⁴/3"),
            "), and ",
            m(
                r"\int p \log p = \int g \log g \, dA \big/ \operatorname{mass}(k) - \log \operatorname{mass}(k)",
                "∫ p log p = ∫ g log g dA / mass(k) − log mass(k)",
            ),
            ", which simplifies to the form below (",
            m(r"\log 0.9 - \log \operatorname{mass}(k) = \log h", "log 0.9 − log mass(k) = log h"),
            "). Here ",
            *rel(SECOND_MOMENT_M, "=", approx(example.second_moment, 10)),
            " and ",
            *rel(NEG_ENTROPY_M, "=", approx(example.neg_entropy, 10)),
            ".",
        ),
        equation(NEG_ENTROPY, sympy.log(H) + formulas.neg_entropy_correction / MASS),
        float_of(example.neg_entropy),
        part="d",
    )


def _best_gaussian_step(b: Bounds) -> Step:
    """z ↦ σz with σ² = E_p‖x‖²/2: the best isotropic Gaussian flow, an upper end of the sandwich."""
    kl_gaussian = float_of(b.kl_gaussian)
    general = _kl_to_gaussian_formula()
    return Step(
        ("The sandwich: the best isotropic Gaussian flow",),
        (
            "The affine flow ",
            m(r"z \mapsto \sigma z", "z ↦ σz"),
            " has ",
            m(r"\lvert \det \rvert = \sigma^2", "|det| = σ²"),
            " and ",
            m(r"p_\theta = \mathcal{N}(0, \sigma^2 I)", "p_θ = N(0, σ²I)"),
            ", so it belongs to the family. ",
            KL_GAUSSIAN_M,
            " is smallest at ",
            *rel(
                m(r"\sigma^2 = \mathbb{E}_p \lVert x \rVert^2 / 2", "σ² = E_p‖x‖²/2"),
                "=",
                approx(b.sigma_squared, 10),
            ),
            ", where it is ",
            Approx(kl_gaussian, 10),
            ". The infimum of ",
            KL_M,
            " over the family is at most the KL of any of its flows (an infimum: no flow need attain it), so ",
            approx(pinsker_kl(b.tv_every), 6),
            " ",
            m(
                r"\le \inf_{\theta, c} \mathrm{KL}(p \,\|\, p_\theta) \le",
                "≤ inf over θ and c of KL(p‖p_θ) ≤",
            ),
            " ",
            Approx(kl_gaussian, 6),
            ".",
        ),
        equation(KL_GAUSSIAN, general),
        kl_gaussian,
        part="d",
    )


def _vp_sandwich_step(b: Bounds) -> Step:
    """N(0, I): the best volume-preserving affine flow, against the bound for c = 1."""
    kl_gaussian, kl_vp = float_of(b.kl_gaussian), float_of(b.kl_gaussian_vp)
    general = _kl_to_gaussian_formula()
    return Step(
        ("The sandwich for ", C_IS_1),
        (
            "Among volume-preserving affine flows ",
            m(r"z \mapsto Mz", "z ↦ Mz"),
            " (",
            m(r"\lvert \det M \rvert = 1", "|det M| = 1"),
            "), ",
            m(
                r"\mathrm{KL}(p \,\|\, \mathcal{N}(0, MM^\top)) = \mathrm{const} + \tfrac12 "
                r"\operatorname{tr}\bigl((MM^\top)^{-1}\bigr)\, \mathbb{E}_p \lVert x \rVert^2 / 2 "
                r"+ \tfrac12 \log \det(MM^\top)",
                "KL(p‖N(0, MMᵀ)) = const + ½·tr((MMᵀ)⁻¹)·E_p‖x‖²/2 + ½·log det(MMᵀ)",
            ),
            "; with ",
            m(r"\det(MM^\top) = 1", "det(MMᵀ) = 1"),
            " the trace is smallest at ",
            m(r"MM^\top = I", "MMᵀ = I"),
            " (AM–GM on the eigenvalues), so the best is ",
            m(r"\mathcal{N}(0, I)", "N(0, I)"),
            ", with ",
            *rel(m(r"\mathrm{KL}", "KL"), "=", Approx(kl_vp, 10)),
            ", against the lower bound ",
            approx(pinsker_kl(b.vp.tv), 6),
            " for ",
            C_IS_1,
            ". (The lower bound for ",
            C_IS_1,
            " may exceed the first sandwich's ",
            Approx(kl_gaussian, 6),
            ": that flow has ",
            m(r"c = \sigma^2 \ne 1", "c = σ² ≠ 1"),
            ".)",
        ),
        equation(Label("KL(p‖N(0, I))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, I))"), general.subs(SIGMA2, 1)),
        kl_vp,
        part="d",
    )


def _given_sandwich_step(b: Bounds, given: ForDet) -> Step:
    """z ↦ √c·z for the given c, against the bound for that c."""
    general = _kl_to_gaussian_formula()
    return Step(
        ("The sandwich for the given constant ", *rel(C_M, "=", shown(given.c))),
        (
            "The flow ",
            m(r"z \mapsto \sqrt{c}\, z", "z ↦ √c·z"),
            " has ",
            m(r"\lvert \det \rvert = c", "|det| = c"),
            ": ",
            *rel(KL_DET_M, "=", approx(b.kl_gaussian_det, 10)),
            ", against the lower bound ",
            approx(pinsker_kl(given.tv), 6),
            " for this ",
            C_M,
            ".",
        ),
        equation(
            Label("KL(p‖N(0, cI))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, cI))"),
            for_display(general.subs(SIGMA2, given.c)),
        ),
        as_number(b.kl_gaussian_det),
        part="d",
    )


def sandwich_steps(b: Bounds) -> list[Step]:
    """Part (d)'s sandwich: the moments in closed form, then each lower bound beside a concrete flow's KL."""
    steps = [_moments_step(b), _best_gaussian_step(b), _vp_sandwich_step(b)]
    if b.given is not None:
        steps.append(_given_sandwich_step(b, b.given))
    return steps


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _summary_table(b: Bounds) -> Table:
    """The bounds of parts (a)–(c) beside the KL that a concrete flow of the same family achieves."""
    kl = pinsker_kl_lower_bound
    tv_every, vp_tv = b.tv_every, b.vp.tv
    kl_gaussian, kl_vp = float_of(b.kl_gaussian), float_of(b.kl_gaussian_vp)
    rows: list[tuple] = [
        (
            ("every constant ", C_M),
            b.eps_shown,
            approx(tv_every, 8),
            approx(pinsker_kl(tv_every), 8),
            Approx(kl_gaussian, 8),
        )
    ]
    if b.best_tv is not None and not b.eps_is_best:
        best_tv = float_of(b.best_tv)
        rows.append(
            (
                ("every constant ", C_M, ", best ", EPS_M),
                approx(b.best_eps, 8),
                Approx(best_tv, 8),
                Approx(kl(best_tv), 8),
                Approx(kl_gaussian, 8),
            )
        )
    rows.append(
        (("volume-preserving, ", C_IS_1), b.eps_shown, approx(vp_tv, 8), approx(pinsker_kl(vp_tv), 8), Approx(kl_vp, 8))
    )
    if is_positive(b.best_tv_vp) and not b.eps_best_for_vp:
        rows.append(
            (
                ("volume-preserving, best ", EPS_M),
                approx(b.best_eps_vp, 8),
                approx(b.best_tv_vp, 8),
                approx(pinsker_kl(b.best_tv_vp), 8),
                Approx(kl_vp, 8),
            )
        )
    if b.given is not None:
        g_tv = b.given.tv
        rows.append(
            (
                ("the given ", *rel(C_M, "=", shown(b.given.c))),
                b.eps_shown,
                approx(g_tv, 8),
                approx(pinsker_kl(g_tv), 8),
                approx(b.kl_gaussian_det, 8),
            )
        )
    return Table(
        headers=(
            ("flows",),
            (EPS_M,),
            ("lower bound on ", DELTA_M),
            ("lower bound on ", KL_M),
            ("KL of a concrete flow of the family",),
        ),
        rows=tuple(rows),
        note=(
            "The concrete flows are ",
            m(r"z \mapsto \sigma z", "z ↦ σz"),
            " with the best ",
            m(r"\sigma^2", "σ²"),
            ", ",
            m(r"\mathcal{N}(0, I)", "N(0, I)"),
            " for ",
            C_IS_1,
            " and ",
            m(r"z \mapsto \sqrt{c}\, z", "z ↦ √c·z"),
            " for a given ",
            C_M,
            ".",
        ),
    )


def _bounds_text(b: Bounds) -> Prose:
    """What the argument proves at this k and ε: for every flow, at the best ε, or for c = 1 only."""
    vp_kl = pinsker_kl(b.vp.tv)
    best_kl = pinsker_kl(b.best_tv) if b.best_tv is not None else None
    kl_at_least_m = m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge", "KL(p‖p_θ) ≥")
    if is_positive(b.tv_every):
        text: Prose = (
            "Whatever ",
            THETA_M,
            " and whatever the constant ",
            C_M,
            ", ",
            *kl_at_least(approx(pinsker_kl(b.tv_every), 8)),
            " (",
            *rel(EPS_M, "=", b.eps_shown),
            ")",
        )
        if best_kl is not None and not b.eps_is_best:
            text += (", and ", kl_at_least_m, " ", approx(best_kl, 8), " with the best ", EPS_M)
        text += ("; for volume-preserving flows (", C_IS_1, "), ", *kl_at_least(approx(vp_kl, 8)), ".")
    elif best_kl is not None:
        text = (
            "At ",
            *rel(EPS_M, "=", b.eps_shown),
            " the argument proves no positive bound for every ",
            C_M,
            ", but at ",
            *rel(EPS_M, "=", approx(b.best_eps, 8)),
            " it proves ",
            *kl_at_least(approx(best_kl, 8)),
            " for every ",
            THETA_M,
            " and every ",
            C_M,
            "; for ",
            C_IS_1,
            " at ",
            *rel(EPS_M, "=", b.eps_shown),
            ", ",
            *kl_at_least(approx(vp_kl, 8)),
            ".",
        )
    else:
        text = (
            "At this ",
            K_M,
            " (",
            m(r"h \le 1/e", "h ≤ 1/e"),
            ") the argument proves no positive bound valid for every ",
            C_M,
            "; for volume-preserving flows (",
            C_IS_1,
            ") it proves ",
            *kl_at_least(approx(vp_kl, 8)),
            " at ",
            *rel(EPS_M, "=", b.eps_shown),
            ".",
        )
    return text


_WHY_NOT_UNIVERSAL: Prose = (
    "\nA universal approximator under KL needs, for this ",
    P_M,
    ", flows ",
    m(r"p_{\theta_n}", "p_θn"),
    " in the family with ",
    m(r"\mathrm{KL}(p \,\|\, p_{\theta_n}) \to 0", "KL(p‖p_θn) → 0"),
    ". A positive lower bound that does not depend on ",
    THETA_M,
    " rules that out: no flow of the family, however deep or wide, comes closer to ",
    P_M,
    " than the bound. The reason is rigidity. With a constant Jacobian determinant a flow can move the Gaussian's "
    "mass around but cannot reshape its density values: the set where ",
    m(r"p_\theta \ge \tau", "p_θ ≥ τ"),
    " has area at most ",
    m(r"1/(e\tau)", "1/(eτ)"),
    " whatever ",
    C_M,
    " (it is ",
    m(r"2\pi c \log\bigl(1/(2\pi c\tau)\bigr)", "c·2π·log(1/(2πcτ))"),
    " when that is positive, else 0), while ",
    P_M,
    " is flat at height ",
    H_M,
    " over an area of 1. So flows with constant ",
    ABS_DET,
    ", and volume-preserving flows in particular, are not universal distribution approximators.",
)


def conclusion(b: Bounds) -> Step:
    """Part (d): the bounds proved, why they rule out universality, and the summary table."""
    return Step(("Part (d): conclusion",), _bounds_text(b) + _WHY_NOT_UNIVERSAL, table=_summary_table(b), part="d")


def answer_sentence(b: Bounds) -> Prose:
    """The answer in one sentence: the bound for every flow and for VP flows, or why this k and ε give none."""
    vp_kl = pinsker_kl(b.vp.tv)
    not_universal = ", so VP-NFs are not universal approximators under KL."
    if is_positive(b.tv_every):
        return (
            "Every flow with constant ",
            ABS_DET,
            " has ",
            *kl_at_least(approx(pinsker_kl(b.tv_every), 8)),
            " at ",
            *rel(EPS_M, "=", b.eps_shown),
            ", and every volume-preserving flow has ",
            *kl_at_least(approx(vp_kl, 8)),
            not_universal,
        )
    if b.best_tv is not None:
        return (
            "At ",
            *rel(EPS_M, "=", b.eps_shown),
            " only volume-preserving flows are bounded, with ",
            *kl_at_least(approx(vp_kl, 8)),
            ", but at the best ",
            *rel(EPS_M, "=", approx(b.best_eps, 8)),
            " every flow with constant ",
            ABS_DET,
            " has ",
            *kl_at_least(approx(pinsker_kl(b.best_tv), 8)),
            not_universal,
        )
    if is_positive(b.vp.tv):
        return (
            "At this ",
            K_M,
            " (",
            m(r"h \le 1/e", "h ≤ 1/e"),
            ") the bound holds for volume-preserving flows only: ",
            *kl_at_least(approx(vp_kl, 8)),
            " at ",
            *rel(EPS_M, "=", b.eps_shown),
            not_universal,
        )
    return (
        "At this ",
        K_M,
        " and ",
        *rel(EPS_M, "=", b.eps_shown),
        " the argument gives no positive lower bound on ",
        KL_M,
        "; a smaller ",
        EPS_M,
        " is needed to show that VP-NFs are not universal approximators.",
    )
