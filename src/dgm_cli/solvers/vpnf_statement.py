"""Problem 2 as the assignment states it: the common statement (VP-NFs, the counterexample, the sets A, B and Ā)
and the questions of parts (a)–(d), as prose faithful to the assignment's wording."""

from __future__ import annotations

from dgm_cli.derivation import Prose, m
from dgm_cli.solvers.vpnf_notation import A_EMPTY, A_M

_DETERMINANT = r"\left\lvert \det \frac{\partial f_\theta(\mathbf{z})}{\partial \mathbf{z}} \right\rvert"
_AS_WRITTEN_LATEX = (
    r"p(x, y) = \begin{cases} 0.9 & \text{if } (x, y) \in [-0.5, 0.5] \times [-0.5, 0.5], \\ "
    r"0.9 - k \cdot (\lvert x \rvert - 0.5) & \text{if } \lvert x \rvert \in [0.5, 0.9k + 0.5] "
    r"\text{ and } \lvert y \rvert \in [0, \lvert x \rvert], \\ "
    r"0.9 - k \cdot (\lvert y \rvert - 0.5) & \text{if } \lvert y \rvert \in [0.5, 0.9k + 0.5] "
    r"\text{ and } \lvert x \rvert \in [0, \lvert y \rvert], \\ "
    r"0 & \text{otherwise.} \end{cases}"
)
_AS_WRITTEN_TEXT = (
    "p(x, y) = 0.9 if (x, y) ∈ [−0.5, 0.5] × [−0.5, 0.5]; "
    "0.9 − k·(|x| − 0.5) if |x| ∈ [0.5, 0.9k + 0.5] and |y| ∈ [0, |x|]; "
    "0.9 − k·(|y| − 0.5) if |y| ∈ [0.5, 0.9k + 0.5] and |x| ∈ [0, |y|]; 0 otherwise"
)
_E_DIFFERENCE = m(r"\lvert p_\theta(E) - p(E) \rvert > 0", "|p_θ(E) − p(E)| > 0")

QUESTION: Prose = (
    "Remember a Normalizing Flow formulated as ",
    m(
        r"p_\theta(\mathbf{x}) = p(z = f_\theta^{-1}(\mathbf{x})) "
        r"\left\lvert \det \frac{\partial f_\theta^{-1}(\mathbf{x})}{\partial \mathbf{x}} \right\rvert",
        "p_θ(x) = p(z = f_θ⁻¹(x)) |det ∂f_θ⁻¹(x)/∂x|",
    ),
    ". In a Volume-Preserving Normalizing Flow (VP-NF), the determinant of the Jacobian matrix of each "
    "transformation is constant, specifically ",
    m(_DETERMINANT + " = 1", "|det ∂f_θ(z)/∂z| = 1"),
    ". This implies that the transformation preserves volume in the latent space, meaning the model can rearrange "
    "the probability mass but cannot scale it.\nA set of probability distributions ",
    m(r"\mathcal{P}", "𝒫"),
    " is called a distributional universal approximator if for every possible target distribution ",
    m("p(x)", "p(x)"),
    " there is a sequence of distributions ",
    m(r"p_n(x) \in \mathcal{P}", "p_n(x) ∈ 𝒫"),
    " such that ",
    m(r"\lim_{n \to \infty} p_n(x) \sim p(x)", "lim_{n→∞} p_n(x) ~ p(x)"),
    " with a chosen type of convergence.\nWe want to prove: The family of Normalizing Flows with constant Jacobian "
    "determinant ",
    m(_DETERMINANT + r" = \mathrm{const}", "|det ∂f_θ(z)/∂z| = const"),
    " with latent ",
    m(r"z \sim \mathcal{N}(0, 1)", "z ~ N(0, 1)"),
    " is not a universal distribution approximator under KL divergence. We do this by finding a lower bound for "
    "the KL objective. Use the Pinsker's inequality as below and the counter example given: ",
    m(
        r"\delta(p_\theta, q) = \sup_{E:\ \text{a measurable event}} \{\lvert p_\theta(E) - q(E) \rvert\} "
        r"\le \sqrt{\tfrac12 D_{\mathrm{KL}}(p \,\|\, q)}",
        "δ(p_θ, q) = sup over measurable events E of {|p_θ(E) − q(E)|} ≤ √(½ D_KL(p‖q))",
    ),
    ".\nCounter example: ",
    m(_AS_WRITTEN_LATEX, _AS_WRITTEN_TEXT),
    "; ",
    m(
        r"A = \{(x, y) \in \mathbb{R}^2 : p_\theta(x, y) \ge 0.9 - \epsilon\}",
        "A = {(x, y) ∈ ℝ² : p_θ(x, y) ≥ 0.9 − ε}",
    ),
    ", ",
    m(r"B = [-0.5, 0.5] \times [-0.5, 0.5]", "B = [−0.5, 0.5] × [−0.5, 0.5]"),
    " and ",
    m(r"\bar A = B \setminus A", "Ā = B∖A"),
    ".",
)

PARTS: tuple[tuple[str, Prose], ...] = (
    (
        "a",
        (
            "(a) Prove there exists an event ",
            m("E", "E"),
            " such that ",
            _E_DIFFERENCE,
            " when ",
            A_EMPTY,
            ", and show the lower bound for KL divergence can be positive for some ",
            m(r"\epsilon > 0", "ε > 0"),
            ", using Pinsker's inequality. (Hint: prove ",
            m(r"\bar A", "Ā"),
            " can be such ",
            m("E", "E"),
            ".)",
        ),
    ),
    (
        "b",
        (
            "(b) Using the change of variables formula, create the event ",
            m("C", "C"),
            " in latent space resulting from ",
            A_M,
            ". Compare its volume with ",
            A_M,
            ". Then compute its volume and provide a simple upper bound for it. (Hint: volume here is a 2D circle "
            "because of the normal distribution.)",
        ),
    ),
    (
        "c",
        (
            "(c) Now show that there is an event ",
            m("E", "E"),
            " such that ",
            _E_DIFFERENCE,
            " when ",
            m(r"A \neq \emptyset", "A ≠ ∅"),
            ", and show the lower bound for KL divergence can be positive for some ",
            m(r"\epsilon > 0", "ε > 0"),
            ", using Pinsker's inequality.",
        ),
    ),
    ("d", ("(d) Now briefly explain why this means VP-NFs can't approximate every distribution.",)),
)
