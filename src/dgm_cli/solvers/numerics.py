"""Log-space helpers, so that no probability underflows on its way to a logarithm.

Thin names over NumPy and SciPy's stable kernels, used with one meaning
everywhere: ``log_sigmoid(h) = log σ(h)``, ``softplus(h) = log(1 + eʰ)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

LOG_2PI = math.log(2 * math.pi)


def log_sigmoid(h):
    """log σ(h) = −softplus(−h), exact in both tails (σ(−800) underflows, its log does not)."""
    return special.log_expit(h)


def softplus(h):
    """softplus(h) = log(1 + eʰ) = logaddexp(0, h); so log(1 − σ(h)) = −softplus(h)."""
    return np.logaddexp(0.0, h)


def sigmoid(h):
    """σ(h) = 1 / (1 + e⁻ʰ), without overflow for either sign."""
    return special.expit(h)


def logsumexp(a, axis=None, b=None):
    """log Σ b·eᵃ, shifted by the maximum so that nothing overflows."""
    return special.logsumexp(a, axis=axis, b=b)


def log_standard_normal(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) = −(n/2)·log 2π − ‖z‖²/2 over the last axis."""
    z = np.asarray(z, dtype=np.float64)
    # einsum forms ‖z‖² without the temporary z*z, and runs fast on transposed (column-major) batches
    return -0.5 * z.shape[-1] * LOG_2PI - 0.5 * np.einsum("...i,...i->...", z, z)
