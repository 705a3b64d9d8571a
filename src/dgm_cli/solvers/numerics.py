"""Log-space helpers, so that no probability underflows on its way to a logarithm.

Thin names over NumPy's stable kernels (``logaddexp``: importing ``scipy.special``
costs a sixth of a short command), used with one meaning everywhere:
``log_sigmoid(h) = log σ(h)``, ``softplus(h) = log(1 + eʰ)``.
"""

from __future__ import annotations

import math

import numpy as np

LOG_2PI = math.log(2 * math.pi)


def log_sigmoid(h):
    """log σ(h) = −softplus(−h) = −logaddexp(0, −h), exact in both tails (σ(−800) underflows, its log does not)."""
    return -np.logaddexp(0.0, -np.asarray(h, dtype=np.float64))


def softplus(h):
    """softplus(h) = log(1 + eʰ) = logaddexp(0, h); so log(1 − σ(h)) = −softplus(h)."""
    return np.logaddexp(0.0, h)


def sigmoid(h):
    """σ(h) = 1 / (1 + e⁻ʰ) for h ≥ 0 and eʰ / (1 + eʰ) for h < 0: no overflow for either sign, and within an
    ulp or two (e^(log σ) would carry the rounding of log σ ≈ −h into σ, 1e-15 relative at h = −10)."""
    h = np.asarray(h, dtype=np.float64)
    e = np.exp(-np.abs(h))  # in (0, 1]: never overflows
    return np.where(h >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logsumexp(a, axis=None, b=None):
    """log Σ b·eᵃ, shifted by the maximum so that nothing overflows (−∞ when every term is 0)."""
    a = np.asarray(a, dtype=np.float64)
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    weights = np.exp(a - top) if b is None else np.asarray(b) * np.exp(a - top)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(weights, axis=axis, keepdims=True)) + top
    return np.squeeze(total, axis=axis) if axis is not None else total.reshape(())[()]


def log_standard_normal(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) = −(n/2)·log 2π − ‖z‖²/2 over the last axis."""
    z = np.asarray(z, dtype=np.float64)
    # einsum forms ‖z‖² without the temporary z*z, and runs fast on transposed (column-major) batches
    return -0.5 * z.shape[-1] * LOG_2PI - 0.5 * np.einsum("...i,...i->...", z, z)
