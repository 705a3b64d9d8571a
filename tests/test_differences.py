"""Central differences with Richardson extrapolation (solvers/differences.py) against SciPy's
``scipy.differentiate.jacobian`` (the same order-8 scheme) and against exact derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.differentiate import jacobian as scipy_jacobian

from dgm_cli.solvers.differences import jacobian


def smooth_map(x, y, z):
    return np.array([x * np.exp(y), np.sin(x * z), np.log1p(y**2) + z**3])


def exact_jacobian(x, y, z):
    return np.array([
        [np.exp(y), x * np.exp(y), 0.0],
        [z * np.cos(x * z), 0.0, x * np.cos(x * z)],
        [0.0, 2 * y / (1 + y**2), 3 * z**2],
    ])


@pytest.mark.parametrize("point", [(0.3, -1.2, 2.0), (0.0, 0.0, 0.0), (5.0, 3.0, -7.0), (1e-3, 40.0, 0.5)])
def test_matches_exact_derivatives_and_scipy(point):
    point = np.array(point)
    ours = jacobian(smooth_map, point, 0.5)
    theirs = scipy_jacobian(lambda columns: smooth_map(*columns), point, initial_step=0.5)
    exact = exact_jacobian(*point)
    # Differences resolve an entry to the rounding of the whole row's values (e^40 beside 0 at the last point).
    scale = np.maximum(np.max(np.abs(exact), axis=1, keepdims=True), 1.0)
    # Order 8 from step 0.5 down: the error is near float64's rounding of the differences.
    assert np.max(np.abs(ours.df - exact) / scale) < 1e-8
    # The same scheme as SciPy's: the same estimates to rounding, and error estimates of the same size.
    assert np.max(np.abs(ours.df - theirs.df) / scale) < 1e-10
    assert np.all(np.abs(ours.df - exact) <= 10 * ours.error + 1e-12 * scale)


def test_error_estimate_is_honest_near_a_kink():
    """|x| differenced at 0.01 from its kink with a first step of 0.5: the estimate must not claim accuracy it lacks."""

    def kinked(x):
        return np.abs(x)[None, :]

    result = jacobian(kinked, np.array([0.01]), 0.5)
    actual = abs(result.df[0, 0] - 1.0)
    assert actual <= max(10 * result.error[0, 0], 1e-6)


def test_not_finite_differences_are_nan():
    def logarithm(x):
        return np.log(x)[None, :]

    result = jacobian(logarithm, np.array([0.1]), 0.5)  # the first stencil reaches log of a negative number
    assert np.isnan(result.df[0, 0])
