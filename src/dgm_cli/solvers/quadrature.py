"""Tanh-sinh quadrature in NumPy: SciPy's ``scipy.integrate.tanhsinh``, restated.

Importing scipy.integrate loads scipy.special, scipy.optimize, scipy.sparse.linalg and scipy.linalg, about 0.4 s of
CPU (as much as SymPy and NumPy together), for a rule of a few array operations per level. The restatement follows
SciPy 1.17's algorithm step for step (Bailey, Jeyabalan and Li, "A comparison of three high-precision quadrature
schemes", 2005, §4-5): the same abscissae and weights, the same levels, sums and error estimate, in the same order of
floating-point operations, so that every integral and error estimate is the float SciPy gave
(tests/test_gan_optimal_quadrature.py compares them bit for bit, and against mpmath).

On [a, b] the rule is ∫ f = Σ_j h·w_j·f(x_j), x_j = (a + b)/2 + (b − a)/2·tanh(π/2·sinh(jh)), over j = −N…N; level
k halves the step, h = h0/2^k, and evaluates f at the new (odd) abscissae only. An end at ±∞ is mapped to a finite
one first: x = a + 1/t − 1 for t ∈ (0, 1] (dx = −dt/t²), and x ↦ −x for a left end at −∞.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

# The integrands of gan-optimal are smooth on every piece, where tanh-sinh converges to ~1e-15: these ask for that.
QUAD_RTOL = 1e-13
QUAD_ATOL = 1e-16
TANH_SINH_MIN_LEVEL = 2  # the first evaluation takes every abscissa of levels 0, 1 and 2: 66 points a piece
TANH_SINH_MAX_LEVEL = 10  # SciPy's default; a piece not converged at level 10 is reported as not converged
TANH_SINH_BASE_STEPS = 8  # abscissae on each side at level 0: h0 = t_max/8

Levels = tuple[tuple[np.ndarray, np.ndarray], ...]


def _tanh_sinh_base_step() -> float:
    """h0 = t_max/8, t_max where 1 − tanh(π/2·sinh t), the complement of the abscissa, reaches 4× the smallest
    normal float: the last abscissa still distinct from the end of the interval."""
    smallest = 4 * np.finfo(np.float64).smallest_normal
    return float(np.float64(math.asinh(math.log(2 / smallest - 1) / math.pi) / TANH_SINH_BASE_STEPS))


@lru_cache(maxsize=1)
def _tanh_sinh_levels() -> Levels:
    """For each level k = 0…MAX: the complements 1 − x_j of the abscissae on [−1, 1] and their weights w_j.

    Level 0 holds j = 0…8 (j = 0 counted on both sides with half weight), level k ≥ 1 the odd j up to 8·2^k:
    w_j = (π/2)cosh(jh) / cosh²((π/2)sinh(jh)) and 1 − x_j = 1/(e^u cosh u), u = (π/2)sinh(jh), with h = h0/2^k.
    """
    h0 = _tanh_sinh_base_step()
    levels = []
    with np.errstate(over="ignore", under="ignore"):  # the weights at the far ends overflow to 1/∞ = 0
        for k in range(TANH_SINH_MAX_LEVEL + 1):
            h = h0 / 2**k
            last = TANH_SINH_BASE_STEPS * 2**k
            jh = (np.arange(last + 1) if k == 0 else np.arange(1, last + 1, 2)) * h
            u1 = math.pi / 2 * np.cosh(jh)
            u2 = math.pi / 2 * np.sinh(jh)
            weights = u1 / np.cosh(u2) ** 2
            complements = 1 / (np.exp(u2) * np.cosh(u2))
            if k == 0:
                weights[0] = weights[0] / 2
            for array in (complements, weights):
                array.flags.writeable = False
            levels.append((complements, weights))
    return tuple(levels)


@dataclass
class _TanhSinhWork:
    """The state of the pieces still being refined, one row each (rows are dropped as pieces converge)."""

    rows: np.ndarray  # index of each row in the flattened output
    a: np.ndarray  # (rows, 1): the finite interval the rule runs on; [0, 1] for a mapped infinite end
    b: np.ndarray
    a0: np.ndarray  # (rows, 1): the finite end of an interval with an infinite one
    right_infinite: np.ndarray  # (rows,): x = a0 + 1/t − 1 (also for a left end at −∞, after x ↦ −x)
    left_infinite: np.ndarray  # (rows,): x ↦ −x
    args: list  # each (rows, 1)
    estimate: np.ndarray  # S_k, the current level's sum
    previous: np.ndarray  # S_{k−1}
    before_previous: np.ndarray  # S_{k−2}
    error: np.ndarray
    # The outermost abscissa used so far on each side, its integrand value and weight: the last term of the sum
    # bounds the truncation error (Bailey et al.'s d4), and a non-finite value is replaced by the outermost one.
    right_x: np.ndarray
    right_f: np.ndarray
    right_w: np.ndarray
    left_x: np.ndarray
    left_f: np.ndarray
    left_w: np.ndarray

    def keep(self, mask: np.ndarray) -> None:
        for name, value in vars(self).items():
            setattr(self, name, [arg[mask] for arg in value] if name == "args" else value[mask])


@dataclass(frozen=True)
class _Output:
    """The flattened integrals, error estimates and convergence flags, filled in as rows stop."""

    integrals: np.ndarray
    errors: np.ndarray
    converged: np.ndarray

    def record(self, rows: np.ndarray, integrals: np.ndarray, errors: np.ndarray, converged: Any = False) -> None:
        self.integrals[rows] = integrals
        self.errors[rows] = errors
        self.converged[rows] = converged


def _start(low, high, args: tuple) -> tuple[tuple[int, ...], _TanhSinhWork, _Output]:
    """The broadcast shape, the rows to refine (an infinite end mapped to a finite one) and the output, where an
    empty interval is already 0 and converged."""
    shape = np.broadcast_shapes(np.shape(low), np.shape(high), *(np.shape(arg) for arg in args))
    a = np.broadcast_to(np.asarray(low, dtype=np.float64), shape).ravel().copy()
    b = np.broadcast_to(np.asarray(high, dtype=np.float64), shape).ravel().copy()
    if np.any(b < a) or np.any(np.isinf(a) & np.isinf(b)):
        raise ValueError("tanh_sinh integrates over low <= high with at most one infinite end")
    flat_args = [np.broadcast_to(np.asarray(arg), shape).ravel().copy()[:, None] for arg in args]
    output = _Output(np.zeros(a.size), np.zeros(a.size), np.zeros(a.size, dtype=bool))
    empty = a == b  # an empty interval integrates to 0, converged, before any evaluation
    output.converged[empty] = True
    a[empty], b[empty] = 1.0, 1.0
    left_infinite = np.isinf(a)
    a[left_infinite], b[left_infinite] = -b[left_infinite], -a[left_infinite]
    right_infinite = np.isinf(b)
    a0 = a.copy()
    a[right_infinite], b[right_infinite] = 0.0, 1.0
    running = ~empty

    def column(values: np.ndarray) -> np.ndarray:
        return values[running][:, None]

    count = int(np.count_nonzero(running))
    work = _TanhSinhWork(
        rows=np.flatnonzero(running), a=column(a), b=column(b), a0=column(a0),
        right_infinite=right_infinite[running], left_infinite=left_infinite[running],
        args=[arg[running] for arg in flat_args],
        estimate=np.zeros(count), previous=np.zeros(count), before_previous=np.zeros(count), error=np.zeros(count),
        right_x=np.full(count, -np.inf), right_f=np.full(count, np.nan), right_w=np.zeros(count),
        left_x=np.full(count, np.inf), left_f=np.full(count, np.nan), left_w=np.zeros(count),
    )  # fmt: skip
    return shape, work, output


def tanh_sinh(integrand: Callable[..., Any], low, high, args: tuple = (), rtol: float = QUAD_RTOL,
              atol: float = QUAD_ATOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """∫_low^high integrand(x, *args) dx elementwise (low < high or equal, either end may be infinite, not both).

    ``integrand`` gets x of shape (rows, points) and each argument as (rows, 1); low, high and args broadcast to
    the output's shape. A row stops at the first level from 3 on where Bailey's error estimate is below
    max(rtol·|S|, atol) (converged), or where its sum is not finite, or after level 10 (not converged).
    Returns (integrals, error estimates, converged), each of the broadcast shape.
    """
    shape, work, output = _start(low, high, args)
    h0 = _tanh_sinh_base_step()
    levels = _tanh_sinh_levels()
    eps = np.finfo(np.float64).eps
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for level in range(TANH_SINH_MIN_LEVEL, TANH_SINH_MAX_LEVEL + 1):
            if work.rows.size == 0:
                break
            h = h0 / 2**level
            terms = _level_terms(integrand, work, levels, level)
            estimate = np.sum(terms, axis=-1) * h
            if level == TANH_SINH_MIN_LEVEL:
                _coarser_sums(terms, work, levels, level, h)
            else:
                estimate = work.previous / 2 + estimate  # the new terms, with the previous level's sum at step 2h
            work.estimate = estimate
            work.error = _tanh_sinh_error(terms, work, eps)
            done = (work.error / np.abs(estimate) < rtol) | (work.error < atol)
            invalid = ~np.isfinite(estimate) & ~done
            stop = done | invalid
            output.record(work.rows[stop], estimate[stop], work.error[stop], done[stop])
            work.keep(~stop)
            work.before_previous, work.previous = work.previous, work.estimate
    output.record(work.rows, work.estimate, work.error)  # not converged by the last level: the last sums and estimates
    return output.integrals.reshape(shape), output.errors.reshape(shape), output.converged.reshape(shape)


def _level_terms(integrand: Callable[..., Any], work: _TanhSinhWork, levels: Levels, level: int) -> np.ndarray:
    """The terms w_j·f(x_j) of one level's sum: on the first level, every abscissa of levels 0…MIN; after it, the
    new abscissae of this level only."""
    used = levels[: level + 1] if level == TANH_SINH_MIN_LEVEL else levels[level : level + 1]
    complements = np.concatenate([c for c, _ in used])
    weights = np.concatenate([w for _, w in used])
    # The abscissae on [a, b], right half (near b) then left half (near a); a point that rounds onto an end
    # keeps weight 0, as the sum runs over the open interval.
    alpha = (work.b - work.a) / 2
    t = np.concatenate((-alpha * complements + work.b, alpha * complements + work.a), axis=-1)
    w = weights * alpha
    w = np.concatenate((w, w), axis=-1)
    w[(t <= work.a) | (t >= work.b)] = 0
    x = t.copy()
    x[work.right_infinite] = 1 / x[work.right_infinite] - 1 + work.a0[work.right_infinite]
    x[work.left_infinite] *= -1
    f = np.asarray(integrand(x, *work.args), dtype=np.float64)
    f[work.right_infinite] *= t[work.right_infinite] ** -2.0
    return _euler_maclaurin_terms(t, f, w, work)


def _coarser_sums(terms: np.ndarray, work: _TanhSinhWork, levels: Levels, level: int, h: float) -> None:
    """S_{k−1} and S_{k−2} from the first level's terms: levels 0…k−1 and 0…k−2, with steps 2h and 4h."""
    half = terms.shape[-1] // 2
    for shift, names in ((1, "previous"), (2, "before_previous")):
        n = sum(len(c) for c, _ in levels[: level + 1 - shift])
        coarse = np.reshape(np.reshape(terms, (-1, 2, half))[:, :, :n], (-1, 2 * n))
        setattr(work, names, np.sum(coarse, axis=-1) * (2**shift * h))


def _euler_maclaurin_terms(t: np.ndarray, f: np.ndarray, w: np.ndarray, work: _TanhSinhWork) -> np.ndarray:
    """The terms w_j·f(x_j) of the sum; updates the outermost abscissa of each side and replaces a non-finite value
    (or one at weight 0) by the integrand at that outermost abscissa, as Bailey et al. suggest for singular ends."""
    half = t.shape[-1] // 2
    rows = np.arange(t.shape[0])
    sides = (("right_x", "right_f", "right_w"), ("left_x", "left_f", "left_w"))
    for side, (x_name, f_name, w_name) in enumerate(sides):
        part = slice(0, half) if side == 0 else slice(half, 2 * half)
        x_side, f_side, w_side = t[:, part].copy(), f[:, part], w[:, part]
        unusable = ~np.isfinite(f_side) | (w_side == 0)
        x_side[unusable] = -np.inf if side == 0 else np.inf
        outermost = np.argmax(x_side, axis=-1) if side == 0 else np.argmin(x_side, axis=-1)
        x_new = x_side[rows, outermost]
        further = x_new > getattr(work, x_name) if side == 0 else x_new < getattr(work, x_name)
        for name, values in ((x_name, x_new), (f_name, f_side[rows, outermost]), (w_name, w_side[rows, outermost])):
            getattr(work, name)[further] = values[further]
        f_side[unusable] = np.broadcast_to(getattr(work, f_name)[:, None], f_side.shape)[unusable]
    return f * w


def _tanh_sinh_error(terms: np.ndarray, work: _TanhSinhWork, eps: float) -> np.ndarray:
    """Bailey et al.'s error estimate of S_k: with d1 = |S_k − S_{k−1}|, d2 = |S_k − S_{k−2}|, d3 = ε·max|w_j f_j|
    and d4 the outermost term, max(d1^(log d1/log d2), d1², d3, d4), clipped to [ε|S_k|, d1]."""
    estimate = work.estimate
    d1 = np.abs(estimate - work.previous)
    d2 = np.abs(estimate - work.before_previous)
    d3 = eps * np.max(np.abs(terms), axis=-1)
    d4 = np.maximum(np.abs(work.left_f * work.left_w), np.abs(work.right_f * work.right_w))
    d5 = eps * np.abs(estimate)
    rate = np.where(d1 > 0, d1 ** (np.log(d1) / np.log(d2)), 0)
    return np.clip(np.max(np.stack([rate, d1**2, d3, d4]), axis=0), d5, d1)
