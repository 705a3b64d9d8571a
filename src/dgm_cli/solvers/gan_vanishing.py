"""A perfect discriminator starves the generator (Problem 4): the problem, its parameters, its figure and its batch
records.

The generator minimises the saturating loss L_G(θ) = E_z[log(1 − σ(h))], h = h_φ(G_θ(z)).
Since d/dh log(1 − σ(h)) = −σ(h), ∇θ L_G = E_z[−σ(h)·∇θ h], so ‖∇θ L_G‖ ≤ M·E_z[σ(h)] → 0
as D(G(z)) = σ(h) → 0, provided M bounds ‖∇θ h‖ for every z and every discriminator of the sequence
(the counterexample h_n(x) = −n + eⁿ(x − θ₀) shows it must). The non-saturating loss −log σ(h) has
d/dh = −σ(−h) → −1 instead. The argument's steps are in :mod:`gan_vanishing_steps`, SymPy's part in
:mod:`gan_vanishing_symbolic`, the numbers in :mod:`gan_vanishing_numerics` and their checks in
:mod:`gan_vanishing_checks`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import sympy

from dgm_cli.derivation import Check, Derivation, Notice, Prose, Step, Table, m, prose
from dgm_cli.errors import InputError
from dgm_cli.problems import Problem
from dgm_cli.solvers.gan_vanishing_checks import (
    check_against_mpmath,
    check_counterexample,
    check_logit_derivative,
    check_sweep,
    check_symbolic_identities,
)
from dgm_cli.solvers.gan_vanishing_notation import (
    E_Z,
    EXPECTED_SIGMA,
    GAUSSIAN_MODEL,
    GRAD_LG_NORM,
    GRAD_NORM,
    GRAD_TO_ZERO,
    H_N,
    LOG_ONE_MINUS_D,
    MINUS_SIGMA_H,
    MINUS_SIGMA_MINUS_H,
    NONSATURATING_DERIVATIVE,
    SATURATING_DERIVATIVE,
    THETA,
    UNIFORM_MODEL,
    H,
    M,
    Z,
    cell,
)
from dgm_cli.solvers.gan_vanishing_numerics import (
    SWEEP_FD_STEP,
    LogitTable,
    SharpnessSweep,
    counterexample,
    grad_nonsaturating,
    grad_saturating,
    logit_records,
    logit_table,
    nonsaturating_loss,
    saturating_loss,
    sharpness_sweep,
)
from dgm_cli.solvers.gan_vanishing_steps import derivation_steps, sweep_steps
from dgm_cli.solvers.gan_vanishing_symbolic import symbolic_facts

COMMAND = "gan-vanishing"
DEFAULT_LOGITS = (Fraction(-1), Fraction(-5), Fraction(-10), Fraction(-20))  # ever more confident rejections
PROBLEM = Problem(
    command=COMMAND,
    number=4,
    title="Perfect discriminator, perfect generation",
    defaults={"logits": DEFAULT_LOGITS, "sweep": True, "grad_bound": None, "source": "default"},
)

MAX_LOGITS = 1_000_000  # a batch, not a data set: keeps memory and the argv/stdin read bounded
MAX_ABS_LOGIT = 1e300  # so that sums over MAX_LOGITS values of size |h| stay finite in float64
MAX_GRAD_BOUND = 1e300  # M·mean σ(h) ≤ M stays finite
TABLE_ROWS = 20  # rows of the per-logit table shown in text; the result holds all of them

# Where the logits came from, recorded with the inputs: given as values, the problem's default batch, or read
# from standard input.
LogitSource = Literal["given", "default", "stdin"]

# --------------------------------------------------------------------------- inputs


def logit_array(values: Sequence[Fraction | float]) -> np.ndarray:
    """float64 logits from exact (or float) values: at least one, at most MAX_LOGITS, each within ±1e300
    (InputError naming logits)."""
    if len(values) == 0:
        raise InputError("no logits given", "logits")
    if len(values) > MAX_LOGITS:
        raise InputError(f"more than {MAX_LOGITS:,} logits; this command takes one batch at a time", "logits")
    try:
        h = np.array([float(v) for v in values], dtype=np.float64)
    except OverflowError:
        raise InputError("a logit beyond float64's range (±1.8e308) is outside ±1e300", "logits") from None
    if not np.all(np.abs(h) <= MAX_ABS_LOGIT):  # also catches nan and ±inf from float inputs
        worst = h[np.argmax(np.where(np.isnan(h), np.inf, np.abs(h)))]
        if not np.isfinite(worst):
            raise InputError(f"{worst} is not a finite number", "logits")
        raise InputError(f"the logit {worst:.3g} is outside ±1e300 (batch means must stay finite in float64)", "logits")
    return h


def gradient_bound(value: Fraction | float | None) -> float | None:
    """The bound M on ‖∇θ h‖ as a float, or None (InputError naming grad_bound unless 0 < M ≤ 1e300)."""
    if value is None:
        return None
    if (isinstance(value, float) and not math.isfinite(value)) or not 0 < value <= MAX_GRAD_BOUND:
        raise InputError(f"the bound M on ‖∇θ h‖ must be positive and at most {MAX_GRAD_BOUND:g}", "grad_bound")
    return float(value)


def _exact(value: Fraction | float) -> sympy.Expr:
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.Float(value, 15)


# --------------------------------------------------------------------------- the derivation

PREMISE_WARNING = Notice(
    (
        "The premise ",
        GRAD_TO_ZERO,
        " is the conclusion; read here as: the discriminator is perfect on generated samples, ",
        m(r"D(G(z)) \to 0", "D(G(z)) → 0"),
        ".",
    )
)

QUESTION: Prose = (
    "Recall that when training GAN, the gradient signals for ",
    THETA,
    " come from the term ",
    m(
        r"\mathbb{E}_{\mathbf{x} \sim p_\theta(\mathbf{x})}[\log(1 - D_\phi(\mathbf{x}))], \quad (3)",
        "E_(x ~ p_θ(x))[log(1 − D_φ(x))],   (3)",
    ),
    " which can also be written as ",
    m(
        r"L_G(\theta; \phi) = \mathbb{E}_{\mathbf{z} \sim \mathcal{N}(\mathbf{0}, \mathbf{I})}"
        r"[\log(1 - \sigma(h_\phi(G_\theta(\mathbf{z}))))], \quad (4)",
        "L_G(θ; φ) = E_(z ~ N(0, I))[log(1 − σ(h_φ(G_θ(z))))],   (4)",
    ),
    " where ",
    m(r"\sigma(\cdot)", "σ(·)"),
    " denotes the sigmoid function, ",
    m(r"h_\phi(\cdot)", "h_φ(·)"),
    " denotes the logits, and ",
    m(r"G_\theta", "G_θ"),
    " is the generator. Now assume that our discriminator is perfect, i.e. ",
    m(r"\nabla_\theta L_G(\theta; \phi) \to 0", "∇θ L_G(θ; φ) → 0"),
    ", show that the gradient of ",
    THETA,
    " would vanish to zero in this case, i.e. ",
    m(r"\nabla_\theta L_G(\theta; \phi) \to 0", "∇θ L_G(θ; φ) → 0"),
    ".",
)


def _logit_rows(table: LogitTable, indices: Iterable[int]) -> list[tuple]:
    values = (table.sigmoid, table.log_one_minus_d, table.grad_saturating, table.grad_nonsaturating)
    return [(float(table.logits[i]),) + tuple(cell(c[i]) for c in values) for i in indices]


def _logit_step(table: LogitTable, means: list[float]) -> Step:
    """The per-logit table: h, D, log(1 − D) and both derivatives for the first TABLE_ROWS logits, then the means."""
    n = table.logits.size
    rows = _logit_rows(table, range(min(n, TABLE_ROWS)))
    rows.append(("mean",) + tuple(cell(v) for v in means))
    d = m(r"D = \sigma(h)", "D = σ(h)")
    text = prose(
        ("For each of the ", n, " logits: ") if n != 1 else "For the one logit: ",
        H,
        ", ",
        d,
        ", ",
        LOG_ONE_MINUS_D,
        ", ",
        SATURATING_DERIVATIVE,
        " (saturating) and ",
        NONSATURATING_DERIVATIVE,
        " (non-saturating). The last row is the batch mean, the estimate of ",
        E_Z,
        ":",
    )
    headers = ((H,), (d,), (LOG_ONE_MINUS_D,), ("sat: ", MINUS_SIGMA_H), ("non-sat: ", MINUS_SIGMA_MINUS_H))
    note = ("… ", n - TABLE_ROWS, " more rows; the result holds all ", n, ".") if n > TABLE_ROWS else ()
    return Step(("Per-logit values",), text, table=Table(headers=headers, rows=tuple(rows), note=note))


def _bound_step(grad_bound: Fraction | float, bound: float, mean_sigmoid: float) -> Step:
    """‖∇θ L_G‖ ≤ M·mean σ(h) for this batch, with the M given."""
    return Step(
        ("Bound on ", GRAD_LG_NORM, " for this batch"),
        (
            "With ",
            m(r"\lVert \nabla_\theta h(G_\theta(z)) \rVert \le M", "‖∇θ h(G_θ(z))‖ ≤ M"),
            " for every ",
            Z,
            ": ",
            m(r"\lVert \nabla_\theta L_G \rVert \le M \cdot \operatorname{mean} \sigma(h)", "‖∇θ L_G‖ ≤ M·mean σ(h)"),
            ", the product of the constant ",
            M,
            ", ",
            bound,
            ", and the batch mean ",
            mean_sigmoid,
            ".",
        ),
        sympy.Le(GRAD_NORM, sympy.Mul(_exact(grad_bound), EXPECTED_SIGMA, evaluate=False), evaluate=False),
        bound * mean_sigmoid,
    )


def _sweep_checks(sweep: SharpnessSweep) -> list[Check]:
    """Both models' exact gradients against finite differences of their losses."""
    uniform_step = (SWEEP_FD_STEP, " divided by ", m(r"\max(1, a)", "max(1, a)"))
    return [
        check_sweep(UNIFORM_MODEL, sweep.uniform_exact, sweep.uniform_fd, uniform_step),
        check_sweep(GAUSSIAN_MODEL, sweep.gaussian_exact, sweep.gaussian_fd, (SWEEP_FD_STEP,)),
    ]


def _sweep_result(sweep: SharpnessSweep) -> dict[str, Any]:
    return {
        "sweep_theta": sweep.theta,
        "sweep_boundary": sweep.boundary,
        "sweep_sharpness": sweep.sharpness.tolist(),
        "sweep_max_d_generated": sweep.max_d_generated.tolist(),
        "sweep_grad_norm_saturating": (-sweep.uniform_exact[:, 0]).tolist(),
        "sweep_grad_norm_nonsaturating": (-sweep.uniform_exact[:, 1]).tolist(),
        "sweep_gaussian_grad_norm_saturating": (-sweep.gaussian_exact[:, 0]).tolist(),
        "sweep_gaussian_grad_norm_nonsaturating": (-sweep.gaussian_exact[:, 1]).tolist(),
        "sweep_gap": sweep.gap,
        "sweep_bound_a_max_d": sweep.bound_a_max_d.tolist(),
        "sweep_bound_a_exp": sweep.bound_a_exp.tolist(),
        "sweep_ratio_to_half_exp": sweep.ratio_to_half_exp.tolist(),
    }


def _answer(means: list[float]) -> Prose:
    return (
        "The gradient vanishes when one constant ",
        M,
        " bounds ",
        m(r"\lVert \nabla_\theta h_n(G_\theta(z)) \rVert", "‖∇θ h_n(G_θ(z))‖"),
        " for every discriminator ",
        H_N,
        " and every ",
        Z,
        ": ",
        m(r"\lVert \nabla_\theta L_G \rVert \le M\, \mathbb{E}_z[\sigma(h_n)] \to 0", "‖∇θ L_G‖ ≤ M·E_z[σ(h_n)] → 0"),
        " as ",
        m(r"D_n(G(z)) = \sigma(h_n) \to 0", "D_n(G(z)) = σ(h_n) → 0"),
        " (without such an ",
        M,
        " the gradient can tend to ",
        -1,
        " instead), and for this batch the saturating derivative averages ",
        means[2],
        " against ",
        means[3],
        " for the non-saturating loss.",
    )


# Long by its result: one line per key of the JSON output; the work is in the functions it calls.
def solve(
    logits: Sequence[Fraction | float] = DEFAULT_LOGITS,
    grad_bound: Fraction | float | None = None,
    sweep: bool = False,
    source: LogitSource = "given",
) -> Derivation:
    """The derivation that a perfect discriminator starves the generator, with the batch's numbers and checks.

    ``logits``: the discriminator's logits h on generated samples; ``grad_bound``: M with ‖∇θ h‖ ≤ M, for a bound on
    ‖∇θ L_G‖; ``sweep``: also sweep a 1-D model over the discriminator's sharpness; ``source``: where the logits
    came from (recorded with the inputs).
    """
    h = logit_array(logits)
    bound = gradient_bound(grad_bound)
    facts = symbolic_facts()
    table = logit_table(h)
    ce = counterexample()
    means = [
        float(np.mean(table.sigmoid)),
        float(np.mean(table.log_one_minus_d)),
        float(np.mean(table.grad_saturating)),
        float(np.mean(table.grad_nonsaturating)),
    ]
    steps = [*derivation_steps(facts, ce), _logit_step(table, means)]
    result: dict[str, Any] = {
        "logits": table.logits.tolist(),
        "sigmoid": table.sigmoid.tolist(),
        "log_d": table.log_d.tolist(),
        "log_one_minus_d": table.log_one_minus_d.tolist(),
        "grad_saturating": table.grad_saturating.tolist(),
        "grad_nonsaturating": table.grad_nonsaturating.tolist(),
        "mean_sigmoid": means[0],
        "mean_log_one_minus_d": means[1],
        "mean_grad_saturating": means[2],
        "mean_grad_nonsaturating": means[3],
        # the counterexample without a uniform bound M: G_θ(z) = θ, h_n(x) = −n + eⁿ(x − θ₀), at θ = θ₀
        "counterexample_n": list(ce.n),
        "counterexample_d": ce.d.tolist(),  # D(G(z)) = σ(−n)
        "counterexample_grad": ce.grad.tolist(),  # ∂L_G/∂θ = −σ(−n)·eⁿ = −σ(n)
        "counterexample_grad_x_d": ce.grad_x_d.tolist(),  # ∂D_n/∂x at θ₀ = σ(n)²
    }
    if grad_bound is not None and bound is not None:
        steps.append(_bound_step(grad_bound, bound, means[0]))
        result["grad_bound"] = bound
        result["grad_norm_bound"] = bound * means[0]
    checks = [
        check_symbolic_identities(facts),
        check_logit_derivative(
            (SATURATING_DERIVATIVE, " against finite differences"), saturating_loss, h, table.grad_saturating
        ),
        check_logit_derivative(
            (NONSATURATING_DERIVATIVE, " against finite differences"), nonsaturating_loss, h, table.grad_nonsaturating
        ),
        check_against_mpmath(table),
        check_counterexample(ce),
    ]
    if sweep:
        swept = sharpness_sweep()
        steps.extend(sweep_steps(swept))
        checks.extend(_sweep_checks(swept))
        result.update(_sweep_result(swept))
    result["checks_passed"] = all(c.passed for c in checks)
    return Derivation(
        command=COMMAND,
        title=(
            "A perfect discriminator starves the generator: ",
            m(r"\nabla_\theta \mathbb{E}_z[\log(1 - D(G(z)))] \to 0", "∇θ E_z[log(1 − D(G(z)))] → 0"),
        ),
        inputs={"logits": [str(v) for v in logits], "source": source, "grad_bound": bound, "sweep": sweep},
        steps=steps,
        result=result,
        checks=checks,
        warnings=[PREMISE_WARNING],
        question=QUESTION,
        answer=_answer(means),
    )


# --------------------------------------------------------------------------- batch mode


def records(points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each logit (rows of a one-column array): D, log(1 − D) and both gradients."""
    return logit_records(points)


# --------------------------------------------------------------------------- the figure

FIGURE_LOGIT_RANGE = (-10.0, 10.0)  # widened to the batch, up to ±FIGURE_LOGIT_LIMIT
FIGURE_LOGIT_LIMIT = 50.0  # beyond it both curves are flat to plotting precision


@dataclass(frozen=True)
class FigureData:
    """What the plot draws: both derivatives against h, the batch's points on them, the sweep's norms."""

    curve_logits: np.ndarray
    curve_saturating: np.ndarray  # −σ(h)
    curve_nonsaturating: np.ndarray  # −σ(−h)
    batch_logits: np.ndarray  # the batch's logits inside the curves' range
    batch_saturating: np.ndarray
    batch_nonsaturating: np.ndarray
    batch_hidden: int  # logits outside the range, not drawn
    sweep: dict[str, np.ndarray]  # the result's sweep_* lists, as arrays; empty without the sweep


def figure_data(result: dict, points: int = 801) -> FigureData:
    """The figure's arrays, from a solved derivation's result (its per-logit lists and, if run, the sweep)."""
    h = np.asarray(result["logits"], dtype=np.float64)
    low = max(min(FIGURE_LOGIT_RANGE[0], float(h.min())), -FIGURE_LOGIT_LIMIT)
    high = min(max(FIGURE_LOGIT_RANGE[1], float(h.max())), FIGURE_LOGIT_LIMIT)
    grid = np.linspace(low, high, points)
    inside = (h >= low) & (h <= high)
    return FigureData(
        curve_logits=grid,
        curve_saturating=grad_saturating(grid),
        curve_nonsaturating=grad_nonsaturating(grid),
        batch_logits=h[inside],
        batch_saturating=np.asarray(result["grad_saturating"])[inside],
        batch_nonsaturating=np.asarray(result["grad_nonsaturating"])[inside],
        batch_hidden=int(np.count_nonzero(~inside)),
        sweep={k: np.asarray(v) for k, v in result.items() if k.startswith("sweep_") and isinstance(v, list)},
    )


def figure(derivation: Derivation) -> FigureData:
    """The figure of a solved derivation: both derivatives against h, its batch on them, and its sweep if run."""
    return figure_data(derivation.result)

