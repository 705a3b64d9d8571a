"""Problem 3's proof, independent of the distributions: D* = a/(a + b) minimises g(D) = −a log D − b log(1 − D)
pointwise, and L(D*) = log 4 − 2·JSD.

SymPy derives everything about g (its derivatives, the stationary point, convexity, the value at the minimum and
the excess as a KL divergence); the result is input-independent, so it is computed once and kept on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from dgm_cli.cache import disk_cached
from dgm_cli.derivation import Math, Prose, Step, m
from dgm_cli.solvers.gan_optimal_notation import (
    D_STAR,
    D_STAR_M,
    IDENTITY,
    JSD,
    L_LABEL,
    L_OPT,
    UNIT_INTERVAL,
    D,
    X,
)
from dgm_cli.solvers.symbolic import Label, equation

G_OF_D = m("g(D)", "g(D)")
G_PRIME = m("g'(D)", "g′(D)")


@dataclass(frozen=True)
class PointwiseProof:
    """g(D) = −a log D − b log(1 − D) on (0, 1), a = p_data(x), b = p_g(x): everything SymPy derives about it."""

    a: sympy.Symbol
    b: sympy.Symbol
    D: sympy.Symbol
    g: sympy.Expr
    g_prime: sympy.Expr
    g_prime_numerator: sympy.Expr  # the numerator of g′ over its denominator D(1 − D)
    stationary: list
    g_second: sympy.Expr
    g_second_positive: bool
    minimum: sympy.Expr  # g(D*)
    minimum_as_log2: sympy.Expr  # (a + b) log 2 − a log(a/m) − b log(b/m), m = (a + b)/2 substituted
    minimum_with_m: sympy.Expr  # the same with the symbol m, for display
    minimum_identity_holds: bool
    excess_as_kl: sympy.Expr  # (a + b)·KL(Bernoulli(D*) ‖ Bernoulli(D))
    excess_identity_holds: bool
    g_without_data: sympy.Expr  # a = 0
    g_without_data_prime: sympy.Expr
    g_without_gen: sympy.Expr  # b = 0
    g_without_gen_prime: sympy.Expr


def _log_identity(difference: sympy.Expr, D: sympy.Symbol) -> bool:
    """True when a combination of logarithms is identically 0 for a, b > 0 and D ∈ (0, 1).

    D = u/(u + v) with u, v > 0 sweeps (0, 1) and makes 1 − D = v/(u + v) a ratio of positives too, so every
    factored log argument is a product of positive powers and log may be expanded over it.
    """
    u, v = sympy.symbols("u v", positive=True)
    positive = difference.subs(D, u / (u + v))
    factored = positive.replace(sympy.log, lambda argument: sympy.log(sympy.factor(argument)))
    return sympy.cancel(sympy.expand(sympy.expand_log(factored, force=True))) == 0


@disk_cached
def pointwise_proof() -> PointwiseProof:
    """SymPy's derivation about g(D) = −a log D − b log(1 − D): input-independent and deterministic (no time budget),
    so computed once and kept on disk (about 0.2 s of SymPy)."""
    a, b = sympy.symbols("a b", positive=True)
    D = sympy.Symbol("D", positive=True)
    g = -a * sympy.log(D) - b * sympy.log(1 - D)
    g_prime = sympy.diff(g, D)
    # On (0, 1), g′ = 0 exactly where the numerator of g′ over its positive denominator D(1 − D) vanishes:
    # a polynomial in D, whose roots SymPy finds (faster than the general solve).
    numerator = sympy.numer(sympy.together(g_prime))
    stationary = list(sympy.roots(sympy.Poly(numerator, D)))
    g_second = sympy.diff(g, D, 2)
    # D ∈ (0, 1): with D̄ = 1 − D > 0 as well, each term of g″ is a positive over a positive square.
    complement = sympy.Symbol("D̄", positive=True)
    g_second_positive = bool(g_second.subs(1 - D, complement).subs((D - 1) ** 2, complement**2).is_positive)
    (d_star,) = stationary
    minimum = -a * sympy.log(d_star) - b * sympy.log(sympy.cancel(1 - d_star))
    m = (a + b) / 2
    minimum_as_log2 = (a + b) * sympy.log(2) - a * sympy.log(a / m) - b * sympy.log(b / m)
    minimum_identity_holds = _log_identity(minimum - minimum_as_log2, D)
    m_symbol = sympy.Symbol("m", positive=True)
    minimum_with_m = (a + b) * sympy.log(2) - a * sympy.log(a / m_symbol) - b * sympy.log(b / m_symbol)
    excess_as_kl = (a + b) * (
        d_star * sympy.log(d_star / D) + sympy.cancel(1 - d_star) * sympy.log(sympy.cancel(1 - d_star) / (1 - D))
    )
    excess_identity_holds = _log_identity(g - minimum - excess_as_kl, D)
    g_without_data = g.subs(a, 0)
    g_without_gen = g.subs(b, 0)
    return PointwiseProof(
        a, b, D, g, g_prime, numerator, stationary, g_second, g_second_positive, minimum,
        minimum_as_log2, minimum_with_m, bool(minimum_identity_holds), excess_as_kl, bool(excess_identity_holds),
        g_without_data, sympy.diff(g_without_data, D), g_without_gen, sympy.diff(g_without_gen, D),
    )  # fmt: skip


def _is(name: Math, value: sympy.Expr) -> Prose:
    """``name = value`` inline: the name as mathematics, the value as a SymPy piece each renderer prints."""
    return (m(f"{name.latex} =", f"{name.text} ="), " ", value)


@dataclass(frozen=True)
class _Total:
    """The loss as one sum (categorical) or integral (continuous) over x, and how the prose names that total."""

    discrete: bool
    expression: sympy.Expr  # L(φ; θ) as that sum or integral
    measure: Prose  # "a sum over the categories …" or "an integral against dx …"
    word: str  # "sum" or "integral"
    latex: str  # its sign: \sum_k or \int
    text: str
    value_form: sympy.Expr  # L(D*) as the total of (p_data + p_g) log 2 − p_data log(p_data/m) − p_g log(p_g/m)


def _total(discrete: bool) -> _Total:
    x = sympy.Symbol("x", real=True)
    p_data, p_g, disc = sympy.Function("p_data")(x), sympy.Function("p_g")(x), sympy.Function("D")(x)
    integrand = -p_data * sympy.log(disc) - p_g * sympy.log(1 - disc)
    m_x = sympy.Function("m")(x)
    weighted = (p_data + p_g) * sympy.log(2) - p_data * sympy.log(p_data / m_x) - p_g * sympy.log(p_g / m_x)
    if discrete:
        k = sympy.Symbol("k", integer=True)
        n = sympy.Symbol("n", integer=True, positive=True)
        measure: Prose = (
            "a sum over the categories ",
            m(r"k = 0, \dots, n - 1", "k = 0, …, n − 1"),
            " (densities with respect to counting measure)",
        )
        return _Total(
            True,
            sympy.Sum(integrand.subs(x, k), (k, 0, n - 1)),
            measure,
            "sum",
            r"\sum_k",
            "Σ_k",
            sympy.Sum(weighted.subs(x, k), (k, 0, n - 1)),
        )
    return _Total(
        False,
        sympy.Integral(integrand, (x, -sympy.oo, sympy.oo)),
        ("an integral against ", m("dx", "dx"), " (densities with respect to Lebesgue measure)"),
        "integral",
        r"\int",
        "∫",
        sympy.Integral(weighted, (x, -sympy.oo, sympy.oo)),
    )


def proof_steps(discrete: bool) -> list[Step]:
    """The general proof, independent of the distributions: pointwise minimisation and the value log 4 − 2 JSD."""
    proof, total = pointwise_proof(), _total(discrete)
    return [
        *_loss_steps(proof, total),
        *_calculus_steps(proof),
        *_minimum_steps(proof, total),
        *_edge_case_steps(proof),
        *_conclusion_steps(total),
    ]


def _loss_steps(proof: PointwiseProof, total: _Total) -> list[Step]:
    """The loss as one sum or integral, minimised pointwise: g(D) = −a log D − b log(1 − D) at each x."""
    g_label = Label("g(D)", "g(D)")
    return [
        Step(
            ("The loss as one ", total.word),
            (
                "For a fixed generator ",
                m(r"\theta", "θ"),
                ", both expectations in ",
                m(
                    r"\mathcal{L}(\phi; \theta) = -\mathbb{E}_{x \sim p_{\mathrm{data}}}[\log D(x)]"
                    r" - \mathbb{E}_{x \sim p_g}[\log(1 - D(x))]",
                    "L(φ; θ) = −E_data[log D(x)] − E_g[log(1 − D(x))]",
                ),
                " are ",
                *total.measure,
                ", so they combine into one, with ",
                m(r"D(x) = D_\phi(x) \in (0, 1)", "D(x) = D_φ(x) ∈ (0, 1)"),
                ":",
            ),
            equation(L_LABEL, total.expression),
        ),
        Step(
            ("Minimise the integrand pointwise",),
            (
                f"The {total.word} depends on ",
                D,
                " only through its value ",
                m("D(x)", "D(x)"),
                " at each ",
                X,
                ". Fix ",
                X,
                " and write ",
                m(r"a = p_{\mathrm{data}}(x) \ge 0", "a = p_data(x) ≥ 0"),
                " and ",
                m(r"b = p_g(x) \ge 0", "b = p_g(x) ≥ 0"),
                ": the integrand is ",
                m(r"g(D) = -a \log D - b \log(1 - D)", "g(D) = −a·log D − b·log(1 − D)"),
                " on ",
                UNIT_INTERVAL,
                ". Take ",
                m("a, b > 0", "a, b > 0"),
                " first.",
            ),
            equation(g_label, proof.g),
        ),
    ]


def _calculus_steps(proof: PointwiseProof) -> list[Step]:
    """g′, its one root D* = a/(a + b) in (0, 1), and g″ > 0: a unique minimum."""
    numerator, d_star = proof.g_prime_numerator, proof.stationary[0]
    return [
        Step(("First derivative",), ("Differentiate with SymPy:",), equation(Label("g′(D)", "g'(D)"), proof.g_prime)),
        Step(
            ("The stationary point",),
            (
                "On ",
                UNIT_INTERVAL,
                ", ",
                m("g'(D) = 0", "g′(D) = 0"),
                " where the numerator of ",
                m("g'", "g′"),
                " over the common denominator ",
                m("D(1 - D) > 0", "D(1 − D) > 0"),
                " vanishes: ",
                numerator,
                " ",
                m("= 0", "= 0"),
                ", linear in ",
                D,
                ", with the single root below (SymPy's roots). It lies in ",
                UNIT_INTERVAL,
                " since ",
                m("a, b > 0", "a, b > 0"),
                ":",
            ),
            equation(D_STAR, d_star),
        ),
        Step(
            ("Second derivative: a unique minimum",),
            (
                m(r"g''(D) = \frac{a}{D^2} + \frac{b}{(1 - D)^2}", "g″(D) = a/D² + b/(1 − D)²"),
                " is a sum of positive terms on ",
                UNIT_INTERVAL,
                (
                    " (SymPy confirms it is positive)"
                    if proof.g_second_positive
                    else " (SymPy could not confirm the sign by itself)"
                ),
                ", so ",
                m("g", "g"),
                " is strictly convex there, and a strictly convex function has at most one stationary point, its "
                "unique global minimiser. (Consistently, ",
                m("g", "g"),
                " grows without bound at both ends: ",
                m(r"-a \log D \to +\infty", "−a·log D → +∞"),
                " as ",
                m(r"D \to 0^+", "D → 0⁺"),
                " and ",
                m(r"-b \log(1 - D) \to +\infty", "−b·log(1 − D) → +∞"),
                " as ",
                m(r"D \to 1^-", "D → 1⁻"),
                ".)",
            ),
            equation(Label("g″(D)", "g''(D)"), proof.g_second),
        ),
    ]


def _minimum_steps(proof: PointwiseProof, total: _Total) -> list[Step]:
    """g(D*) in terms of the midpoint m, and the excess g(D) − g(D*) as a KL divergence."""
    return [
        Step(
            ("The value at the minimum",),
            (
                "Substitute ",
                D_STAR_M,
                " into ",
                m("g", "g"),
                ": ",
                *_is(m("g(D^*)", "g(D*)"), proof.minimum),
                ". With ",
                m(r"m = \tfrac{1}{2}(a + b)", "m = (a + b)/2"),
                ", the midpoint density, it rewrites as below (",
                (
                    "SymPy expands the difference of the two forms to 0"
                    if proof.minimum_identity_holds
                    else "SymPy could not expand the difference of the two forms to 0"
                ),
                "); this form ",
                "sums" if total.discrete else "integrates",
                " to the Jensen–Shannon divergence.",
            ),
            equation(Label("g(D*)", "g(D^*)"), proof.minimum_with_m),
        ),
        Step(
            ("Another view: the excess is a KL divergence",),
            (
                "For every ",
                D,
                " in ",
                UNIT_INTERVAL,
                ", ",
                m(
                    r"g(D) - g(D^*) = (a + b)\,\mathrm{KL}(\mathrm{Bernoulli}(D^*) \,\|\, \mathrm{Bernoulli}(D))",
                    "g(D) − g(D*) = (a + b)·KL(Bernoulli(D*) ‖ Bernoulli(D))",
                ),
                " (",
                (
                    "SymPy expands the difference to 0"
                    if proof.excess_identity_holds
                    else "SymPy could not expand the difference to 0"
                ),
                "), which is ",
                m(r"\ge 0", "≥ 0"),
                " with equality only at ",
                m("D = D^*", "D = D*"),
                " (Gibbs' inequality): the same conclusion without derivatives.",
            ),
            equation(Label("g(D) − g(D*)", "g(D) - g(D^*)"), proof.excess_as_kl),
        ),
    ]


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _edge_case_steps(proof: PointwiseProof) -> list[Step]:
    """Where a density is 0: D* = a/(a + b) still, at the boundary; undefined where both are."""
    a_any, b_any = sympy.symbols("a b", nonnegative=True)  # a + b > 0 stays a condition, not True
    return [
        Step(
            ("Edge cases: a density is 0 at ", X),
            (
                "If ",
                m("a = 0 < b", "a = 0 < b"),
                " (",
                X,
                " only produced by the generator): ",
                *_is(G_OF_D, proof.g_without_data),
                " and ",
                *_is(G_PRIME, proof.g_without_data_prime),
                ", which is positive, so ",
                m("g", "g"),
                " increases and its minimum over ",
                m("[0, 1)", "[0, 1)"),
                " is at the boundary ",
                m(r"D = 0 = \frac{a}{a + b}", "D = 0 = a/(a + b)"),
                ".\nIf ",
                m("b = 0 < a", "b = 0 < a"),
                " (",
                X,
                " only in the data): ",
                *_is(G_OF_D, proof.g_without_gen),
                " and ",
                *_is(G_PRIME, proof.g_without_gen_prime),
                ", which is negative, so the minimum over ",
                m("(0, 1]", "(0, 1]"),
                " is at the boundary ",
                m(r"D = 1 = \frac{a}{a + b}", "D = 1 = a/(a + b)"),
                ".\nIf ",
                m("a = b = 0", "a = b = 0"),
                " (",
                X,
                " outside both supports): ",
                m(r"g \equiv 0", "g ≡ 0"),
                ", so every ",
                D,
                " is optimal; ",
                m(r"\frac{a}{a + b}", "a/(a + b)"),
                " is ",
                m("0/0", "0/0"),
                ", undefined, and it does not matter, since neither distribution puts mass there.\nSo ",
                m(r"D^* = \frac{a}{a + b}", "D* = a/(a + b)"),
                " wherever ",
                m("a + b > 0", "a + b > 0"),
                ", allowing the values 0 and 1 (with ",
                m(r"0 \log 0 = 0", "0·log 0 = 0"),
                ").",
            ),
            equation(
                D_STAR,
                sympy.Piecewise(
                    (a_any / (a_any + b_any), a_any + b_any > 0),
                    (Label("any D ∈ [0, 1]", r"\text{any } D \in [0, 1]"), True),
                ),
            ),
        ),
    ]


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _conclusion_steps(total: _Total) -> list[Step]:
    """Pointwise minimisation minimises the loss, whose value at D* is log 4 − 2·JSD."""
    return [
        Step(
            ("Pointwise minimisation minimises the ", total.word),
            (
                "For any discriminator ",
                D,
                " and every ",
                X,
                ", ",
                m(r"g_x(D(x)) \ge g_x(D^*(x))", "g_x(D(x)) ≥ g_x(D*(x))"),
                f"; {'summing' if total.discrete else 'integrating'} both sides (the {total.word} is monotone) gives ",
                m(r"\mathcal{L}(D) \ge \mathcal{L}(D^*)", "L(D) ≥ L(D*)"),
                ". Equality needs equality at almost every ",
                X,
                " where ",
                m(r"p_{\mathrm{data}} + p_g > 0", "p_data + p_g > 0"),
                " (strict convexity), so ",
                D_STAR_M,
                " is the minimiser, unique up to sets that neither distribution charges. ",
                D_STAR_M,
                " is measurable (a ratio of measurable functions), so it is a legitimate discriminator for a "
                "flexible enough family ",
                m(r"D_\phi", "D_φ"),
                ".",
            ),
            sympy.GreaterThan(Label("L(D)", r"\mathcal{L}(D)"), L_OPT, evaluate=False),
        ),
        Step(
            ("The loss at the optimum",),
            (
                f"{'Sum' if total.discrete else 'Integrate'} ",
                m("g(D^*)", "g(D*)"),
                " from the value step, with ",
                m(
                    r"m(x) = \tfrac{1}{2}(p_{\mathrm{data}}(x) + p_g(x))",
                    "m(x) = (p_data(x) + p_g(x))/2",
                ),
                ": ",
                m(
                    total.latex + r" (p_{\mathrm{data}} + p_g) \log 2 = 2 \log 2 = \log 4",
                    f"{total.text} (p_data + p_g)·log 2 = 2 log 2 = log 4",
                ),
                ", and ",
                m(
                    total.latex + r" p \log\frac{p}{m} = \mathrm{KL}(p \,\|\, m)",
                    f"{total.text} p log(p/m) = KL(p ‖ m)",
                ),
                ".",
            ),
            equation(L_OPT, total.value_form),
        ),
        Step(
            (IDENTITY,),
            (
                "So ",
                m(
                    r"\mathcal{L}(D^*) = \log 4 - \mathrm{KL}(p_{\mathrm{data}} \,\|\, m) - \mathrm{KL}(p_g \,\|\, m)"
                    r" = \log 4 - 2\,\mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g)",
                    "L(D*) = log 4 − KL(p_data ‖ m) − KL(p_g ‖ m) = log 4 − 2·JSD(p_data ‖ p_g)",
                ),
                ", where ",
                m(
                    r"\mathrm{JSD} = \tfrac{1}{2}\mathrm{KL}(p_{\mathrm{data}} \,\|\, m)"
                    r" + \tfrac{1}{2}\mathrm{KL}(p_g \,\|\, m)",
                    "JSD = ½KL(p_data ‖ m) + ½KL(p_g ‖ m)",
                ),
                " lies in ",
                m(r"[0, \log 2]", "[0, log 2]"),
                ": ",
                m(r"\mathcal{L}(D^*) \in [0, \log 4]", "L(D*) ∈ [0, log 4]"),
                ", equal to ",
                m(r"\log 4", "log 4"),
                " exactly when ",
                m(r"p_{\mathrm{data}} = p_g", "p_data = p_g"),
                " (then ",
                m(r"D^* \equiv \tfrac{1}{2}", "D* ≡ ½"),
                ") and to 0 when the supports are disjoint.",
            ),
            equation(L_OPT, sympy.log(4) - 2 * JSD),
        ),
    ]
