"""The checks of Problem 4, each against an independent route: the closed-form derivatives against finite
differences of the losses, the float64 values against 50-digit mpmath, SymPy's identities, the sweep's gradients
against finite differences of quadratures, and the counterexample against 60-digit finite differences.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import sympy

from dgm_cli.derivation import Check, Math, Piece, Prose, m, prose
from dgm_cli.solvers.gan_vanishing_notation import (
    CE_GRAD,
    CE_GRAD_X_D,
    ETA,
    LOG_ONE_MINUS_D,
    SIGMA_H,
    TAU,
    THETA,
    A,
    N,
)
from dgm_cli.solvers.gan_vanishing_numerics import (
    COUNTEREXAMPLE_DIGITS,
    Counterexample,
    LogitTable,
    counterexample_finite_differences,
)
from dgm_cli.solvers.gan_vanishing_symbolic import SymbolicFacts

FD_TOLERANCE = 1e-6  # relative; central differences here are good to ~1e-8 (see each check's detail)
ABS_FLOOR = 1e-300  # absolute part: below it float64 is subnormal and expit flushes to 0 (h < −709.78)
MPMATH_DIGITS = 50
MPMATH_SAMPLE = 200  # logits checked against mpmath: the extremes and an even spread
MPMATH_TOLERANCE = 1e-14  # relative: a few units in the last place of float64


def scaled_error(over: Prose | Piece, computed: str, reference: str, rtol: float) -> Prose:
    """"max over … of |computed − reference| / (τ·|reference| + η), where τ is rtol and η is ABS_FLOOR"."""
    difference = rf"\lvert \mathrm{{{computed}}} - \mathrm{{{reference}}} \rvert"
    formula = m(
        rf"{difference} / (\tau \lvert \mathrm{{{reference}}} \rvert + \eta)",
        f"|{computed} − {reference}| / (τ·|{reference}| + η)",
    )
    return prose("max over ", over, " of ", formula, ", where ", TAU, " is ", rtol, " and ", ETA, " is ", ABS_FLOOR)


def _normalised_error(computed, reference, rtol: float) -> float:
    """max |computed − reference| / (rtol·|reference| + ABS_FLOOR): passes at ≤ 1."""
    computed, reference = np.asarray(computed, float), np.asarray(reference, float)
    if computed.size == 0:
        return 0.0
    return float(np.max(np.abs(computed - reference) / (rtol * np.abs(reference) + ABS_FLOOR)))


def _logit_step(h: np.ndarray) -> np.ndarray:
    # Truncation is ~δ²/6 relative (|f'''/f'| ≤ 1 for softplus); roundoff ~ε·|h|/δ, so δ grows with |h|.
    return np.maximum(1e-4, 1e-8 * np.abs(h))


def check_logit_derivative(name: Prose, loss, h: np.ndarray, exact: np.ndarray) -> Check:
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
            scaled_error("the logits", "exact", "FD", FD_TOLERANCE),
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
        detail=(scaled_error("the logits and the four values", "float64", "mpmath", MPMATH_TOLERANCE),
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
        name=("SymPy: the derivatives and the log-space forms",),
        method=("sympy.cancel, in ", m("t = e^h", "t = e^h"), ", of the derived minus the claimed form, for: ",
                _joined(residuals, "; ")),
        computed=list(residuals.values()),
        reference=[sympy.Integer(0)] * len(residuals),
        error=float(len(nonzero)),
        tolerance=0.0,
        detail=prose(
            "number of identities whose difference does not cancel to 0",
            (": ", _joined(nonzero, ", ")) if nonzero else (),
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
        detail=scaled_error((A, " and both losses"), "exact", "FD", FD_TOLERANCE),
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
            scaled_error((N, " and both derivatives"), "float64", "FD", MPMATH_TOLERANCE),
            "; the differences are good to about ",
            m(r"10^{-40}", "1e-40"),
            " relative",
        ),
    )
