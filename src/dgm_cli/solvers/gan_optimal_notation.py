"""Problem 3's notation: the labels of its displayed equations and the inline mathematics of its prose."""

from __future__ import annotations

from collections.abc import Sequence

from dgm_cli.derivation import Math, Prose, m
from dgm_cli.distributions import AnyDistribution, describe
from dgm_cli.solvers.symbolic import Label

L_LABEL = Label("L(φ; θ)", r"\mathcal{L}(\phi; \theta)")
L_OPT = Label("L(D*)", r"\mathcal{L}(D^*)")
D_STAR = Label("D*", "D^*")
JSD = Label("JSD(p_data ‖ p_g)", r"\mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g)")

# Inline mathematics for the prose (LaTeX, Unicode).
P_DATA = m(r"p_{\mathrm{data}}", "p_data")
P_G = m("p_g", "p_g")
X = m("x", "x")
D = m("D", "D")
T = m("t", "t")
D_STAR_M = m("D^*", "D*")
D_STAR_X = m("D^*(x)", "D*(x)")
JSD_M = m(r"\mathrm{JSD}", "JSD")
L_M = m(r"\mathcal{L}", "L")
L_OPT_M = m(r"\mathcal{L}(D^*)", "L(D*)")
LOG4_MINUS_2JSD = m(r"\log 4 - 2\,\mathrm{JSD}", "log 4 − 2·JSD")
IDENTITY = m(r"\mathcal{L}(D^*) = \log 4 - 2\,\mathrm{JSD}", "L(D*) = log 4 − 2·JSD")
D_STAR_RATIO = m(
    r"D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}", "D*(x) = p_data(x)/(p_data(x) + p_g(x))"
)
EXACT_RATIO = m(r"\frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}", "p_data(x)/(p_data(x) + p_g(x))")
SIGMA_LOG_RATIO = m(r"\sigma(\log p_{\mathrm{data}}(x) - \log p_g(x))", "σ(log p_data(x) − log p_g(x))")
UNIT_INTERVAL = m("(0, 1)", "(0, 1)")

LOG_D_STAR = m(r"\log D^* = \log\sigma(h)", "log D* = log σ(h)")
MINUS_INFINITY = m(r"-\infty", "−∞")

KAPPA_INTEGRAND = m(
    r"m \left(\log 2 + D^* \log D^* + (1 - D^*) \log(1 - D^*)\right)"
    r" = m\,\mathrm{KL}(\mathrm{Bernoulli}(D^*) \,\|\, \mathrm{Bernoulli}(\tfrac{1}{2}))",
    "m·(log 2 + D*·log D* + (1 − D*)·log(1 − D*)) = m·KL(Bernoulli(D*) ‖ Bernoulli(½))",
)
KAPPA_NEAR = m(
    r"\tfrac{1}{2}\left(t h + \log(1 - t^2)\right),\ t = \tanh(h/2)",
    "½(t·h + log(1 − t²)), t = tanh(h/2)",
)
LOSS_INCREASE = m(r"\mathcal{L}(D) - \mathcal{L}(D^*)", "L(D) − L(D*)")
D_FIT = m(r"D_{\mathrm{fit}}", "D_fit")


def both_named(data: AnyDistribution, gen: AnyDistribution) -> Prose:
    """"p_data = … and p_g = …" in a sentence; "the two distributions given" when either is too long to write."""
    first, second = describe(data), describe(gen)
    if all(len(p) == 1 and isinstance(p[0], Math) for p in (first, second)):
        return (*equals(P_DATA, first), " and ", *equals(P_G, second))
    return ("the two distributions given",)


def equals(name: Math, value: Prose) -> Prose:
    """``name = value`` for a distribution given as prose (inline mathematics, or words when it is long)."""
    if len(value) == 1 and isinstance(value[0], Math):
        return (m(f"{name.latex} = {value[0].latex}", f"{name.text} = {value[0].text}"),)
    return (name, " is ", *value)


def listing(values: Sequence) -> Prose:
    """Number pieces joined by commas and a final "and": 0.3, 0.1 and 0.03."""
    out: list = []
    for i, value in enumerate(values):
        if i:
            out.append(" and " if i == len(values) - 1 else ", ")
        out.append(value)
    return tuple(out)

