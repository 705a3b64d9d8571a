"""Problem 4's argument as derivation steps: the premise corrected, the chain rule, the hypothesis of one bound M
for the whole sequence of discriminators, the exchange of ∇θ and E_z, the bound and its limit; the counterexample
without a uniform M, the relation to Arjovsky and Bottou (2017), the non-saturating fix, and the sharpness sweep.
"""

from __future__ import annotations

import sympy

from dgm_cli.derivation import Approx, Step, Table, m
from dgm_cli.solvers.gan_vanishing_notation import (
    CE_D,
    CE_GRAD,
    CE_GRAD_X_D,
    CE_LOGIT,
    D_OF_G,
    E_Z,
    EXPECTED_SIGMA,
    GRAD_NORM,
    GRAD_NORM_NS,
    GRAD_NORM_SAT,
    GRAD_TO_ZERO,
    H_DEF,
    H_N,
    H_OF_G,
    H_TO_MINUS_INF,
    MINUS_SIGMA_H,
    MINUS_SIGMA_MINUS_H,
    NABLA,
    NABLA_H,
    NONSATURATING_LOSS,
    PERFECT_ON_GENERATED,
    PHI_THETA_B,
    TABLE_DIGITS,
    THETA,
    THETA0,
    UNIFORM_M,
    A,
    B,
    D,
    H,
    M,
    N,
    Z,
    cell,
)
from dgm_cli.solvers.gan_vanishing_numerics import (
    COUNTEREXAMPLE_DIGITS,
    SIGMA_ONE_SQUARED,
    Counterexample,
    SharpnessSweep,
    counterexample,
)
from dgm_cli.solvers.gan_vanishing_symbolic import SymbolicFacts, SymbolicSigmoid
from dgm_cli.solvers.symbolic import equation


def derivation_steps(facts: SymbolicFacts, ce: Counterexample | None = None) -> list[Step]:
    """The argument, independent of the batch."""
    ce = counterexample() if ce is None else ce
    return [
        *_premise_steps(facts),
        *_derivative_steps(facts),
        *_hypothesis_steps(),
        *_vanishing_steps(facts),
        counterexample_step(ce),
        arjovsky_bottou_step(),
        _fix_step(facts),
    ]


def _premise_steps(facts: SymbolicFacts) -> list[Step]:
    """The premise corrected, and the two losses in their log-space forms."""
    h = facts.h
    sig = SymbolicSigmoid
    return [
        Step(
            ("The premise, corrected",),
            (
                "The assignment's premise reads ‘our discriminator is perfect, i.e. ",
                GRAD_TO_ZERO,
                "’, which is the very conclusion to be shown. A perfect discriminator rejects every generated sample: ",
                PERFECT_ON_GENERATED,
                ", that is, its logits ",
                H_TO_MINUS_INF,
                " on the generator's samples: the discriminator is perfect on generated samples. That is the premise "
                "used here; the conclusion is ",
                GRAD_TO_ZERO,
                ".",
            ),
            equation(D_OF_G, sig(H_OF_G)),
        ),
        Step(
            ("Conventions: the saturating loss",),
            (
                "The generator minimises ",
                m(r"L_G(\theta) = \mathbb{E}_z[\log(1 - \sigma(h))]", "L_G(θ) = E_z[log(1 − σ(h))]"),
                ", ",
                H_DEF,
                ": the minimax game's loss, called saturating. Numbers use its log-space form, exact for every logit (",
                m(r"\log(1 - \sigma(800)) = -800", "log(1 − σ(800)) = −800"),
                ", not ",
                m(r"-\infty", "−∞"),
                "); SymPy checks the identity.",
            ),
            equation(sympy.log(1 - sig(h)), -sympy.log(1 + sympy.exp(h))),
        ),
        Step(
            ("Conventions: the non-saturating loss",),
            (
                "The usual alternative: minimise ",
                m(
                    r"\mathbb{E}_z[-\log D(G(z))] = \mathbb{E}_z[-\log \sigma(h)]",
                    "E_z[−log D(G(z))] = E_z[−log σ(h)]",
                ),
                " (Goodfellow et al., 2014). Both derivatives below are with respect to the logit ",
                H,
                "; both are negative, so descent raises ",
                H,
                ".",
            ),
            equation(-sympy.log(sig(h)), sympy.log(1 + sympy.exp(-h))),
        ),
    ]


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _derivative_steps(facts: SymbolicFacts) -> list[Step]:
    """Both losses' derivatives in the logit, and the chain rule through the generator."""
    h = facts.h
    sig = SymbolicSigmoid
    return [
        Step(
            ("Derivative of the saturating loss",),
            (
                "SymPy differentiates ",
                m(r"\log(1 - 1/(1 + e^{-h}))", "log(1 − 1/(1 + e^(−h)))"),
                " and, in ",
                m("t = e^h", "t = e^h"),
                ", cancels it to ",
                facts.saturating_derivative_raw,
                ", which is ",
                MINUS_SIGMA_H,
                ": the difference cancels to 0.",
            ),
            equation(sympy.Derivative(sympy.log(1 - sig(h)), h), -sig(h)),
        ),
        Step(
            ("Derivative of the non-saturating loss",),
            (
                "SymPy differentiates ",
                m(r"-\log \sigma(h)", "−log σ(h)"),
                " to ",
                facts.nonsaturating_derivative_raw,
                ", which is ",
                m(r"-(1 - \sigma(h)) = -\sigma(-h)", "−(1 − σ(h)) = −σ(−h)"),
                ". Numbers use ",
                MINUS_SIGMA_MINUS_H,
                ", which has no cancellation as ",
                H_TO_MINUS_INF,
                ".",
            ),
            equation(sympy.Derivative(-sympy.log(sig(h)), h), sympy.Mul(-1, 1 - sig(h), evaluate=False)),
        ),
        Step(
            ("Chain rule",),
            (
                "With ",
                H_DEF,
                ", SymPy's chain rule gives the derivative of the integrand, for each ",
                Z,
                ": ",
                m(
                    r"\nabla_\theta \log(1 - \sigma(h)) = -\sigma(h)\, \nabla_\theta h",
                    "∇θ log(1 − σ(h)) = −σ(h)·∇θ h",
                ),
                ", where ",
                m(
                    r"\nabla_\theta h = h'(G)\, \partial G / \partial \theta",
                    "∇θ h = h'(G)·∂G/∂θ",
                ),
                ". Moving ",
                NABLA,
                " inside ",
                E_Z,
                " (justified two steps below) gives ",
                m(
                    r"\nabla_\theta L_G = \mathbb{E}_z[-\sigma(h(G_\theta(z)))\, \nabla_\theta h(G_\theta(z))]",
                    "∇θ L_G = E_z[−σ(h(G_θ(z)))·∇θ h(G_θ(z))]",
                ),
                ".",
            ),
            equation(facts.chain_rule_derivative, facts.chain_rule),
        ),
    ]


def _hypothesis_steps() -> list[Step]:
    """The hypothesis of one bound M for the whole sequence, and why it lets ∇θ pass inside E_z."""
    return [_hypothesis_step(), _exchange_step()]


def _hypothesis_step() -> Step:
    return Step(
        ("The hypothesis: one bound M for the whole sequence of discriminators",),
        (
            "A perfect discriminator is reached as a limit: discriminators ",
            m(r"h_n = h_{\phi_n}", "h_n = h_φₙ"),
            ", ",
            m(r"n = 1, 2, \ldots", "n = 1, 2, …"),
            ", with ",
            m(
                r"D_n(G_\theta(z)) = \sigma(h_n(G_\theta(z))) \to 0",
                "D_n(G_θ(z)) = σ(h_n(G_θ(z))) → 0",
            ),
            " for almost every ",
            Z,
            ", at the generator ",
            THETA,
            " being trained. Besides ",
            H_N,
            " and ",
            m(r"\theta \mapsto G_\theta(z)", "θ ↦ G_θ(z)"),
            " being differentiable and each ",
            m(r"L_G(\theta; \phi_n)", "L_G(θ; φₙ)"),
            " being finite, the argument assumes one constant ",
            M,
            " that bounds ",
            m(r"\lVert \nabla_\theta h_n(G_{\theta'}(z)) \rVert", "‖∇θ h_n(G_θ′(z))‖"),
            " for every ",
            N,
            ", every ",
            Z,
            " and every ",
            m(r"\theta'", "θ′"),
            " in an open ball ",
            m("U", "U"),
            " around ",
            THETA,
            ": ",
            UNIFORM_M,
            ". The bound ",
            M,
            " must not depend on ",
            N,
            ": it is one bound for the whole sequence of discriminators. Without it the premise does not give "
            "the conclusion; a counterexample below shows this.",
        ),
    )


def _exchange_step() -> Step:
    """Dominated convergence with the constant M: ∇θ L_G = E_z[−σ(h_n)·∇θ h_n]."""
    return Step(
        ("Exchanging ", NABLA, " and ", E_Z),
        (
            "Write ",
            m(r"\ell(\theta', z) = \log(1 - \sigma(h_n(G_{\theta'}(z))))", "ℓ(θ′, z) = log(1 − σ(h_n(G_θ′(z))))"),
            ". By the chain rule and ",
            m(r"0 < \sigma < 1", "0 < σ < 1"),
            ", for each coordinate ",
            m(r"\theta_i", "θ_i"),
            ", every ",
            Z,
            " and every ",
            m(r"\theta' \in U", "θ′ ∈ U"),
            ": ",
            m(
                r"\lvert \partial \ell / \partial \theta_i \rvert \le \lVert \nabla_\theta \ell \rVert"
                r" = \sigma(h_n)\, \lVert \nabla_\theta h_n \rVert \le M",
                "|∂ℓ/∂θ_i| ≤ ‖∇θ ℓ‖ = σ(h_n)·‖∇θ h_n‖ ≤ M",
            ),
            ". This dominating bound is the constant ",
            M,
            ", which is integrable because ",
            Z,
            " has a probability distribution. By the mean value theorem it also bounds each difference quotient: ",
            m(
                r"\lvert \ell(\theta + t e_i, z) - \ell(\theta, z) \rvert / \lvert t \rvert \le M",
                "|ℓ(θ + t·e_i, z) − ℓ(θ, z)|/|t| ≤ M",
            ),
            ", with ",
            m(r"e_i", "e_i"),
            " the ",
            m("i", "i"),
            "-th unit vector, while ",
            m(r"\theta + t e_i \in U", "θ + t·e_i ∈ U"),
            ", so dominated convergence takes the limit ",
            m(r"t \to 0", "t → 0"),
            " inside ",
            E_Z,
            " (Leibniz's rule for differentiating under the integral sign): ",
            m(
                r"\partial L_G / \partial \theta_i = \mathbb{E}_z[\partial \ell / \partial \theta_i]",
                "∂L_G/∂θ_i = E_z[∂ℓ/∂θ_i]",
            ),
            ", that is, ",
            m(
                r"\nabla_\theta L_G = \mathbb{E}_z[-\sigma(h_n)\, \nabla_\theta h_n]",
                "∇θ L_G = E_z[−σ(h_n)·∇θ h_n]",
            ),
            ". For a finite batch, ",
            E_Z,
            " is a finite mean and the exchange is just the linearity of the derivative.",
        ),
    )


def _vanishing_steps(facts: SymbolicFacts) -> list[Step]:
    """The bound ‖∇θ L_G‖ ≤ M·E_z[σ(h)] and its limit."""
    h = facts.h
    sig = SymbolicSigmoid
    return [
        Step(
            ("A bound",),
            (
                "The norm of an expectation is at most the expectation of the norm (the norm is convex: Jensen, or the "
                "triangle inequality for a batch mean), and ",
                m(r"\sigma(h) \ge 0", "σ(h) ≥ 0"),
                "; so under the hypothesis, for every ",
                N,
                ", ",
                m(
                    r"\lVert \nabla_\theta L_G(\theta; \phi_n) \rVert \le \mathbb{E}_z[\sigma(h_n)\, "
                    r"\lVert \nabla_\theta h_n \rVert] \le M\, \mathbb{E}_z[\sigma(h_n)]",
                    "‖∇θ L_G(θ; φₙ)‖ ≤ E_z[σ(h_n)·‖∇θ h_n‖] ≤ M·E_z[σ(h_n)]",
                ),
                ". For a batch, ",
                E_Z,
                " is the batch mean and the bound holds exactly.",
            ),
            sympy.Le(
                GRAD_NORM, sympy.Mul(sympy.Symbol("M", positive=True), EXPECTED_SIGMA, evaluate=False), evaluate=False
            ),
        ),
        Step(
            ("The gradient vanishes",),
            (
                "SymPy finds ",
                m(r"\lim_{h \to -\infty} -\sigma(h)", "lim_(h→−∞) −σ(h)"),
                " to be ",
                facts.limit_saturating,
                ". If ",
                m(r"D_n(G_\theta(z)) = \sigma(h_n) \to 0", "D_n(G_θ(z)) = σ(h_n) → 0"),
                " for almost every ",
                Z,
                ", then ",
                m(r"\mathbb{E}_z[\sigma(h_n)] \to 0", "E_z[σ(h_n)] → 0"),
                " by dominated convergence (",
                m(r"0 \le \sigma \le 1", "0 ≤ σ ≤ 1"),
                ", and the constant 1 is integrable); since ",
                M,
                " is the same for every ",
                N,
                ", ",
                m(r"M\, \mathbb{E}_z[\sigma(h_n)] \to 0", "M·E_z[σ(h_n)] → 0"),
                ": ",
                GRAD_TO_ZERO,
                ". The better the discriminator, the less the generator learns.",
            ),
            equation(sympy.Limit(-sig(h), h, -sympy.oo), facts.limit_saturating),
        ),
    ]


def _fix_step(facts: SymbolicFacts) -> Step:
    """The non-saturating loss, whose derivative tends to −1."""
    h = facts.h
    sig = SymbolicSigmoid
    return Step(
        ("The fix: the non-saturating loss",),
        (
            "SymPy finds ",
            m(r"\lim_{h \to -\infty} -\sigma(-h)", "lim_(h→−∞) −σ(−h)"),
            " to be ",
            facts.limit_nonsaturating,
            ". The gradient of ",
            NONSATURATING_LOSS,
            " is ",
            m(r"\mathbb{E}_z[-\sigma(-h)\, \nabla_\theta h]", "E_z[−σ(−h)·∇θ h]"),
            ", and ",
            m(r"-\sigma(-h) \to -1", "−σ(−h) → −1"),
            ": where the discriminator is confident, the generator's gradient is the full ",
            NABLA_H,
            ", not a vanishing fraction of it. Arjovsky and Bottou (2017) also show that this standard fix "
            "trades the vanishing for unstable, high-variance updates.",
        ),
        equation(sympy.Limit(-sig(-h), h, -sympy.oo), facts.limit_nonsaturating),
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def counterexample_step(ce: Counterexample) -> Step:
    table = Table(
        headers=((N,), (CE_D,), (CE_GRAD,), (CE_GRAD_X_D,)),
        rows=tuple((ce.n[i], cell(ce.d[i]), cell(ce.grad[i]), cell(ce.grad_x_d[i])) for i in range(len(ce.n))),
    )
    return Step(
        ("Why M must not depend on the discriminator: a counterexample",),
        (
            "Without one bound for all ",
            N,
            " the premise does not give the conclusion. Take a real parameter ",
            THETA,
            ", the generator ",
            m(r"G_\theta(z) = \theta", "G_θ(z) = θ"),
            " for every ",
            Z,
            ", a point ",
            THETA0,
            ", and the discriminators ",
            CE_LOGIT,
            ". At ",
            m(r"\theta = \theta_0", "θ = θ₀"),
            ": ",
            m(r"h_n(G_\theta(z)) = -n", "h_n(G_θ(z)) = −n"),
            ", so ",
            m(r"D(G(z)) = \sigma(-n) \to 0", "D(G(z)) = σ(−n) → 0"),
            " for every ",
            Z,
            ", and ",
            m(r"D_n(x) = \sigma(e^n (x - \theta_0) - n) \to 1", "D_n(x) = σ(eⁿ(x − θ₀) − n) → 1"),
            " at every ",
            m(r"x > \theta_0", "x > θ₀"),
            ": for data anywhere to the right of ",
            THETA0,
            ", the discriminators tend to a perfect one. But ",
            m(r"\nabla_\theta h_n(G_\theta(z)) = e^n", "∇θ h_n(G_θ(z)) = eⁿ"),
            ", which no single ",
            M,
            " bounds, and ",
            m(r"L_G(\theta) = \log(1 - \sigma(h_n(\theta)))", "L_G(θ) = log(1 − σ(h_n(θ)))"),
            " has ",
            m(
                r"\partial L_G / \partial \theta = -\sigma(-n)\, e^n = -\sigma(n) = -1 + \sigma(-n) \to -1",
                "∂L_G/∂θ = −σ(−n)·eⁿ = −σ(n) = −1 + σ(−n) → −1",
            ),
            " at ",
            m(r"\theta = \theta_0", "θ = θ₀"),
            ": the generator's gradient tends to ",
            -1,
            ", not to ",
            0,
            ", while ",
            m(r"D(G(z)) \to 0", "D(G(z)) → 0"),
            ". The values below do not depend on ",
            THETA0,
            "; the gradient is computed in log space, ",
            m(
                r"\log \lvert \partial L_G / \partial \theta \rvert = n + \log \sigma(-n) = \log \sigma(n)",
                "log|∂L_G/∂θ| = n + log σ(−n) = log σ(n)",
            ),
            ", and checked against finite differences of ",
            m(r"L_G(\theta)", "L_G(θ)"),
            " in ",
            COUNTEREXAMPLE_DIGITS,
            "-digit arithmetic. The last column, ",
            m(
                r"\partial D_n / \partial x\,(\theta_0) = \sigma(-n)\, \sigma(n)\, e^n = \sigma(n)^2",
                "∂D_n/∂x (θ₀) = σ(−n)·σ(n)·eⁿ = σ(n)²",
            ),
            ", is used in the next step:",
        ),
        table=table,
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def arjovsky_bottou_step() -> Step:
    return Step(
        ("Relation to Arjovsky and Bottou (2017), Theorem 2.4",),
        (
            "Arjovsky and Bottou (2017, ‘Towards principled methods for training generative adversarial networks’, "
            "Theorem 2.4) prove the vanishing under a different hypothesis. When the data and generated distributions "
            "have disjoint compact supports, or lie on low-dimensional manifolds that do not perfectly align (their "
            "Theorems 2.1 and 2.2), there is an optimal discriminator ",
            m("D^*", "D*"),
            " of accuracy 1 with ",
            m(r"\nabla_x D^* = 0", "∇ₓD* = 0"),
            " on both supports (at almost every point of them in Theorem 2.2; at every point, with ",
            m("D^*", "D*"),
            " smooth, in Theorem 2.1); and if ",
            m(r"\lVert D - D^* \rVert < \varepsilon", "‖D − D*‖ < ε"),
            " and ",
            m(
                r"\mathbb{E}_z \lVert J_\theta G_\theta(z) \rVert^2 \le M^2",
                "E_z‖J_θ G_θ(z)‖² ≤ M²",
            ),
            ", then ",
            m(
                r"\lVert \nabla_\theta \mathbb{E}_z[\log(1 - D(G_\theta(z)))] \rVert"
                r" < M \varepsilon / (1 - \varepsilon)",
                "‖∇θ E_z[log(1 − D(G_θ(z)))]‖ < M·ε/(1 − ε)",
            ),
            ". Their norm counts the gradient as well as the values: ",
            m(r"\lVert D - D^* \rVert \ge \sup_x \lvert D - D^* \rvert", "‖D − D*‖ ≥ supₓ|D − D*|"),
            " and ",
            m(
                r"\lVert D - D^* \rVert \ge \sup_x \lVert \nabla_x D - \nabla_x D^* \rVert",
                "‖D − D*‖ ≥ supₓ‖∇ₓD − ∇ₓD*‖",
            ),
            ", so it also controls ",
            m(r"\nabla_x D", "∇ₓD"),
            ", and that excludes the counterexample. There the generated distribution is the point ",
            THETA0,
            " (take the data on any compact set that does not contain it: Theorem 2.1's case); ",
            m(r"J_\theta G = 1", "J_θ G = 1"),
            ", so the Jacobian bound holds with ",
            m("M = 1", "M = 1"),
            "; but ",
            m(r"\nabla_x D^*(\theta_0) = 0", "∇ₓD*(θ₀) = 0"),
            " while ",
            m(r"\partial D_n / \partial x\,(\theta_0) = \sigma(n)^2 \ge \sigma(1)^2", "∂D_n/∂x (θ₀) = σ(n)² ≥ σ(1)²"),
            ", which is ",
            cell(SIGMA_ONE_SQUARED),
            ", so ",
            m(r"\lVert D_n - D^* \rVert \ge \sigma(1)^2", "‖D_n − D*‖ ≥ σ(1)²"),
            " for every ",
            N,
            ": no ",
            m(r"D_n", "D_n"),
            " comes within ",
            m(r"\varepsilon < \sigma(1)^2", "ε < σ(1)²"),
            " of ",
            m("D^*", "D*"),
            ", although ",
            m(r"D_n \to 0", "D_n → 0"),
            " on the generated samples. Closeness in value alone is not enough: in their theorem the gradient term "
            "of the norm does the work that the uniform bound ",
            M,
            " does here.",
        ),
    )


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def sweep_bound_step(sweep: SharpnessSweep) -> Step:
    """Why the uniform model's saturating gradient vanishes although ∂h/∂θ = a has no bound uniform in a."""
    a, gap = sweep.sharpness, sweep.gap
    table = Table(
        headers=(
            (A,),
            (GRAD_NORM_SAT,),
            (m(r"a\, \sigma(-ac)", "a·σ(−ac)"),),
            (m(r"a\, e^{-ac}", "a·e^(−ac)"),),
            (m(r"2 e^{ac} \lVert \nabla_\theta L_{\mathrm{sat}} \rVert", "2e^(ac)·‖∇θ L_sat‖"),),
        ),
        rows=tuple(
            (
                float(a[i]),
                cell(-sweep.uniform_exact[i, 0]),
                cell(sweep.bound_a_max_d[i]),
                cell(sweep.bound_a_exp[i]),
                cell(sweep.ratio_to_half_exp[i]),
            )
            for i in range(a.size)
        ),
    )
    unit_gap = gap == 1.0
    return Step(
        ("Sweep: why the saturating gradient vanishes anyway",),
        (
            "Here ",
            m(r"\partial h / \partial \theta = a", "∂h/∂θ = a"),
            " grows without bound with the sharpness ",
            A,
            ", so no single ",
            M,
            " bounds ",
            m(r"\lVert \nabla_\theta h \rVert", "‖∇θ h‖"),
            " over the sweep: the hypothesis of the argument above fails, and the argument does not cover the sweep. "
            "The saturating gradient vanishes anyway, because ",
            D,
            " on the generated samples falls exponentially in ",
            A,
            " while ",
            m(r"\partial h / \partial \theta", "∂h/∂θ"),
            " grows only linearly. Every sample lies at least ",
            m(r"c = b - \theta - 1", "c = b − θ − 1"),
            ", here ",
            float(gap),
            ", below ",
            B,
            ", so ",
            m(r"\sigma(h) \le \sigma(-ac)", "σ(h) ≤ σ(−ac)"),
            ", and since ",
            m(r"\sigma(x) < e^x", "σ(x) < eˣ"),
            ", ",
            m(
                r"\lVert \nabla_\theta L_{\mathrm{sat}} \rVert = a\, \mathbb{E}[\sigma(h)] \le a\, \sigma(-ac)"
                r" < a\, e^{-ac} \to 0",
                "‖∇θ L_sat‖ = a·E[σ(h)] ≤ a·σ(−ac) < a·e^(−ac) → 0",
            ),
            " as ",
            m(r"a \to \infty", "a → ∞"),
            ((", that is, ", m(r"a\, e^{-a} \to 0", "a·e^(−a) → 0")) if unit_gap else ()),
            ". The closed form is sharper: ",
            m(
                r"\lVert \nabla_\theta L_{\mathrm{sat}} \rVert = \tfrac12 [\operatorname{softplus}(-ac)"
                r" - \operatorname{softplus}(-a(c + 2))] < \tfrac12 \operatorname{softplus}(-ac) < e^{-ac}/2",
                "‖∇θ L_sat‖ = ½[softplus(−ac) − softplus(−a(c + 2))] < ½·softplus(−ac) < e^(−ac)/2",
            ),
            ". The ratio ",
            m(
                r"2 e^{ac} \lVert \nabla_\theta L_{\mathrm{sat}} \rVert = \log(1 + u)/u - e^{-2a} \log(1 + v)/v",
                "2e^(ac)·‖∇θ L_sat‖ = log(1 + u)/u − e^(−2a)·log(1 + v)/v",
            ),
            ", with ",
            m(r"u = e^{-ac}", "u = e^(−ac)"),
            " and ",
            m(r"v = e^{-a(c + 2)}", "v = e^(−a(c + 2))"),
            ", is below ",
            1,
            " for every ",
            m("a > 0", "a > 0"),
            " (",
            m(r"\log(1 + u) < u", "log(1 + u) < u"),
            " for ",
            m("u > 0", "u > 0"),
            ", and the subtracted term is positive) and tends to ",
            1,
            " as ",
            m(r"a \to \infty", "a → ∞"),
            " (",
            m(r"u, v \to 0", "u, v → 0"),
            "). So ",
            (("with ", m("c = 1", "c = 1"), " ") if unit_gap else ()),
            "the saturating gradient is below ",
            m(r"e^{-a}/2", "e^(−a)/2") if unit_gap else m(r"e^{-ac}/2", "e^(−ac)/2"),
            " for every ",
            m("a > 0", "a > 0"),
            " and asymptotic to it as ",
            m(r"a \to \infty", "a → ∞"),
            ", not equal to it: the ratio is ",
            cell(sweep.ratio_to_half_exp[0]),
            " at ",
            A,
            " = ",
            float(a[0]),
            " and tends to ",
            1,
            " down the table:",
        ),
        table=table,
    )


def sweep_steps(sweep: SharpnessSweep) -> list[Step]:
    """The sweep of the 1-D model: the separable (uniform) case, why its gradient vanishes, the Gaussian contrast."""
    return [_sweep_model_step(sweep), sweep_bound_step(sweep), _gaussian_contrast_step(sweep)]


# Long by its prose: one step's words and mathematics in reading order, with little logic.
def _sweep_model_step(sweep: SharpnessSweep) -> Step:
    """The model, G_θ(z) = θ + z against h(x) = a(x − b), with uniform noise: both gradient norms over a."""
    a, theta, b = sweep.sharpness, sweep.theta, sweep.boundary
    uniform = Table(
        headers=((A,), (m(r"\max D(G(z))", "max D(G(z))"),), (GRAD_NORM_SAT,), (GRAD_NORM_NS,)),
        rows=tuple(
            (
                float(a[i]),
                cell(sweep.max_d_generated[i]),
                cell(-sweep.uniform_exact[i, 0]),
                cell(-sweep.uniform_exact[i, 1]),
            )
            for i in range(a.size)
        ),
    )
    return Step(
        ("Sweep: a discriminator that separates ever better",),
        (
            "Generator ",
            m(r"G_\theta(z) = \theta + z", "G_θ(z) = θ + z"),
            " with the location ",
            THETA,
            " fixed at ",
            float(theta),
            ", discriminator ",
            m(r"h(x) = a(x - b)", "h(x) = a(x − b)"),
            " with the boundary ",
            B,
            " at ",
            float(b),
            " (it calls ",
            m("x > b", "x > b"),
            " real), sharpness ",
            A,
            " from ",
            float(a[0]),
            " to ",
            float(a[-1]),
            ". For a perfect discriminator to exist, the generated samples must be separable from ",
            m("x > b", "x > b"),
            ", so ",
            m(r"z \sim U(-1, 1)", "z ~ U(−1, 1)"),
            ": the samples fill ",
            m(r"[\theta - 1, \theta + 1]", "[θ − 1, θ + 1]"),
            ", at distance ",
            float(b - (theta + 1)),
            " from ",
            B,
            ", and ",
            m(r"\max D(G(z)) = \sigma(a(\theta + 1 - b)) \to 0", "max D(G(z)) = σ(a(θ + 1 − b)) → 0"),
            ". Here ",
            m(r"\partial h / \partial \theta = a", "∂h/∂θ = a"),
            ", so ",
            m(
                r"\lVert \nabla_\theta L_{\mathrm{sat}} \rVert = a\, \mathbb{E}[\sigma(h)]",
                "‖∇θ L_sat‖ = a·E[σ(h)]",
            ),
            " and ",
            m(
                r"\lVert \nabla_\theta L_{\mathrm{ns}} \rVert = a\, \mathbb{E}[\sigma(-h)]",
                "‖∇θ L_ns‖ = a·E[σ(−h)]",
            ),
            ", in closed form since ",
            m(r"\int \sigma = \operatorname{softplus}", "∫σ = softplus"),
            "; both are checked by finite differences of the losses. The saturating gradient tends to ",
            0,
            " (next step), while, as ",
            m(r"\sigma(h) + \sigma(-h) = 1", "σ(h) + σ(−h) = 1"),
            ", ",
            m(
                r"\lVert \nabla_\theta L_{\mathrm{ns}} \rVert = a - \lVert \nabla_\theta L_{\mathrm{sat}} \rVert",
                "‖∇θ L_ns‖ = a − ‖∇θ L_sat‖",
            ),
            ": the non-saturating gradient stays below ",
            A,
            " and its ratio to ",
            A,
            " tends to ",
            1,
            ":",
        ),
        table=uniform,
    )


def _gaussian_contrast_step(sweep: SharpnessSweep) -> Step:
    """The same model with Gaussian noise: no discriminator of this form is perfect, and nothing vanishes."""
    a = sweep.sharpness
    gaussian = Table(
        headers=((A,), (GRAD_NORM_SAT,), (m(r"a\, \Phi(\theta - b)", "a·Φ(θ − b)"),), (GRAD_NORM_NS,)),
        rows=tuple(
            (
                float(a[i]),
                cell(-sweep.gaussian_exact[i, 0]),
                cell(sweep.gaussian_limit_saturating[i]),
                cell(-sweep.gaussian_exact[i, 1]),
            )
            for i in range(a.size)
        ),
    )
    return Step(
        ("Sweep: the contrast with Gaussian noise",),
        (
            "With Gaussian noise, ",
            m(r"z \sim \mathcal{N}(0, 1)", "z ~ N(0, 1)"),
            " as in the assignment's (4), no discriminator of this form is perfect: a fraction ",
            PHI_THETA_B,
            ", here ",
            Approx(float(sweep.gaussian_limit_saturating[0] / a[0]), TABLE_DIGITS),
            ", of the samples lands beyond ",
            B,
            ", where ",
            m(r"D \to 1", "D → 1"),
            ", and ",
            m(
                r"\lVert \nabla_\theta L_{\mathrm{sat}} \rVert = a\, \mathbb{E}[\sigma(h)]",
                "‖∇θ L_sat‖ = a·E[σ(h)]",
            ),
            " tends to ",
            m(r"a\, \Phi(\theta - b)", "a·Φ(θ − b)"),
            ", which grows with ",
            A,
            ". The saturating gradient is smaller than the non-saturating one but does not vanish: the vanishing "
            "needs (nearly) separable supports, the situation of Arjovsky and Bottou. Values by "
            "scipy.integrate.quad of ",
            m(r"a\, \mathbb{E}[\sigma(\pm h)]", "a·E[σ(±h)]"),
            ", split at the boundary ",
            m(r"z = b - \theta", "z = b − θ"),
            ":",
        ),
        table=gaussian,
    )
