"""Problem 4's notation: the labels of its displayed equations, the inline mathematics of its prose, and how a
table shows a number."""

from __future__ import annotations

from dgm_cli.derivation import Approx, m
from dgm_cli.solvers.symbolic import Label

TABLE_DIGITS = 6  # digits a table shows; the result holds every value in full

# Labels of displayed equations.
D_OF_G = Label("D_φ(G_θ(z))", r"D_\phi(G_\theta(z))")
H_OF_G = Label("h_φ(G_θ(z))", r"h_\phi(G_\theta(z))")
GRAD_NORM = Label("‖∇_θ L_G‖", r"\lVert \nabla_\theta L_G \rVert")
EXPECTED_SIGMA = Label("E_z[σ(h)]", r"\mathbb{E}_z[\sigma(h)]")

# Inline mathematics of the prose: LaTeX for the typeset formats, Unicode for a terminal.
H = m("h", "h")
M = m("M", "M")
A = m("a", "a")
B = m("b", "b")
Z = m("z", "z")
D = m("D", "D")
THETA = m(r"\theta", "θ")
TAU = m(r"\tau", "τ")
ETA = m(r"\eta", "η")
E_Z = m(r"\mathbb{E}_z", "E_z")
NABLA = m(r"\nabla_\theta", "∇θ")
NABLA_H = m(r"\nabla_\theta h", "∇θ h")
SIGMA_H = m(r"\sigma(h)", "σ(h)")
MINUS_SIGMA_H = m(r"-\sigma(h)", "−σ(h)")
MINUS_SIGMA_MINUS_H = m(r"-\sigma(-h)", "−σ(−h)")
LOG_ONE_MINUS_D = m(r"\log(1 - D)", "log(1 − D)")
H_TO_MINUS_INF = m(r"h \to -\infty", "h → −∞")
H_DEF = m(r"h = h_\phi(G_\theta(z))", "h = h_φ(G_θ(z))")
GRAD_LG_NORM = m(r"\lVert \nabla_\theta L_G \rVert", "‖∇θ L_G‖")
GRAD_TO_ZERO = m(r"\nabla_\theta L_G \to 0", "∇θ L_G → 0")
PERFECT_ON_GENERATED = m(
    r"D_\phi(G_\theta(z)) = \sigma(h_\phi(G_\theta(z))) \to 0", "D_φ(G_θ(z)) = σ(h_φ(G_θ(z))) → 0"
)
SATURATING_DERIVATIVE = m(r"\frac{d}{dh} \log(1 - \sigma(h)) = -\sigma(h)", "d/dh log(1 − σ(h)) = −σ(h)")
NONSATURATING_DERIVATIVE = m(r"\frac{d}{dh} (-\log \sigma(h)) = -\sigma(-h)", "d/dh (−log σ(h)) = −σ(−h)")
NONSATURATING_LOSS = m(r"\mathbb{E}_z[-\log D(G(z))]", "E_z[−log D(G(z))]")
GRAD_NORM_SAT = m(r"\lVert \nabla_\theta L_{\mathrm{sat}} \rVert", "‖∇θ L_sat‖")
GRAD_NORM_NS = m(r"\lVert \nabla_\theta L_{\mathrm{ns}} \rVert", "‖∇θ L_ns‖")
PHI_THETA_B = m(r"\Phi(\theta - b)", "Φ(θ − b)")
UNIFORM_MODEL = m(r"G = \theta + z,\ z \sim U(-1, 1)", "G = θ + z, z ~ U(−1, 1)")
GAUSSIAN_MODEL = m(r"G = \theta + z,\ z \sim \mathcal{N}(0, 1)", "G = θ + z, z ~ N(0, 1)")
N = m("n", "n")
H_N = m("h_n", "h_n")
THETA0 = m(r"\theta_0", "θ₀")
UNIFORM_M = m(
    r"\sup_{n,\, z,\, \theta' \in U} \lVert \nabla_\theta h_n(G_{\theta'}(z)) \rVert \le M < \infty",
    "sup_(n, z, θ′ ∈ U) ‖∇θ h_n(G_θ′(z))‖ ≤ M < ∞",
)
CE_LOGIT = m(r"h_n(x) = -n + e^n (x - \theta_0)", "h_n(x) = −n + eⁿ(x − θ₀)")
CE_GRAD = m(r"\partial L_G / \partial \theta", "∂L_G/∂θ")
CE_GRAD_X_D = m(r"\partial D_n / \partial x\,(\theta_0)", "∂D_n/∂x (θ₀)")
CE_D = m(r"D = \sigma(-n)", "D = σ(−n)")


def cell(value: float) -> Approx:
    """A table's cell: the value, shown to TABLE_DIGITS digits."""
    return Approx(float(value), TABLE_DIGITS)
