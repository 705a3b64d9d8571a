"""The numbers of Problem 4, in log space: both losses and their derivatives per logit, the counterexample
without a uniform bound M, and the sweep of a 1-D model over the discriminator's sharpness.

log(1 − σ(h)) = −softplus(h) and −log σ(h) = softplus(−h) are exact for every logit; the derivatives −σ(h) and
−σ(−h) never cancel as h → −∞.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from dgm_cli.cache import disk_cached
from dgm_cli.solvers.numerics import log_sigmoid, sigmoid, softplus

# --------------------------------------------------------------------------- per logit


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


def gaussian_generator_gradients(
    a: float, theta: float = SWEEP_THETA, b: float = SWEEP_BOUNDARY
) -> tuple[float, float]:
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


def finite_difference_gradients(
    losses: Callable[[float], tuple[float, float]], theta: float, step: float
) -> tuple[float, float]:
    """Central differences in θ of ``losses(θ) = (L_sat, L_ns)``, each loss computed by quadrature."""
    (plus_sat, plus_ns), (minus_sat, minus_ns) = losses(theta + step), losses(theta - step)
    return (plus_sat - minus_sat) / (2 * step), (plus_ns - minus_ns) / (2 * step)


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
            finite_difference_gradients(partial(uniform_generator_losses, a, b=b), theta, SWEEP_FD_STEP / max(1.0, a))
            for a in a_values
        ]
    )
    gaussian_exact = np.array([gaussian_generator_gradients(a, theta, b) for a in a_values])
    gaussian_fd = np.array(
        [
            finite_difference_gradients(partial(gaussian_generator_losses, a, b=b), theta, SWEEP_FD_STEP)
            for a in a_values
        ]
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
