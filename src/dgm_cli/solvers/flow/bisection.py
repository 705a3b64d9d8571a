"""Bisection on the float64 numbers themselves: a continuous strictly increasing function's root for each entry of
a column, from the whole float64 range down to two neighbouring floats in at most 64 halvings of their ordered
bit patterns (each float64 read as an int64 in the same order)."""

from __future__ import annotations

import numpy as np

_MAGNITUDE_BITS = np.int64(0x7FFF_FFFF_FFFF_FFFF)
_SIGN_BIT = np.int64(-0x8000_0000_0000_0000)
_LARGEST = float(np.finfo(np.float64).max)


def _float_keys(values: np.ndarray) -> np.ndarray:
    """Each float64 as an int64 in the same order (−0.0 just below +0.0): neighbouring floats, neighbouring keys."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    return np.where(bits < 0, -1 - (bits & _MAGNITUDE_BITS), bits)


def _key_floats(keys: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_float_keys`."""
    keys = np.asarray(keys, dtype=np.int64)
    bits = np.where(keys < 0, (-1 - keys) | _SIGN_BIT, keys)
    return np.ascontiguousarray(bits).view(np.float64)


BISECTION_STEPS = 64  # halvings of the 2^64 float64 keys: from the whole range to two neighbouring floats
_LOWEST_KEY = int(_float_keys(np.array([-_LARGEST]))[0])
_HIGHEST_KEY = int(_float_keys(np.array([_LARGEST]))[0])


def _first_key(values, target: np.ndarray, strict: bool) -> np.ndarray:
    """For each entry, the key of the smallest finite float64 v with f(v) >= target (> with ``strict``), for an
    increasing f given as ``values(keys)``; one past the largest float when there is none. A bisection on the keys:
    at most 64 halvings of the 2^64 of them."""
    low = np.full(target.shape, _LOWEST_KEY - 1, dtype=np.int64)  # −inf: never evaluated, taken as below
    high = np.full(target.shape, _HIGHEST_KEY + 1, dtype=np.int64)  # +inf: never evaluated, taken as above
    for _ in range(BISECTION_STEPS + 2):
        active = high - 1 > low
        if not active.any():
            break
        middle = (low >> 1) + (high >> 1) + (low & high & 1)  # no overflow of low + high
        f = values(middle)
        reached = (f > target) if strict else (f >= target)
        low = np.where(active & ~reached, middle, low)
        high = np.where(active & reached, middle, high)
    return high


def bisect_increasing(function, target: np.ndarray, full: bool = False):
    """The root of function(v) = target for each entry, for a continuous strictly increasing ``function``
    evaluated on whole columns: bisection on the float64 numbers themselves (their ordered bit patterns), from
    the whole float64 range down to neighbouring floats in at most 64 halvings.

    Where float64 evaluates f to exactly the target on a run of floats (f flat to float64's precision there:
    z³ + z⁵ near 0 underflows), the root is the middle of that run; otherwise, of the two neighbouring floats
    that bracket it, the one whose value is nearer. A root beyond float64's range is ±inf. NaN from
    ``function`` (∞ − ∞ far out) counts as the limit on that side.

    With ``full``, also returns the two neighbouring floats that bracket each root and where float64 could not
    tell which is nearer (f overflows next to the root: e^1000·tanh(z) at z = 5e-324), for a caller to decide
    with extended precision.
    """
    target = np.asarray(target, dtype=np.float64)

    def values(keys):
        v = _key_floats(keys)
        with np.errstate(all="ignore"):
            f = np.asarray(function(v), dtype=np.float64)
        return np.where(np.isnan(f), np.where(v > 0, np.inf, -np.inf), f)

    reach = _first_key(values, target, strict=False)  # the first float at which f >= x
    past = _first_key(values, target, strict=True)  # the first float at which f > x
    last = past - 1  # the last float at which f <= x
    reach_c, last_c = np.clip(reach, _LOWEST_KEY, _HIGHEST_KEY), np.clip(last, _LOWEST_KEY, _HIGHEST_KEY)
    start, stop = _key_floats(reach_c), _key_floats(last_c)
    middle = start / 2 + stop / 2  # a run of floats at which f = x exactly (no overflow at the largest floats)
    below = _key_floats(np.clip(reach_c - 1, _LOWEST_KEY, _HIGHEST_KEY))
    with np.errstate(all="ignore"):
        gap_above = values(reach_c) - target
        gap_below = target - values(np.clip(reach_c - 1, _LOWEST_KEY, _HIGHEST_KEY))
    nearer = np.where(gap_above <= gap_below, start, below)
    root = np.where(reach <= last, middle, nearer)
    root = np.where(reach > _HIGHEST_KEY, np.inf, root)  # f stays below x up to the largest float
    root = np.where(last < _LOWEST_KEY, -np.inf, root)  # f is above x already at the lowest float
    # f at the lowest float already reaching x (and above it): the root lies below float64's range
    with np.errstate(all="ignore"):
        starts_above = (reach == _LOWEST_KEY) & (values(np.full(target.shape, _LOWEST_KEY)) > target)
    root = np.where(starts_above, -np.inf, root)
    if not full:
        return root + 0.0  # −0.0 as 0.0
    unresolved = (reach > last) & ~(np.isfinite(gap_above) & np.isfinite(gap_below)) & np.isfinite(root)
    return root + 0.0, below + 0.0, start + 0.0, unresolved
