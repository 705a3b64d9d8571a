"""A perfect discriminator starves the generator (Problem 4).

The generator minimises the saturating loss L_G(θ) = E_z[log(1 − σ(h))], h = h_φ(G_θ(z)).
Since d/dh log(1 − σ(h)) = −σ(h), ∇θ L_G = E_z[−σ(h)·∇θ h], so ‖∇θ L_G‖ ≤ M·E_z[σ(h)] → 0
as D(G(z)) = σ(h) → 0, provided M bounds ‖∇θ h‖ for every z and every discriminator of the sequence
(the counterexample h_n(x) = −n + eⁿ(x − θ₀) shows it must). The non-saturating loss −log σ(h) has
d/dh = −σ(−h) → −1 instead.
Every number comes from log-space forms: log(1 − σ(h)) = −softplus(h), −log σ(h) = softplus(−h).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.cache import disk_cached
from dgm_cli.derivation import Approx, Check, Derivation, Math, Notice, Prose, Step, Table, m, prose
from dgm_cli.errors import InputError
from dgm_cli.parsing import parse_number, parse_vector
from dgm_cli.solvers.numerics import log_sigmoid, sigmoid, softplus
from dgm_cli.solvers.symbolic import Label, equation

COMMAND = "gan-vanishing"

DEFAULT_LOGITS = (Fraction(-1), Fraction(-5), Fraction(-10), Fraction(-20))
MAX_LOGITS = 1_000_000  # a batch, not a data set: keeps memory and the argv/stdin read bounded
MAX_ABS_LOGIT = 1e300  # so that sums over MAX_LOGITS values of size |h| stay finite in float64
MAX_GRAD_BOUND = 1e300  # M·mean σ(h) ≤ M stays finite
TABLE_ROWS = 20  # rows of the per-logit table shown in text; the result holds all of them

# --------------------------------------------------------------------------- input


def _check_logit(value: Fraction, where: str) -> Fraction:
    try:
        as_float = float(value)  # compared as a float: a Fraction-to-float comparison costs 20 µs
    except OverflowError:
        as_float = math.inf if value > 0 else -math.inf
    if abs(as_float) > MAX_ABS_LOGIT:
        shown = f"{as_float:.3g}" if math.isfinite(as_float) else ("-" if value < 0 else "") + "1.8e308 or beyond"
        raise InputError(f"the logit {shown} is outside ±1e300 (batch means must stay finite in float64)", where)
    return value


def _check_count(count: int, where: str) -> None:
    if count > MAX_LOGITS:
        raise InputError(f"more than {MAX_LOGITS:,} logits; this command takes one batch at a time", where)


def parse_logits(values: Sequence[str], option: str = "--logits") -> list[Fraction]:
    """Logits from repeated ``--logits`` values, each comma- or space-separated, read exactly."""
    logits = parse_vector(list(values), option)
    _check_count(len(logits), option)
    return logits  # the range is checked with the rest in gan_vanishing()


def parse_logit_lines(lines: Iterable[str], source: str = "stdin") -> list[Fraction]:
    """Logits from lines of text: one or more per line (comma- or space-separated), ``#`` starts a comment.

    A bad value's error names its line: "stdin line 3: 'abc' is not a number".
    """
    logits: list[Fraction] = []
    try:
        for number, line in enumerate(lines, start=1):
            where = f"{source} line {number}"
            for item in re.split(r"[,\s]+", line.split("#", 1)[0].strip()):
                if item:
                    logits.append(_check_logit(parse_number(item, where), where))
            _check_count(len(logits), source)
    except UnicodeDecodeError:
        raise InputError("is not text (expected numbers, one or more per line)", source) from None
    if not logits:
        raise InputError("no logits given (pass --logits H,H,... or numbers on stdin, one or more per line)", source)
    return logits


# --------------------------------------------------------------------------- the mathematics, symbolically


class SymbolicSigmoid(sympy.Function):
    """σ(u) = 1/(1 + e^(−u)) for display and the chain rule: σ' = σ(1 − σ), rewritten to exp on request."""

    nargs = 1

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg, **hints):
        return 1 / (1 + sympy.exp(-arg))

    def _sympystr(self, printer):
        return f"sigmoid({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _pretty(self, printer):
        return printer._helper_print_function(self.func, self.args, func_name="σ")


@dataclass(frozen=True)
class SymbolicFacts:
    """What SymPy derives about the two losses; each residual must be 0."""

    h: sympy.Symbol
    saturating_derivative_raw: sympy.Expr  # SymPy's d/dh log(1 − 1/(1 + e^−h)), as a rational function of e^h
    saturating_residual: sympy.Expr  # that minus (−σ(h))
    nonsaturating_derivative_raw: sympy.Expr  # d/dh −log(1/(1 + e^−h)), likewise
    nonsaturating_residual: sympy.Expr  # that minus (−σ(−h))
    saturating_loss_residual: sympy.Expr  # exp(log(1 − σ(h)) + log(1 + e^h)) − 1
    nonsaturating_loss_residual: sympy.Expr  # exp(−log σ(h) − log(1 + e^−h)) − 1
    chain_rule_derivative: sympy.Derivative  # ∂/∂θ log(1 − σ(h(G(θ, z)))), unevaluated
    chain_rule: sympy.Expr  # the same, evaluated by SymPy's chain rule
    limit_saturating: sympy.Expr  # lim_{h→−∞} −σ(h)
    limit_nonsaturating: sympy.Expr  # lim_{h→−∞} −σ(−h)

    @property
    def residuals(self) -> dict[Math, sympy.Expr]:
        """Each identity's difference, keyed by the difference written out (inline mathematics)."""
        return {
            m(r"\frac{d}{dh} \log(1 - \sigma(h)) + \sigma(h)", "d/dh log(1 − σ(h)) + σ(h)"): self.saturating_residual,
            m(r"\frac{d}{dh} (-\log \sigma(h)) + \sigma(-h)", "d/dh (−log σ(h)) + σ(−h)"): self.nonsaturating_residual,
            m(
                r"\exp(\log(1 - \sigma(h)) + \log(1 + e^h)) - 1", "exp(log(1 − σ(h)) + log(1 + e^h)) − 1"
            ): self.saturating_loss_residual,
            m(
                r"\exp(-\log \sigma(h) - \log(1 + e^{-h})) - 1", "exp(−log σ(h) − log(1 + e^(−h))) − 1"
            ): self.nonsaturating_loss_residual,
        }


@disk_cached
def symbolic_facts() -> SymbolicFacts:
    """Differentiate both losses with SymPy from σ(h) = 1/(1 + e^−h), and take the limits h → −∞.

    Everything here is a rational function of t = e^h > 0, so ``cancel`` in t decides each identity
    exactly (and ten times faster than ``simplify``). For the log forms, both sides are real, so
    exp(difference) = 1 means difference = 0.
    """
    h = sympy.Symbol("h", real=True)
    t = sympy.Symbol("t", positive=True)  # e^h

    def in_t(expr: sympy.Expr) -> sympy.Expr:
        return sympy.cancel(expr.subs(sympy.exp(h), t))

    sigma = 1 / (1 + sympy.exp(-h))
    sigma_of_minus_h = sigma.subs(h, -h)
    saturating = sympy.diff(sympy.log(1 - sigma), h)
    nonsaturating = sympy.diff(-sympy.log(sigma), h)
    theta, z = sympy.symbols("θ z", real=True)
    generated = sympy.Function("G")(theta, z)
    chain_rule_derivative = sympy.Derivative(sympy.log(1 - SymbolicSigmoid(sympy.Function("h")(generated))), theta)
    return SymbolicFacts(
        h=h,
        saturating_derivative_raw=in_t(saturating).subs(t, sympy.exp(h)),
        saturating_residual=in_t(saturating + sigma),
        nonsaturating_derivative_raw=in_t(nonsaturating).subs(t, sympy.exp(h)),
        nonsaturating_residual=in_t(nonsaturating + sigma_of_minus_h),
        saturating_loss_residual=in_t(sympy.exp(sympy.log(1 - sigma) + sympy.log(1 + sympy.exp(h)))) - 1,
        nonsaturating_loss_residual=in_t(sympy.exp(-sympy.log(sigma) - sympy.log(1 + sympy.exp(-h)))) - 1,
        chain_rule_derivative=chain_rule_derivative,
        chain_rule=chain_rule_derivative.doit(),
        limit_saturating=sympy.limit(-sigma, h, -sympy.oo),
        limit_nonsaturating=sympy.limit(-sigma_of_minus_h, h, -sympy.oo),
    )


# --------------------------------------------------------------------------- the numbers, per logit


def saturating_loss(h):
    """log(1 − D) = log(1 − σ(h)) = −softplus(h): −800 at h = 800, not −inf."""
    return -softplus(h)


def nonsaturating_loss(h):
    """−log D = −log σ(h) = softplus(−h)."""
    return softplus(-np.asarray(h, dtype=np.float64))


def grad_saturating(h):
    """d/dh log(1 − σ(h)) = −σ(h)."""
    return -sigmoid(h)


def grad_nonsaturating(h):
    """d/dh (−log σ(h)) = −(1 − σ(h)), computed as −σ(−h): no cancellation as h → −∞."""
    return -sigmoid(-np.asarray(h, dtype=np.float64))


def _no_negative_zero(values: np.ndarray) -> np.ndarray:
    return values + 0.0  # −0.0 + 0.0 = +0.0: "−0" in a table reads like a sign error


@dataclass(frozen=True)
class LogitTable:
    """Per-logit values of the discriminator output, both losses and their derivatives in h."""

    logits: np.ndarray
    sigmoid: np.ndarray  # D = σ(h)
    log_d: np.ndarray  # log D = log σ(h)
    log_one_minus_d: np.ndarray  # log(1 − D), the saturating loss
    grad_saturating: np.ndarray  # −σ(h)
    grad_nonsaturating: np.ndarray  # −σ(−h)


def logit_table(logits: np.ndarray) -> LogitTable:
    h = np.asarray(logits, dtype=np.float64)
    return LogitTable(
        logits=h,
        sigmoid=sigmoid(h),
        log_d=_no_negative_zero(log_sigmoid(h)),
        log_one_minus_d=_no_negative_zero(saturating_loss(h)),
        grad_saturating=_no_negative_zero(grad_saturating(h)),
        grad_nonsaturating=_no_negative_zero(grad_nonsaturating(h)),
    )


def logit_records(points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each logit (rows of a one-column array): D, log(1 − D) and both gradients."""
    table = logit_table(points[:, 0])
    return {
        "logit": table.logits,
        "sigmoid": table.sigmoid,
        "log_one_minus_d": table.log_one_minus_d,
        "grad_saturating": table.grad_saturating,
        "grad_nonsaturating": table.grad_nonsaturating,
    }


# --------------------------------------------------------------------------- the sharpness sweep

SWEEP_THETA = 0.0  # the generator's location
SWEEP_BOUNDARY = 2.0  # b: the discriminator calls x > b real
SWEEP_SHARPNESS = tuple(2.0**k for k in range(-1, 10))  # a = 0.5 … 512; e^−512 ≈ 1e−223 still has all its digits
QUAD_RTOL = 1e-13  # scipy.integrate.quad's relative target; FD of the losses divides its error by the step
GAUSSIAN_RANGE = 40.0  # N(0, 1) has no mass beyond ±40 in float64 (e^−800)


def _quad(function, edges: Sequence[float]) -> float:
    """∫ over consecutive intervals of ``edges`` (split at kinks so that quad sees smooth pieces)."""
    from scipy import integrate

    total = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        value, _ = integrate.quad(function, low, high, epsabs=0.0, epsrel=QUAD_RTOL, limit=200)
        total += value
    return total


def _normal_density(z: float) -> float:
    return float(np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi))


def uniform_generator_gradients(a: float, theta: float = SWEEP_THETA, b: float = SWEEP_BOUNDARY) -> tuple[float, float]:
    """(dL_sat/dθ, dL_ns/dθ) for G_θ(z) = θ + z, z ~ U(−1, 1), h(x) = a(x − b), in closed form.

    dL_sat/dθ = −a·E[σ(h)] = −½[softplus(a(θ+1−b)) − softplus(a(θ−1−b))]  (∫σ = softplus);
    dL_ns/dθ = −a·E[σ(−h)] = −½[softplus(a(b+1−θ)) − softplus(a(b−1−θ))].
    """
    saturating = -0.5 * (softplus(a * (theta + 1 - b)) - softplus(a * (theta - 1 - b)))
    nonsaturating = -0.5 * (softplus(a * (b + 1 - theta)) - softplus(a * (b - 1 - theta)))
    return float(saturating), float(nonsaturating)


def uniform_generator_losses(a: float, theta: float = SWEEP_THETA, b: float = SWEEP_BOUNDARY) -> tuple[float, float]:
    """(L_sat(θ), L_ns(θ)) = (−E[softplus(h)], E[softplus(−h)]) for z ~ U(−1, 1), by quadrature of the loss."""
    saturating = -0.5 * _quad(lambda z: softplus(a * (theta + z - b)), (-1.0, 1.0))
    nonsaturating = 0.5 * _quad(lambda z: softplus(-a * (theta + z - b)), (-1.0, 1.0))
    return saturating, nonsaturating


def gaussian_generator_gradients(a: float, theta: float = SWEEP_THETA, b: float = SWEEP_BOUNDARY) -> tuple[float, float]:
    """(dL_sat/dθ, dL_ns/dθ) = (−a·E[σ(h)], −a·E[σ(−h)]) for G_θ(z) = θ + z, z ~ N(0, 1), by quadrature."""
    edges = (-GAUSSIAN_RANGE, b - theta, GAUSSIAN_RANGE)
    saturating = -a * _quad(lambda z: _normal_density(z) * sigmoid(a * (theta + z - b)), edges)
    nonsaturating = -a * _quad(lambda z: _normal_density(z) * sigmoid(-a * (theta + z - b)), edges)
    return saturating, nonsaturating


def gaussian_generator_losses(a: float, theta: float = SWEEP_THETA, b: float = SWEEP_BOUNDARY) -> tuple[float, float]:
    """(L_sat(θ), L_ns(θ)) for z ~ N(0, 1), by quadrature of the loss."""
    edges = (-GAUSSIAN_RANGE, b - theta, GAUSSIAN_RANGE)
    saturating = -_quad(lambda z: _normal_density(z) * softplus(a * (theta + z - b)), edges)
    nonsaturating = _quad(lambda z: _normal_density(z) * softplus(-a * (theta + z - b)), edges)
    return saturating, nonsaturating


SWEEP_FD_STEP = 1e-4  # in θ; the uniform model's losses bend on the scale 1/a, so its step is 1e-4/max(1, a)


def finite_difference_gradients(losses, theta: float, step: float) -> tuple[float, float]:
    """Central differences in θ of ``losses(θ) = (L_sat, L_ns)``, each loss computed by quadrature."""
    plus, minus = losses(theta + step), losses(theta - step)
    return tuple((p - m) / (2 * step) for p, m in zip(plus, minus))


@dataclass(frozen=True)
class SharpnessSweep:
    """‖∇θ L‖ for both losses and both generators across the discriminator's sharpness a, exact and by FD."""

    sharpness: np.ndarray
    theta: float
    boundary: float
    max_d_generated: np.ndarray  # sup over the uniform generator's support of D(x) = σ(a(θ + 1 − b))
    uniform_exact: np.ndarray  # shape (len(a), 2): dL_sat/dθ, dL_ns/dθ, closed form
    uniform_fd: np.ndarray
    gaussian_exact: np.ndarray  # by quadrature of the gradient
    gaussian_fd: np.ndarray
    gaussian_limit_saturating: np.ndarray  # a·Φ(θ − b): what ‖∇θ L_sat‖ tends to for large a
    # Why the uniform model's saturating gradient vanishes although ∂h/∂θ = a is unbounded, with the gap
    # c = b − θ − 1 > 0 between the samples and the boundary: a·E[σ(h)] ≤ a·σ(−ac) < a·e^(−ac) → 0.
    bound_a_max_d: np.ndarray  # a·max D(G(z)) = a·σ(a(θ + 1 − b))
    bound_a_exp: np.ndarray  # a·e^(−a(b − θ − 1))
    ratio_to_half_exp: np.ndarray  # ‖∇θ L_sat‖ / (e^(−a(b − θ − 1))/2): below 1, tends to 1

    @property
    def gap(self) -> float:
        """c = b − θ − 1: the distance from the generated samples' support [θ − 1, θ + 1] to the boundary b."""
        return self.boundary - self.theta - 1.0


@disk_cached  # the same numbers on every run: the sweep's inputs are the problem's constants
def sharpness_sweep(
    sharpness: Sequence[float] = SWEEP_SHARPNESS, theta: float = SWEEP_THETA, b: float = SWEEP_BOUNDARY
) -> SharpnessSweep:
    """Both models' gradients over the sharpness a: in closed form (uniform) or by quadrature (Gaussian), and by FD."""
    from scipy.special import ndtr

    a_values = np.asarray(sharpness, dtype=np.float64)
    gap = b - theta - 1.0
    uniform_exact = np.array([uniform_generator_gradients(a, theta, b) for a in a_values])
    uniform_fd = np.array(
        [
            finite_difference_gradients(lambda t, a=a: uniform_generator_losses(a, t, b), theta, SWEEP_FD_STEP / max(1.0, a))
            for a in a_values
        ]
    )
    gaussian_exact = np.array([gaussian_generator_gradients(a, theta, b) for a in a_values])
    gaussian_fd = np.array(
        [finite_difference_gradients(lambda t, a=a: gaussian_generator_losses(a, t, b), theta, SWEEP_FD_STEP) for a in a_values]
    )
    return SharpnessSweep(
        sharpness=a_values,
        theta=theta,
        boundary=b,
        max_d_generated=sigmoid(a_values * (theta + 1 - b)),
        uniform_exact=uniform_exact,
        uniform_fd=uniform_fd,
        gaussian_exact=gaussian_exact,
        gaussian_fd=gaussian_fd,
        gaussian_limit_saturating=a_values * ndtr(theta - b),
        # a·σ(−ac) = a·u/(1 + u) and a·e^(−ac) = a·u from the same u = e^(−ac) (e^(−512) ≈ 4e−223 is a normal
        # float64), so that the printed a·σ(−ac) < a·e^(−ac) holds in float64 too: u/(1 + u) rounds to at most u
        bound_a_max_d=a_values * (np.exp(-a_values * gap) / (1.0 + np.exp(-a_values * gap))),
        bound_a_exp=a_values * np.exp(-a_values * gap),
        ratio_to_half_exp=_ratio_to_half_exp(a_values, gap),
    )


def _log1p_over(u: np.ndarray) -> np.ndarray:
    """log(1 + u)/u for u ≥ 0, with its limit 1 at u = 0 (where e^(−ac) underflows)."""
    u = np.asarray(u, dtype=np.float64)
    safe = np.where(u > 0, u, 1.0)
    return np.where(u > 0, np.log1p(safe) / safe, 1.0)


def _ratio_to_half_exp(a: np.ndarray, gap: float) -> np.ndarray:
    """‖∇θ L_sat‖/(e^(−ac)/2) = [softplus(−ac) − softplus(−a(c + 2))]·e^(ac), c = b − θ − 1, without cancellation.

    With u = e^(−ac), v = e^(−a(c + 2)) = u·e^(−2a): the ratio is log(1 + u)/u − e^(−2a)·log(1 + v)/v, each term
    to a few ulp; exponentiating a log of the gradient instead would carry an error of about a·c ulp.
    """
    u = np.exp(-a * gap)
    v = np.exp(-a * (gap + 2.0))
    return _log1p_over(u) - np.exp(-2.0 * a) * _log1p_over(v)


# --------------------------------------------------------------------------- why M must not depend on n

COUNTEREXAMPLE_N = (1, 2, 5, 10, 20, 50, 100)  # σ(−100) ≈ 3.7e−44 is still a normal float64


@dataclass(frozen=True)
class Counterexample:
    """G_θ(z) = θ, h_n(x) = −n + eⁿ(x − θ₀), at θ = θ₀: D = σ(−n) → 0, yet ∂L_G/∂θ = −σ(−n)·eⁿ = −σ(n) → −1.

    Nothing depends on θ₀ (h_n depends on x − θ₀ only). In log space, log|∂L_G/∂θ| = n + log σ(−n) = log σ(n);
    the last form is computed, since adding n to log σ(−n) = −n − softplus(−n) would cancel.
    """

    n: tuple[int, ...]
    d: np.ndarray  # D_n(G(z)) = σ(−n)
    log_abs_grad: np.ndarray  # log|∂L_G/∂θ| = n + log σ(−n) = log σ(n)
    grad: np.ndarray  # ∂L_G/∂θ = −exp(log σ(n)) = −σ(n)
    grad_x_d: np.ndarray  # ∂D_n/∂x at θ₀ = σ(−n)·σ(n)·eⁿ = σ(n)²


def counterexample(ns: Sequence[int] = COUNTEREXAMPLE_N) -> Counterexample:
    n = np.asarray(ns, dtype=np.float64)
    log_abs_grad = log_sigmoid(n)  # = n + log σ(−n) exactly, since σ(n) = eⁿ·σ(−n)
    return Counterexample(
        n=tuple(int(k) for k in ns),
        d=sigmoid(-n),
        log_abs_grad=log_abs_grad,
        grad=-np.exp(log_abs_grad),
        grad_x_d=np.exp(2.0 * log_abs_grad),
    )


SIGMA_ONE_SQUARED = float(np.exp(2.0 * log_sigmoid(1.0)))  # σ(1)², the least ∂D_n/∂x (θ₀) over n ≥ 1
COUNTEREXAMPLE_DIGITS = 60  # mpmath precision of the finite differences
COUNTEREXAMPLE_STEP = 1e-20  # the step in θ (and x) is this times e^(−n): h_n changes by ±1e−20


def counterexample_finite_differences(ns: Sequence[int]) -> tuple[list[float], list[float]]:
    """(∂L_G/∂θ, ∂D_n/∂x) at θ₀ = 0 by central differences of L_G(θ) = log(1 − σ(h_n(θ))) and D_n = σ(h_n), in mpmath.

    With the step δ = 1e−20·e^(−n), h_n moves by ±1e−20: truncation is ~1e−40 relative, and the difference of
    two values loses 20 of the 60 digits.
    """
    import mpmath

    grads, grads_x = [], []
    with mpmath.workdps(COUNTEREXAMPLE_DIGITS):
        for n in ns:
            scale = mpmath.exp(n)
            step = mpmath.mpf(COUNTEREXAMPLE_STEP) / scale

            def logit(x, n=n, scale=scale):
                return -n + scale * x  # θ₀ = 0

            def loss(theta):
                return -mpmath.log1p(mpmath.exp(logit(theta)))  # log(1 − σ(h)) = −log(1 + e^h)

            def disc(x):
                return 1 / (1 + mpmath.exp(-logit(x)))

            grads.append(float((loss(step) - loss(-step)) / (2 * step)))
            grads_x.append(float((disc(step) - disc(-step)) / (2 * step)))
    return grads, grads_x


# --------------------------------------------------------------------------- notation

# Inline mathematics used in the prose below: LaTeX for the typeset formats, Unicode for a terminal.
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
GRAD_LG = m(r"\nabla_\theta L_G", "∇θ L_G")
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
SIGMA_H_N = m(r"\sigma(h_n)", "σ(h_n)")
UNIFORM_M = m(
    r"\sup_{n,\, z,\, \theta' \in U} \lVert \nabla_\theta h_n(G_{\theta'}(z)) \rVert \le M < \infty",
    "sup_(n, z, θ′ ∈ U) ‖∇θ h_n(G_θ′(z))‖ ≤ M < ∞",
)
CE_LOGIT = m(r"h_n(x) = -n + e^n (x - \theta_0)", "h_n(x) = −n + eⁿ(x − θ₀)")
CE_GRAD = m(r"\partial L_G / \partial \theta", "∂L_G/∂θ")
CE_GRAD_X_D = m(r"\partial D_n / \partial x\,(\theta_0)", "∂D_n/∂x (θ₀)")
CE_D = m(r"D = \sigma(-n)", "D = σ(−n)")


def _scaled_error(over: Prose, computed: str, reference: str, rtol: float) -> Prose:
    """"max over … of |computed − reference| / (τ·|reference| + η), where τ is rtol and η is ABS_FLOOR"."""
    formula = m(
        rf"\lvert \mathrm{{{computed}}} - \mathrm{{{reference}}} \rvert / (\tau \lvert \mathrm{{{reference}}} \rvert + \eta)",
        f"|{computed} − {reference}| / (τ·|{reference}| + η)",
    )
    return prose("max over ", over, " of ", formula, ", where ", TAU, " is ", rtol, " and ", ETA, " is ", ABS_FLOOR)


# --------------------------------------------------------------------------- checks

FD_TOLERANCE = 1e-6  # relative; central differences here are good to ~1e-8 (see each check's detail)
ABS_FLOOR = 1e-300  # absolute part: below it float64 is subnormal and expit flushes to 0 (h < −709.78)
MPMATH_DIGITS = 50
MPMATH_SAMPLE = 200  # logits checked against mpmath: the extremes and an even spread
MPMATH_TOLERANCE = 1e-14  # relative: a few units in the last place of float64


def _normalised_error(computed, reference, rtol: float) -> float:
    """max |computed − reference| / (rtol·|reference| + ABS_FLOOR): passes at ≤ 1."""
    computed, reference = np.asarray(computed, float), np.asarray(reference, float)
    if computed.size == 0:
        return 0.0
    return float(np.max(np.abs(computed - reference) / (rtol * np.abs(reference) + ABS_FLOOR)))


def _logit_step(h: np.ndarray) -> np.ndarray:
    # Truncation is ~δ²/6 relative (|f'''/f'| ≤ 1 for softplus); roundoff ~ε·|h|/δ, so δ grows with |h|.
    return np.maximum(1e-4, 1e-8 * np.abs(h))


def check_logit_derivative(name: Prose | str, loss, h: np.ndarray, exact: np.ndarray) -> Check:
    """The closed-form derivative in h against a central difference of the loss itself (stable form)."""
    step = _logit_step(h)
    plus, minus = h + step, h - step
    finite_difference = (loss(plus) - loss(minus)) / (plus - minus)  # the step actually taken, after rounding
    worst = int(np.argmax(np.abs(finite_difference - exact))) if h.size else 0
    return Check(
        name=name,
        method=(
            "central difference of the loss in its log-space form, step ",
            m(r"\max(10^{-4}, 10^{-8} \lvert h \rvert)", "max(1e-4, 1e-8·|h|)"),
            ", at every logit",
        ),
        computed=float(exact[worst]),
        reference=float(finite_difference[worst]),
        error=_normalised_error(exact, finite_difference, FD_TOLERANCE),
        tolerance=1.0,
        detail=prose(
            _scaled_error("the logits", "exact", "FD", FD_TOLERANCE),
            "; the values shown are at the worst logit, ",
            float(h[worst]) if h.size else None,
            "; truncation is below ",
            m(r"\delta^2/6 \approx 2 \times 10^{-9}", "δ²/6 ≈ 2e-9"),
            " relative",
        ),
    )


def _mpmath_sample(h: np.ndarray) -> np.ndarray:
    if h.size <= MPMATH_SAMPLE:
        return np.arange(h.size)
    spread = np.linspace(0, h.size - 1, MPMATH_SAMPLE - 2).round().astype(int)
    return np.unique(np.concatenate([spread, [np.argmin(h), np.argmax(h)]]))


def check_against_mpmath(table: LogitTable) -> Check:
    """σ(h), log(1 − σ(h)), −σ(h), −σ(−h) in float64 against 50-digit mpmath, which never underflows."""
    import mpmath

    indices = _mpmath_sample(table.logits)
    ours, reference = [], []
    with mpmath.workdps(MPMATH_DIGITS):
        for i in indices:
            h = mpmath.mpf(float(table.logits[i]))
            d = 1 / (1 + mpmath.exp(-h))
            reference += [float(d), float(-mpmath.log1p(mpmath.exp(h))), float(-d), float(-1 / (1 + mpmath.exp(h)))]
            ours += [table.sigmoid[i], table.log_one_minus_d[i], table.grad_saturating[i], table.grad_nonsaturating[i]]
    return Check(
        name=(SIGMA_H, ", ", LOG_ONE_MINUS_D, " and both derivatives against ", MPMATH_DIGITS, "-digit arithmetic"),
        method=(
            "mpmath at ",
            MPMATH_DIGITS,
            " digits from ",
            m(r"\sigma(h) = 1/(1 + e^{-h})", "σ(h) = 1/(1 + e^(−h))"),
            " directly, on ",
            len(indices),
            " logits (all of them up to ",
            MPMATH_SAMPLE,
            "; else the extremes and an even spread)",
        ),
        computed=[float(v) for v in ours[:4]],
        reference=reference[:4],
        error=_normalised_error(ours, reference, MPMATH_TOLERANCE),
        tolerance=1.0,
        detail=(_scaled_error("the logits and the four values", "float64", "mpmath", MPMATH_TOLERANCE),
                "; values shown for the first logit"),
    )


def _joined(items: Iterable[Prose | Math], separator: str) -> Prose:
    out: list = []
    for item in items:
        out.extend((separator, item) if out else (item,))
    return prose(*out)


def check_symbolic_identities(facts: SymbolicFacts) -> Check:
    residuals = facts.residuals
    nonzero = [name for name, r in residuals.items() if r != 0]
    return Check(
        name="SymPy: the derivatives and the log-space forms",
        method=("sympy.cancel, in ", m("t = e^h", "t = e^h"), ", of the derived minus the claimed form, for: ",
                _joined(residuals, "; ")),
        computed=list(residuals.values()),
        reference=[sympy.Integer(0)] * len(residuals),
        error=float(len(nonzero)),
        tolerance=0.0,
        detail=prose(
            "number of identities whose difference does not cancel to 0", (": ", _joined(nonzero, ", ")) if nonzero else ()
        ),
    )


def check_sweep(label: Prose | Math, exact: np.ndarray, fd: np.ndarray, step: Prose) -> Check:
    return Check(
        name=("Sweep, ", label, ": exact ", m(r"dL/d\theta", "dL/dθ"), " against finite differences"),
        method=(
            "central difference in ", THETA, " (step ", step, ") of each loss ", m(r"L(\theta)", "L(θ)"),
            " computed by scipy.integrate.quad (the loss, not the gradient: an independent route)",
        ),
        computed=exact.tolist(),
        reference=fd.tolist(),
        error=_normalised_error(exact, fd, FD_TOLERANCE),
        tolerance=1.0,
        detail=_scaled_error((A, " and both losses"), "exact", "FD", FD_TOLERANCE),
    )


def check_counterexample(data: Counterexample) -> Check:
    """The counterexample's ∂L_G/∂θ = −σ(n) and ∂D_n/∂x = σ(n)² against mpmath central differences of L_G and D_n."""
    grads, grads_x = counterexample_finite_differences(data.n)
    ours = np.concatenate([data.grad, data.grad_x_d])
    reference = np.array(grads + grads_x)
    return Check(
        name=("Counterexample: ", CE_GRAD, " and ", CE_GRAD_X_D, " against finite differences"),
        method=(
            "central differences of ",
            m(r"L_G(\theta) = \log(1 - \sigma(h_n(\theta)))", "L_G(θ) = log(1 − σ(h_n(θ)))"),
            " and of ",
            m(r"D_n(x) = \sigma(h_n(x))", "D_n(x) = σ(h_n(x))"),
            " at ",
            m(r"\theta_0 = 0", "θ₀ = 0"),
            " in mpmath at ",
            COUNTEREXAMPLE_DIGITS,
            " digits, step ",
            m(r"10^{-20} e^{-n}", "1e-20·e^(−n)"),
            ", for each ",
            N,
        ),
        computed=[float(v) for v in ours],
        reference=[float(v) for v in reference],
        error=_normalised_error(ours, reference, MPMATH_TOLERANCE),
        tolerance=1.0,
        detail=(
            _scaled_error((N, " and both derivatives"), "float64", "FD", MPMATH_TOLERANCE),
            "; the differences are good to about ",
            m(r"10^{-40}", "1e-40"),
            " relative",
        ),
    )


# --------------------------------------------------------------------------- tables

TABLE_DIGITS = 6  # digits a table shows; the result holds every value in full


def _cell(value: float) -> Approx:
    return Approx(float(value), TABLE_DIGITS)


def _logit_rows(table: LogitTable, indices: Iterable[int]) -> list[tuple]:
    values = (table.sigmoid, table.log_one_minus_d, table.grad_saturating, table.grad_nonsaturating)
    return [(float(table.logits[i]),) + tuple(_cell(c[i]) for c in values) for i in indices]


# --------------------------------------------------------------------------- the derivation

D_OF_G = Label("D_φ(G_θ(z))", r"D_\phi(G_\theta(z))")
H_OF_G = Label("h_φ(G_θ(z))", r"h_\phi(G_\theta(z))")
GRAD_NORM = Label("‖∇_θ L_G‖", r"\lVert \nabla_\theta L_G \rVert")
EXPECTED_SIGMA_NORM = Label("E_z[σ(h)·‖∇_θ h‖]", r"\mathbb{E}_z[\sigma(h)\,\lVert \nabla_\theta h \rVert]")
EXPECTED_SIGMA = Label("E_z[σ(h)]", r"\mathbb{E}_z[\sigma(h)]")

PREMISE_WARNING = Notice(
    (
        "The premise ",
        GRAD_TO_ZERO,
        " is the conclusion; read here as: the discriminator is perfect on generated samples, ",
        m(r"D(G(z)) \to 0", "D(G(z)) → 0"),
        ".",
    )
)

QUESTION = (
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


def _as_floats(values: Sequence[Fraction | float], option: str) -> np.ndarray:
    """float64 logits from exact (or float) values, refusing what the parser would refuse."""
    if len(values) == 0:
        raise InputError("no logits given", option)
    _check_count(len(values), option)
    try:
        h = np.array([float(v) for v in values], dtype=np.float64)
    except OverflowError:
        raise InputError("a logit beyond float64's range (±1.8e308) is outside ±1e300", option) from None
    if not np.all(np.abs(h) <= MAX_ABS_LOGIT):  # also catches nan and ±inf from float inputs
        worst = h[np.argmax(np.where(np.isnan(h), np.inf, np.abs(h)))]
        if not np.isfinite(worst):
            raise InputError(f"{worst} is not a finite number", option)
        raise InputError(f"the logit {worst:.3g} is outside ±1e300 (batch means must stay finite in float64)", option)
    return h


def _exact(value: Fraction | float) -> sympy.Expr:
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.Float(value, 15)


def _grad_bound(value: Fraction | float | None) -> float | None:
    if value is None:
        return None
    if (isinstance(value, float) and not math.isfinite(value)) or not 0 < value <= MAX_GRAD_BOUND:
        raise InputError(f"the bound M on ‖∇θ h‖ must be positive and at most {MAX_GRAD_BOUND:g}", "--grad-bound")
    return float(value)


def derivation_steps(facts: SymbolicFacts, ce: Counterexample | None = None) -> list[Step]:
    """The argument, independent of the batch."""
    ce = counterexample() if ce is None else ce
    h = facts.h
    sig = SymbolicSigmoid
    return [
        Step(
            "The premise, corrected",
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
            "Conventions: the saturating loss",
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
            "Conventions: the non-saturating loss",
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
        Step(
            "Derivative of the saturating loss",
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
            "Derivative of the non-saturating loss",
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
            "Chain rule",
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
        Step(
            "The hypothesis: one bound M for the whole sequence of discriminators",
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
        ),
        Step(
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
        ),
        Step(
            "A bound",
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
            sympy.Le(GRAD_NORM, sympy.Mul(sympy.Symbol("M", positive=True), EXPECTED_SIGMA, evaluate=False), evaluate=False),
        ),
        Step(
            "The gradient vanishes",
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
        counterexample_step(ce),
        arjovsky_bottou_step(),
        Step(
            "The fix: the non-saturating loss",
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
        ),
    ]


def counterexample_step(ce: Counterexample) -> Step:
    table = Table(
        headers=(N, CE_D, CE_GRAD, CE_GRAD_X_D),
        rows=[(ce.n[i], _cell(ce.d[i]), _cell(ce.grad[i]), _cell(ce.grad_x_d[i])) for i in range(len(ce.n))],
    )
    return Step(
        "Why M must not depend on the discriminator: a counterexample",
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


def arjovsky_bottou_step() -> Step:
    return Step(
        "Relation to Arjovsky and Bottou (2017), Theorem 2.4",
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
                r"\lVert \nabla_\theta \mathbb{E}_z[\log(1 - D(G_\theta(z)))] \rVert < M \varepsilon / (1 - \varepsilon)",
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
            _cell(SIGMA_ONE_SQUARED),
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


GAP = m("c", "c")


def sweep_bound_step(sweep: SharpnessSweep) -> Step:
    """Why the uniform model's saturating gradient vanishes although ∂h/∂θ = a has no bound uniform in a."""
    a, gap = sweep.sharpness, sweep.gap
    table = Table(
        headers=(
            A,
            GRAD_NORM_SAT,
            m(r"a\, \sigma(-ac)", "a·σ(−ac)"),
            m(r"a\, e^{-ac}", "a·e^(−ac)"),
            m(r"2 e^{ac} \lVert \nabla_\theta L_{\mathrm{sat}} \rVert", "2e^(ac)·‖∇θ L_sat‖"),
        ),
        rows=[
            (
                float(a[i]),
                _cell(-sweep.uniform_exact[i, 0]),
                _cell(sweep.bound_a_max_d[i]),
                _cell(sweep.bound_a_exp[i]),
                _cell(sweep.ratio_to_half_exp[i]),
            )
            for i in range(a.size)
        ],
    )
    unit_gap = gap == 1.0
    return Step(
        "Sweep: why the saturating gradient vanishes anyway",
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
            _cell(sweep.ratio_to_half_exp[0]),
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
    a, theta, b = sweep.sharpness, sweep.theta, sweep.boundary
    uniform = Table(
        headers=(A, m(r"\max D(G(z))", "max D(G(z))"), GRAD_NORM_SAT, GRAD_NORM_NS),
        rows=[
            (
                float(a[i]),
                _cell(sweep.max_d_generated[i]),
                _cell(-sweep.uniform_exact[i, 0]),
                _cell(-sweep.uniform_exact[i, 1]),
            )
            for i in range(a.size)
        ],
    )
    gaussian = Table(
        headers=(A, GRAD_NORM_SAT, m(r"a\, \Phi(\theta - b)", "a·Φ(θ − b)"), GRAD_NORM_NS),
        rows=[
            (
                float(a[i]),
                _cell(-sweep.gaussian_exact[i, 0]),
                _cell(sweep.gaussian_limit_saturating[i]),
                _cell(-sweep.gaussian_exact[i, 1]),
            )
            for i in range(a.size)
        ],
    )
    return [
        Step(
            "Sweep: a discriminator that separates ever better",
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
        ),
        sweep_bound_step(sweep),
        Step(
            "Sweep: the contrast with Gaussian noise",
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
        ),
    ]


def _logit_step_text(n: int) -> Prose:
    return prose(
        ("For each of the ", n, " logits: ") if n != 1 else "For the one logit: ",
        H,
        ", ",
        m(r"D = \sigma(h)", "D = σ(h)"),
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


def gan_vanishing(
    logits: Sequence[Fraction | float],
    grad_bound: Fraction | float | None = None,
    sweep: bool = False,
    source: str = "--logits",
) -> Derivation:
    """The derivation that a perfect discriminator starves the generator, with the batch's numbers and checks."""
    h = _as_floats(logits, source)
    bound = _grad_bound(grad_bound)

    facts = symbolic_facts()
    table = logit_table(h)
    ce = counterexample()
    steps = derivation_steps(facts, ce)

    n = h.size
    rows = _logit_rows(table, range(min(n, TABLE_ROWS)))
    means = [
        float(np.mean(table.sigmoid)),
        float(np.mean(table.log_one_minus_d)),
        float(np.mean(table.grad_saturating)),
        float(np.mean(table.grad_nonsaturating)),
    ]
    rows.append(("mean",) + tuple(_cell(v) for v in means))
    steps.append(
        Step(
            "Per-logit values",
            _logit_step_text(n),
            table=Table(
                headers=(
                    H,
                    m(r"D = \sigma(h)", "D = σ(h)"),
                    LOG_ONE_MINUS_D,
                    ("sat: ", MINUS_SIGMA_H),
                    ("non-sat: ", MINUS_SIGMA_MINUS_H),
                ),
                rows=rows,
                note=("… ", n - TABLE_ROWS, " more rows; the result holds all ", n, ".") if n > TABLE_ROWS else (),
            ),
        )
    )
    result: dict = {
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
    if bound is not None:
        norm_bound = bound * means[0]
        steps.append(
            Step(
                ("Bound on ", GRAD_LG_NORM, " for this batch"),
                (
                    "With ",
                    m(r"\lVert \nabla_\theta h(G_\theta(z)) \rVert \le M", "‖∇θ h(G_θ(z))‖ ≤ M"),
                    " for every ",
                    Z,
                    ": ",
                    m(
                        r"\lVert \nabla_\theta L_G \rVert \le M \cdot \operatorname{mean} \sigma(h)",
                        "‖∇θ L_G‖ ≤ M·mean σ(h)",
                    ),
                    ", the product of the constant ",
                    M,
                    ", ",
                    bound,
                    ", and the batch mean ",
                    means[0],
                    ".",
                ),
                sympy.Le(GRAD_NORM, sympy.Mul(_exact(grad_bound), EXPECTED_SIGMA, evaluate=False), evaluate=False),
                norm_bound,
            )
        )
        result["grad_bound"] = bound
        result["grad_norm_bound"] = norm_bound

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
        data = sharpness_sweep()
        steps.extend(sweep_steps(data))
        checks.append(
            check_sweep(
                UNIFORM_MODEL,
                data.uniform_exact,
                data.uniform_fd,
                (SWEEP_FD_STEP, " divided by ", m(r"\max(1, a)", "max(1, a)")),
            )
        )
        checks.append(check_sweep(GAUSSIAN_MODEL, data.gaussian_exact, data.gaussian_fd, (SWEEP_FD_STEP,)))
        result.update(
            {
                "sweep_theta": data.theta,
                "sweep_boundary": data.boundary,
                "sweep_sharpness": data.sharpness.tolist(),
                "sweep_max_d_generated": data.max_d_generated.tolist(),
                "sweep_grad_norm_saturating": (-data.uniform_exact[:, 0]).tolist(),
                "sweep_grad_norm_nonsaturating": (-data.uniform_exact[:, 1]).tolist(),
                "sweep_gaussian_grad_norm_saturating": (-data.gaussian_exact[:, 0]).tolist(),
                "sweep_gaussian_grad_norm_nonsaturating": (-data.gaussian_exact[:, 1]).tolist(),
                "sweep_gap": data.gap,
                "sweep_bound_a_max_d": data.bound_a_max_d.tolist(),
                "sweep_bound_a_exp": data.bound_a_exp.tolist(),
                "sweep_ratio_to_half_exp": data.ratio_to_half_exp.tolist(),
            }
        )
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
        answer=(
            "The gradient vanishes when one constant ",
            M,
            " bounds ",
            m(r"\lVert \nabla_\theta h_n(G_\theta(z)) \rVert", "‖∇θ h_n(G_θ(z))‖"),
            " for every discriminator ",
            H_N,
            " and every ",
            Z,
            ": ",
            m(
                r"\lVert \nabla_\theta L_G \rVert \le M\, \mathbb{E}_z[\sigma(h_n)] \to 0",
                "‖∇θ L_G‖ ≤ M·E_z[σ(h_n)] → 0",
            ),
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
        ),
    )


# --------------------------------------------------------------------------- the figure's data

FIGURE_LOGIT_RANGE = (-10.0, 10.0)  # widened to the batch, up to ±FIGURE_LOGIT_LIMIT
FIGURE_LOGIT_LIMIT = 50.0  # beyond it both curves are flat to plotting precision


@dataclass(frozen=True)
class FigureData:
    """What ``--plot`` draws: both derivatives against h, the batch's points on them, the sweep's norms."""

    curve_logits: np.ndarray
    curve_saturating: np.ndarray  # −σ(h)
    curve_nonsaturating: np.ndarray  # −σ(−h)
    batch_logits: np.ndarray  # the batch's logits inside the curves' range
    batch_saturating: np.ndarray
    batch_nonsaturating: np.ndarray
    batch_hidden: int  # logits outside the range, not drawn
    sweep: dict[str, np.ndarray]  # the result's sweep_* lists, as arrays; empty without the sweep


def figure_data(result: dict, points: int = 801) -> FigureData:
    """The figure's arrays, from a gan_vanishing result (its per-logit lists and, if run, the sweep)."""
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
