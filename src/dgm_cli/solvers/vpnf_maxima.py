"""Problem 2's bounds as float functions of ε, and their maxima by Brent's bounded method (SciPy's, restated).

For a flow with |det ∂f/∂z| = c, δ ≥ ε(1 − min(1, vol(A))), vol(A) = c·π·max(r², 0) with
r² = 2 log(1/(2πc(h − ε))); for every c at once δ ≥ ε(1 − min(1, 1/(e(h − ε)))); Pinsker gives KL ≥ 2δ².
These are the curves of the figure and the functions that the checks maximise numerically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

BRENT_MAX_EVALUATIONS = 500  # scipy.optimize.minimize_scalar's default for method="bounded"


def volume_A_for_det(c: float, threshold: float) -> float:
    """vol(A) = c·π·max(r², 0), r² = 2 log(1/(2π c (h − ε))): A is empty when r² ≤ 0."""
    r_squared = -2.0 * math.log(2 * math.pi * c * threshold)
    return c * math.pi * max(r_squared, 0.0)


def tv_lower_bound_for_det(eps: float, plateau: float, c: float) -> float:
    """δ ≥ ε·(1 − min(1, vol(A))) for flows with |det| = c: part (a) when A = ∅, part (c) otherwise."""
    return eps * (1.0 - min(1.0, volume_A_for_det(c, plateau - eps)))


def tv_lower_bound_every_det(eps: float, plateau: float) -> float:
    """δ ≥ ε·(1 − min(1, 1/(e(h − ε)))): the worst case over c, valid for every constant-det flow."""
    return eps * (1.0 - min(1.0, 1.0 / (math.e * (plateau - eps))))


def pinsker_kl_lower_bound(tv: float) -> float:
    """Pinsker: δ ≤ √(KL/2), so KL ≥ 2δ² (δ the supremum over events, without a factor ½)."""
    return 2.0 * tv * tv


def positive_eps_range(plateau: float, c: float | None) -> float:
    """The right end of the ε range where the bound is positive (it is 0 beyond): vol(A)'s bound reaches 1 there.

    Every c: 1/(e(h − ε)) = 1 at ε = h − 1/e. One c: 2πc·log(1/(2πc(h − ε))) = 1 at
    ε = h − e^(−1/(2πc))/(2πc). A value ≤ 0 means no ε gives a positive bound.
    """
    if c is None:
        return plateau - 1.0 / math.e
    return plateau - math.exp(-1.0 / (2 * math.pi * c)) / (2 * math.pi * c)


def _sign_or_one(value: float) -> float:
    """NumPy's sign(value) + (value == 0): ±1, and 1 at 0."""
    if value != value:  # NaN stays NaN, as in NumPy
        return value
    return 1.0 if value >= 0.0 else -1.0


# Brent's constants as SciPy spells them: its √(machine ε) and the golden section's (3 − √5)/2.
_SQRT_EPS = math.sqrt(2.2e-16)
_GOLDEN_MEAN = 0.5 * (3.0 - math.sqrt(5.0))


@dataclass
class _Brent:
    """The state of Brent's bounded method, in SciPy's names: the bracket [a, b]; the best point so far xf, the
    second best nfc and the third fulc, with their values; ``rat`` the last step and ``e`` the one before."""

    a: float
    b: float
    xf: float
    fx: float
    nfc: float
    fnfc: float
    fulc: float
    ffulc: float
    rat: float = 0.0
    e: float = 0.0

    def next_point(self, xm: float, tol1: float, tol2: float) -> float:
        """The next point to evaluate: a parabolic step when one is acceptable, else a golden-section step into the
        larger part of the bracket; never closer than tol1 to the best point."""
        golden = True
        if abs(self.e) > tol1:
            golden = not self._parabolic_step(xm, tol1, tol2)
        if golden:
            self.e = (self.a - self.xf) if self.xf >= xm else (self.b - self.xf)
            self.rat = _GOLDEN_MEAN * self.e
        return self.xf + _sign_or_one(self.rat) * max(abs(self.rat), tol1)

    def _parabolic_step(self, xm: float, tol1: float, tol2: float) -> bool:
        """The step to the vertex of the parabola through the three best points, if it falls inside the bracket and
        is less than half the step before last; False when it is not acceptable."""
        xf, fx = self.xf, self.fx
        r = (xf - self.nfc) * (fx - self.ffulc)
        q = (xf - self.fulc) * (fx - self.fnfc)
        p = (xf - self.fulc) * q - (xf - self.nfc) * r
        q = 2.0 * (q - r)
        if q > 0.0:
            p = -p
        q = abs(q)
        r = self.e
        self.e = self.rat
        if not (abs(p) < abs(0.5 * q * r) and p > q * (self.a - xf) and p < q * (self.b - xf)):
            return False
        self.rat = (p + 0.0) / q
        x = xf + self.rat
        if (x - self.a) < tol2 or (self.b - x) < tol2:  # too close to an end of the bracket: a minimal step
            self.rat = tol1 * _sign_or_one(xm - xf)
        return True

    def update(self, x: float, fu: float) -> None:
        """Shrink the bracket around the best point after evaluating f(x) = fu, and rank x among the three."""
        if fu <= self.fx:
            if x >= self.xf:
                self.a = self.xf
            else:
                self.b = self.xf
            self.fulc, self.ffulc = self.nfc, self.fnfc
            self.nfc, self.fnfc = self.xf, self.fx
            self.xf, self.fx = x, fu
            return
        if x < self.xf:
            self.a = x
        else:
            self.b = x
        if (fu <= self.fnfc) or (self.nfc == self.xf):
            self.fulc, self.ffulc = self.nfc, self.fnfc
            self.nfc, self.fnfc = x, fu
        elif (fu <= self.ffulc) or (self.fulc == self.xf) or (self.fulc == self.nfc):
            self.fulc, self.ffulc = x, fu


def minimize_bounded(f: Callable[[float], float], low: float, high: float, xatol: float) -> tuple[float, float]:
    """The minimiser of f on [low, high] and f there, by Brent's bounded method (golden section and parabolic steps).

    scipy.optimize.minimize_scalar(method="bounded") restated: SciPy 1.17's _minimize_scalar_bounded, operation for
    operation and in the same order, so that it returns the same floats (tests/test_vpnf_quadrature.py compares them
    bit for bit). Importing scipy.optimize costs ~0.3 s of CPU, as much as the rest of the run; the algorithm is
    these few lines (Brent, "Algorithms for Minimization without Derivatives", 1973, ch. 5).
    """
    start = low + _GOLDEN_MEAN * (high - low)
    value = f(start)
    brent = _Brent(low, high, start, value, start, value, start, value)
    evaluations = 1
    while evaluations < BRENT_MAX_EVALUATIONS:
        xm = 0.5 * (brent.a + brent.b)
        tol1 = _SQRT_EPS * abs(brent.xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        if not abs(brent.xf - xm) > (tol2 - 0.5 * (brent.b - brent.a)):  # the bracket is small enough
            break
        x = brent.next_point(xm, tol1, tol2)
        brent.update(x, f(x))
        evaluations += 1
    return brent.xf, brent.fx


# --------------------------------------------------------------------------- the best ε


def maximize_bound(plateau: float, c: float | None) -> tuple[float, float]:
    """The ε that maximises the bound on δ (every c when c is None, else that c), and the bound there.

    Brent's bounded method (:func:`minimize_bounded`) on the ε range where the bound is positive (it is flat 0
    beyond, where a bracketing search would stall); (0, 0) when that range is empty.
    """
    end = min(positive_eps_range(plateau, c), plateau)
    if end <= 0.0:
        return 0.0, 0.0

    def bound(e: float) -> float:
        return tv_lower_bound_every_det(e, plateau) if c is None else tv_lower_bound_for_det(e, plateau, c)

    found_eps, found_value = minimize_bounded(lambda e: -bound(e), 0.0, end, 1e-12 * end)
    return float(found_eps), float(-found_value)
