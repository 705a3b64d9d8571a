"""Two categorical distributions (Problem 3): D*, L(D*) and JSD in closed form, and their values to 30 digits.

The closed forms are sums over the categories of rationals times logs of primes, so that SymPy decides
L(D*) = log 4 − 2·JSD by collecting terms; their values come from the exact probabilities through sums of
nonnegative terms in mpmath, which cancel nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.distributions import Categorical

EXACT_WORKING_DIGITS = 40  # mpmath's working precision for the values of the closed forms: 30 digits and a margin

def category_indices(data: Categorical, gen: Categorical) -> np.ndarray:
    """0, 1, …, n − 1 as floats, n the larger of the two numbers of categories."""
    return np.arange(max(data.size, gen.size), dtype=np.float64)


@dataclass(frozen=True)
class ExactDiscrete:
    """Closed forms for two categorical distributions: D*, L(D*) and JSD as SymPy expressions in logs of rationals."""

    d_star: list[sympy.Rational | None]  # a Rational per category, None where p_data = p_g = 0
    loss_at_optimum: sympy.Expr
    jsd: sympy.Expr
    identity_holds: bool  # SymPy expands L(D*) − (log 4 − 2 JSD) to 0
    loss_value: float  # the closed forms' values, from the exact probabilities (see exact_discrete_values)
    jsd_value: float


def _bernoulli_divergence_exact(t: Fraction):
    """κ = ½((1 + t) log(1 + t) + (1 − t) log(1 − t)) for an exact t = 2D* − 1 ∈ [−1, 1], in mpmath.

    For |t| ≤ ½ as Σ t^(2k)/(2k(2k − 1)), k ≥ 1: positive terms, so t = 1e-300 gives 5e-601 to full precision
    where the closed form would cancel 600 digits away.
    """
    import mpmath

    x = mpmath.mpf(t.numerator) / t.denominator
    if abs(t) <= Fraction(1, 2):
        square, power, total, k = x * x, x * x, mpmath.mpf(0), 1
        while True:
            term = power / (2 * k * (2 * k - 1))
            total += term
            if term <= total * mpmath.mpf(10) ** (-EXACT_WORKING_DIGITS - 5):
                return total
            power *= square
            k += 1
    # 1 ± t from the exact t: t = −1 + 2e-300 would leave 1 + t = 0 at 40 digits.
    total = mpmath.mpf(0)
    for end in (1 + t, 1 - t):
        if end > 0:
            value = mpmath.mpf(end.numerator) / end.denominator
            total += value * mpmath.log(value)
    return total / 2


def _entropy_term_exact(a: Fraction):
    """−a log a for an exact a ∈ [0, 1] (0 at a = 0), with log1p near a = 1, in mpmath: never negative."""
    import mpmath

    if a == 0:
        return mpmath.mpf(0)
    x = mpmath.mpf(a.numerator) / a.denominator
    rest = 1 - a
    logarithm = mpmath.log1p(-mpmath.mpf(rest.numerator) / rest.denominator) if rest < Fraction(1, 2) else mpmath.log(x)
    return -x * logarithm


def exact_discrete_values(data: Categorical, gen: Categorical) -> tuple[float, float]:
    """L(D*) = Σ 2m_k·H(D*_k) and JSD = Σ m_k·κ_k from the exact probabilities, m_k = (p_k + q_k)/2: sums of
    nonnegative terms, evaluated by mpmath at EXACT_WORKING_DIGITS digits.

    The closed forms in logs of primes are sums of O(1) terms that cancel: for p_0 = 1e-400 against q_0 = 1e-300
    JSD is 3.5e-301, some 300 digits below its terms, where SymPy's evalf returned 2.8e-163. Written per
    category as a divergence of Bernoulli(D*) from Bernoulli(½), nothing cancels.
    """
    import mpmath

    with mpmath.workdps(EXACT_WORKING_DIGITS):
        loss, jsd = mpmath.mpf(0), mpmath.mpf(0)
        for k in range(max(data.size, gen.size)):
            p = data.probabilities[k] if k < data.size else Fraction(0)
            q = gen.probabilities[k] if k < gen.size else Fraction(0)
            if p + q == 0:
                continue
            mass = mpmath.mpf((p + q).numerator) / (2 * (p + q).denominator)
            d_star = p / (p + q)
            loss += 2 * mass * (_entropy_term_exact(d_star) + _entropy_term_exact(1 - d_star))
            jsd += mass * _bernoulli_divergence_exact(2 * d_star - 1)
        return float(loss), float(jsd)


def log_of_rational(value: sympy.Rational) -> sympy.Expr:
    """log r = Σ e·log(prime) over the factors of r > 0, so that sums of such logs collect by plain addition.

    Trial division only, up to 1e5: a cofactor left over stays as one log, the same one wherever the same number
    appears (no unbounded factoring of user-given 10,000-digit numbers).
    """
    total = sympy.Integer(0)
    for integer, sign in ((value.p, 1), (value.q, -1)):
        factors = sympy.factorint(integer, limit=10**5, use_rho=False, use_pm1=False, use_ecm=False)
        for prime, exponent in factors.items():
            total += sign * exponent * sympy.log(prime)
    return total


def exact_discrete(data: Categorical, gen: Categorical) -> ExactDiscrete:
    """Sums over the categories with 0·log 0 = 0: L = −Σ p log(p/(p+q)) − Σ q log(q/(p+q)) and
    JSD = ½Σ p log(2p/(p+q)) + ½Σ q log(2q/(p+q))."""
    loss, jsd = sympy.Integer(0), sympy.Integer(0)
    d_star: list[sympy.Rational | None] = []
    for k in range(max(data.size, gen.size)):
        p, q = data.probability(k), gen.probability(k)
        if p + q == 0:
            d_star.append(None)
            continue
        d_star.append(p / (p + q))
        if p > 0:
            loss -= p * log_of_rational(p / (p + q))
            jsd += p * log_of_rational(2 * p / (p + q)) / 2
        if q > 0:
            loss -= q * log_of_rational(q / (p + q))
            jsd += q * log_of_rational(2 * q / (p + q)) / 2
    loss, jsd = sympy.expand(loss), sympy.expand(jsd)
    # L and JSD were summed separately; log 4 − 2·JSD − L collects to 0 over the prime logs exactly when they agree.
    holds = sympy.expand(loss - (log_of_rational(sympy.Integer(4)) - 2 * jsd)) == 0
    return ExactDiscrete(d_star, loss, jsd, bool(holds), *exact_discrete_values(data, gen))


def float_discrete_sum(values: np.ndarray) -> float:
    """Σ values, correctly rounded (math.fsum): a sum over the categories that loses nothing to its order."""
    return math.fsum(values.tolist())
