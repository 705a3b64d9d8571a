"""One distribution language for ``--base``, ``--data`` and ``--gen``: ``normal``, ``logistic(0, 2)``,
``mixture(0.3*normal(0,1), 0.7*normal(3,0.5))``, ``categorical(0.2, 0.8)``.

Three parts:

- the DISTRIBUTIONS: one small frozen class per family (normal, uniform, logistic, laplace, mixture,
  categorical), each implementing the :class:`Distribution` protocol: exact (Fraction) parameters, a
  vectorised float64 ``log_pdf`` (−∞ off the support), sampling from a NumPy Generator, its support, its exact
  SymPy density, the density of n independent coordinates (what a flow's base is), its spec as text and as
  inline mathematics. The continuous ones add what quadrature needs (kinks, landmarks, bulk);
- the PAIR: log p_data − log p_g formed term against term, without cancellation (:class:`DensityPair`);
- the PARSER: a tokenizer and a recursive-descent parser of our own small grammar, numbers read exactly by
  :func:`dgm_cli.parsing.parse_number`, family names from a whitelist. Nothing here calls ``eval``, ``exec``
  or SymPy's parser: those run Python.

Grammar (whitespace is ignored; names are case-insensitive)::

    spec         := distribution END
    distribution := FAMILY ['(' parameters ')']      normal, uniform, logistic, laplace (alone: their defaults)
                  | 'categorical' '(' parameters ')'
                  | 'mixture' '(' component (',' component)* ')'
    component    := NUMBER '*' distribution
    parameters   := NUMBER (',' NUMBER)*
    NUMBER       := what parse_number reads: 2, -0.5, 1e-3, 1/3

Every error is an :class:`InputError` naming the option and the problem, so the CLI prints one line and
exits 2. NumPy, SymPy and mpmath are imported inside the methods that need them, so that parsing stays light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, overload, runtime_checkable

from dgm_cli.derivation import Math, Prose, m
from dgm_cli.errors import InputError
from dgm_cli.parsing import MAX_TEXT_LENGTH, MINUS_LOOKALIKES, NUMBER, parse_number

if TYPE_CHECKING:  # NumPy and SymPy load only where arrays and expressions are built, never at import
    import numpy as np
    import sympy
    from numpy.typing import ArrayLike

Size = int | tuple[int, ...]  # what NumPy's samplers take: a count, or a shape
Interval = tuple[Fraction | None, Fraction | None]  # a closed interval; None for an infinite end

KNOWN_NAMES = ("normal", "uniform", "logistic", "laplace", "mixture", "categorical")
MAX_DEPTH = 32  # nesting of parentheses; mixtures of mixtures deeper than this are not a real use
MAX_COMPONENTS = 100  # mixture components after flattening nested mixtures
MAX_CATEGORIES = 10_000
SUM_TOLERANCE = Fraction(1, 10**9)  # |Σ p − 1| allowed; within it the weights are renormalised exactly
# Quadrature in float64 must resolve every distribution of --data and --gen: locations within ±1e9, and a scale
# (σ, s, b, width) no smaller than 1e-9 of max(1, |location|), so that nodes across the bulk are distinct floats.
LOCATION_LIMIT = Fraction(10**9)
MAX_SCALE = Fraction(10**9)
RELATIVE_SCALE = Fraction(1, 10**9)
LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
LOG_2PI = math.log(2 * math.pi)
_NORMAL_LANDMARKS = tuple(Fraction(k) for k in ("-8", "-5", "-3", "-3/2", "0", "3/2", "3", "5", "8"))
# Laplace and logistic tails both fall as e^−|t|: beyond ±36 scales lies e^−36 ≈ 2.3e-16 (2e^−36 for the logistic)
_EXPONENTIAL_TAIL_LANDMARKS = tuple(Fraction(k) for k in (-36, -14, -8, -4, -1, 0, 1, 4, 8, 14, 36))


LONG_NUMBER = 24  # characters: a terminating decimal longer than this is written in scientific notation


def format_fraction(value: Fraction) -> str:
    """An exact number as a user would type it: 2, -0.5, 0.125, 1/3; 1e+308, 1.5e-300 when the digits run long."""
    text = _plain_fraction(value)
    if len(text) <= LONG_NUMBER:
        return text
    scientific = _scientific(value)
    if scientific is not None and len(scientific) < len(text):
        return scientific
    # a long fraction that no decimal ends (a renormalised 1/2000…0001): 15 significant digits, not 600
    return approximate(value, 15) if value.denominator != 1 else text


def _scientific(value: Fraction) -> str | None:
    """A terminating decimal exactly, as d.ddde±N (all its significant digits); None if it does not terminate."""
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        return None
    shift = max(twos, fives)
    digits = abs(value.numerator) * 10**shift // value.denominator  # value = ±digits · 10^−shift exactly
    text = str(digits)
    stripped = text.rstrip("0")
    exponent = len(text) - 1 - shift
    mantissa = stripped[0] + ("." + stripped[1:] if len(stripped) > 1 else "")
    return f"{'-' if value < 0 else ''}{mantissa}e{exponent:+d}"


def short_number(value: Fraction) -> str:
    """A number for an error message: exact when short (12 characters), else 3 significant digits (1e+400)."""
    text = format_fraction(value)
    return text if len(text) <= 12 else approximate(value, 3)


def _plain_fraction(value: Fraction) -> str:
    """2, -0.5, 0.125, 1/3: a terminating decimal in positional notation, any other number as p/q."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    digits = max(twos, fives)
    if denominator != 1 or digits > 20:
        return f"{value.numerator}/{value.denominator}"
    scaled = abs(value.numerator) * 10**digits // value.denominator
    whole, fraction = divmod(scaled, 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{str(fraction).rjust(digits, '0').rstrip('0')}"


def approximate(value: Fraction, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, scientific beyond float64's range (1e400 stays 1e+400)."""
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value.numerator)) - math.log10(value.denominator))
    if -300 < exponent < 300:
        return f"{float(value):.{digits}g}"
    mantissa = value / Fraction(10) ** exponent  # within [1, 10) up to the rounding of log10
    return f"{float(mantissa):.{digits}g}e{exponent:+d}"


def log_fraction(value: Fraction) -> float:
    """log of an exact positive number: of its float when that is a normal float (one rounding), else from its
    numerator and denominator, finite even for 1e-400 (whose logs of 400-digit integers cancel to ε·921).

    The pair tables of :class:`DensityPair` are built with it; :func:`rounded_log` is the correctly rounded one.
    """
    if Fraction(1, 10**300) < value < 10**300:
        return math.log(float(value))
    return math.log(value.numerator) - math.log(value.denominator)


@lru_cache(maxsize=256)
def rounded_log(value: Fraction) -> float:
    """log of an exact positive number, correctly rounded to float64 (30 digits of mpmath, then one rounding):
    log 0.3 from 3/10 itself, not from the float nearest 0.3; finite for 1e-400 and 1e400."""
    import mpmath

    with mpmath.workdps(30):
        return float(mpmath.log(mp_fraction(value)))


def mp_fraction(value: Fraction):
    """An exact number as an mpmath number at the current precision."""
    import mpmath

    return mpmath.mpf(int(value.numerator)) / int(value.denominator)


def _show(value: Fraction) -> str:
    """A number for an error message: exact when short, else 6 significant digits."""
    text = format_fraction(value)
    return text if len(text) <= 12 else approximate(value)


def latex_number(value: Fraction) -> str:
    """An exact number in math-mode LaTeX, spelled as :func:`format_fraction` spells it: 2, -0.5, \\tfrac{1}{3}."""
    text = format_fraction(value)
    if "/" not in text:
        return text
    numerator, denominator = text.lstrip("-").split("/")
    return ("-" if value < 0 else "") + rf"\tfrac{{{numerator}}}{{{denominator}}}"


def _spec_math(name: str, values: tuple[Fraction, ...]) -> Math:
    """``name(v1, v2, …)`` as inline mathematics: the spec as the user wrote it, exactly."""
    latex = ", ".join(latex_number(v) for v in values)
    text = ", ".join(format_fraction(v) for v in values)
    return m(rf"\operatorname{{{name}}}({latex})", f"{name}({text})")


# Above this many categories or mixture components, a derivation names the distribution in words.
SPELLED_OUT_TERMS = 12


def describe(distribution: Distribution) -> Prose:
    """The distribution for a derivation's prose: its spec as inline mathematics, or in words when it is long."""
    if isinstance(distribution, Categorical) and distribution.size > SPELLED_OUT_TERMS:
        return ("a categorical distribution on ", distribution.size, " categories")
    if isinstance(distribution, Mixture) and len(distribution.components) > SPELLED_OUT_TERMS:
        return ("a mixture of ", len(distribution.components), " components")
    return (distribution.math(),)


def _sympy_number(value: Fraction) -> sympy.Rational:
    import sympy

    return sympy.Rational(value.numerator, value.denominator)


def _within(value: Any, low: Fraction, high: Fraction) -> bool:
    """low ≤ value ≤ high for an exact SymPy number (evaluated to 30 digits where SymPy cannot decide), an
    mpmath number (against the ends at the current precision), or a Fraction, int or float (exactly)."""
    if isinstance(value, (Fraction, int, float)):
        return low <= Fraction(value) <= high
    if hasattr(value, "is_number"):  # SymPy
        try:
            return bool(_sympy_number(low) <= value) and bool(value <= _sympy_number(high))
        except TypeError:  # a comparison SymPy cannot decide exactly
            return float(low) <= float(value.evalf(30)) <= float(high)
    return bool(mp_fraction(low) <= value <= mp_fraction(high))


# --------------------------------------------------------------------------- the protocol


@runtime_checkable
class Distribution(Protocol):
    """What every family offers. ``str(d)`` is its spec as a user types it (``normal(0, 1)``).

    The one-dimensional density p is :meth:`log_pdf` (float64, vectorised) and :meth:`density` (exact, SymPy);
    the ``iid_`` methods are the density of n independent coordinates each distributed as p, p(z1)·…·p(zn),
    which is what a flow's base distribution is.
    """

    family: ClassVar[str]  # normal, uniform, logistic, laplace, mixture, categorical

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        """The exact parameters, in the order the spec writes them."""
        ...

    def math(self) -> Math:
        """The spec as inline mathematics, for a derivation's prose."""
        ...

    def words(self) -> Prose:
        """The distribution in words, for a sentence: "the Laplace distribution with location 1 and scale 2"."""
        ...

    def support(self) -> tuple[float, float]:
        """The smallest closed interval holding the support, in float64 (±∞ for an unbounded end)."""
        ...

    def support_intervals(self) -> tuple[Interval, ...]:
        """The support exactly, as disjoint closed intervals in increasing order (None for an infinite end)."""
        ...

    def contains(self, value: Any) -> bool:
        """Whether a point (exact SymPy number, mpmath number, Fraction or float) lies in the support."""
        ...

    def centre(self) -> Fraction:
        """A point of largest density (the mode; a mixture's heaviest component's), inside the support."""
        ...

    def mean(self) -> Fraction:
        """The mean, exactly."""
        ...

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log p at each point, float64, elementwise; −∞ off the support."""
        ...

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        """Independent draws, of the shape ``size``."""
        ...

    def density(self, x: sympy.Expr) -> sympy.Expr:
        """p(x) exactly, a SymPy expression in x (0 off the support)."""
        ...

    def log_density(self, x: sympy.Expr) -> sympy.Expr:
        """log p(x) exactly, inside the support."""
        ...

    def iid_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """p(z1)·…·p(zn) exactly, for z inside the support."""
        ...

    def iid_log_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """log p(z1) + … + log p(zn) exactly, for z inside the support."""
        ...

    def iid_log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        """log p(z1) + … + log p(zn) in mpmath at the current precision, for z inside the support; no overflow."""
        ...


# --------------------------------------------------------------------------- the families


def _exact_pair(first: Fraction, second: Fraction) -> tuple[sympy.Rational, sympy.Rational]:
    return _sympy_number(first), _sympy_number(second)


class _OnTheWholeLine:
    """What normal, logistic and Laplace have in common: a location μ, the centre and mean of a density positive on
    all of ℝ."""

    mu: Fraction
    family: ClassVar[str]

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        raise NotImplementedError

    def math(self) -> Math:
        return _spec_math(self.family, self.parameters)

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def support_intervals(self) -> tuple[Interval, ...]:
        return ((None, None),)

    def contains(self, value: Any) -> bool:
        return True

    def centre(self) -> Fraction:
        return self.mu

    def mean(self) -> Fraction:
        return self.mu


@dataclass(frozen=True)
class Normal(_OnTheWholeLine):
    """N(μ, σ²): p(x) = exp(−(x − μ)²/(2σ²)) / (σ√(2π))."""

    mu: Fraction
    sigma: Fraction
    family: ClassVar[str] = "normal"

    def __str__(self) -> str:
        return f"normal({format_fraction(self.mu)}, {format_fraction(self.sigma)})"

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        return (self.mu, self.sigma)

    def words(self) -> Prose:
        mu, sigma = _exact_pair(self.mu, self.sigma)
        return ("the normal distribution with mean ", mu, " and standard deviation ", sigma)

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log p(x) = −log σ − log(2π)/2 − u²/2, u = (x − μ)/σ; log σ from the exact σ (finite for σ = 1e-400)."""
        import numpy as np

        with np.errstate(all="ignore"):
            u = (np.asarray(x, dtype=np.float64) - float(self.mu)) / float(self.sigma)
            return -rounded_log(self.sigma) - 0.5 * LOG_2PI - 0.5 * u * u

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        return rng.normal(float(self.mu), float(self.sigma), size)

    def density(self, x: sympy.Expr) -> sympy.Expr:
        return self.iid_density([x])

    def log_density(self, x: sympy.Expr) -> sympy.Expr:
        return self.iid_log_density([x])

    def iid_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """exp(−Σ(zᵢ − μ)²/(2σ²)) / ((2π)^(n/2) σⁿ); for N(0, 1), exp(−‖z‖²/2) / (2π)^(n/2)."""
        import sympy

        n = len(latents)
        mu, sigma = _exact_pair(self.mu, self.sigma)
        squared = sum((c - mu) ** 2 for c in latents)
        return sympy.exp(-squared / (2 * sigma**2)) / ((2 * sympy.pi) ** sympy.Rational(n, 2) * sigma**n)

    def iid_log_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        n = len(latents)
        mu, sigma = _exact_pair(self.mu, self.sigma)
        return (-sympy.Rational(n, 2) * sympy.log(2 * sympy.pi) - n * sympy.log(sigma)
                - sum((c - mu) ** 2 for c in latents) / (2 * sigma**2))

    def iid_log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        import mpmath

        n = len(latents)
        mu, sigma = mp_fraction(self.mu), mp_fraction(self.sigma)
        squares = mpmath.fsum(((c - mu) / sigma) ** 2 for c in latents)
        return -n * (mpmath.log(2 * mpmath.pi) / 2 + mpmath.log(sigma)) - squares / 2

    def kinks(self) -> list[Fraction]:
        """Where log p is not smooth: nowhere."""
        return []

    def landmarks(self) -> list[Fraction]:
        """μ + kσ, exactly: quadrature breakpoints that resolve the bell at any scale; ±8σ leaves < 1.3e-15 outside.

        Exact, so that a point two components share is one knot, and a piece can be integrated in coordinates
        relative to an exact knot (no rounding of μ = 1e9 against σ = 1).
        """
        return [self.mu + k * self.sigma for k in _NORMAL_LANDMARKS]

    def bulk(self) -> list[tuple[float, float]]:
        """μ ± 5σ: all but 5.7e-7 of the mass."""
        mu, sigma = float(self.mu), float(self.sigma)
        return [(mu - 5 * sigma, mu + 5 * sigma)]

    def log_density_degree(self) -> int | None:
        """log p is a polynomial of degree 2 in x."""
        return 2


STANDARD_NORMAL = Normal(Fraction(0), Fraction(1))


@dataclass(frozen=True)
class Uniform:
    """U(a, b): p(x) = 1/(b − a) on [a, b], 0 elsewhere."""

    a: Fraction
    b: Fraction
    family: ClassVar[str] = "uniform"

    def __str__(self) -> str:
        return f"uniform({format_fraction(self.a)}, {format_fraction(self.b)})"

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        return (self.a, self.b)

    def math(self) -> Math:
        return _spec_math("uniform", self.parameters)

    def words(self) -> Prose:
        a, b = _exact_pair(self.a, self.b)
        return ("the uniform distribution between ", a, " and ", b)

    def support(self) -> tuple[float, float]:
        return (float(self.a), float(self.b))

    def support_intervals(self) -> tuple[Interval, ...]:
        return ((self.a, self.b),)

    def contains(self, value: Any) -> bool:
        return _within(value, self.a, self.b)

    def centre(self) -> Fraction:
        return (self.a + self.b) / 2

    def mean(self) -> Fraction:
        return (self.a + self.b) / 2

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """−log(b − a) on [a, b], −∞ outside; the log of the exact width (finite for a width beyond float64)."""
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        inside = (x >= float(self.a)) & (x <= float(self.b))
        return np.where(inside, -rounded_log(self.b - self.a), -np.inf)

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        low, high = float(self.a), float(self.b)
        if math.isfinite(high - low):
            return rng.uniform(low, high, size)
        u = rng.random(size)  # a width beyond float64 (uniform(-1e308, 1e308)): interpolate instead
        return low * (1 - u) + high * u

    def density(self, x: sympy.Expr) -> sympy.Expr:
        import sympy

        a, b = _exact_pair(self.a, self.b)
        return sympy.Piecewise((1 / (b - a), (x >= a) & (x <= b)), (0, True))

    def log_density(self, x: sympy.Expr) -> sympy.Expr:
        return self.iid_log_density([x])

    def iid_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """1/(b − a)ⁿ inside [a, b]ⁿ."""
        a, b = _exact_pair(self.a, self.b)
        return 1 / (b - a) ** len(latents)

    def iid_log_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        a, b = _exact_pair(self.a, self.b)
        return -len(latents) * sympy.log(b - a)

    def iid_log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        import mpmath

        return -len(latents) * mpmath.log(mp_fraction(self.b) - mp_fraction(self.a))

    def kinks(self) -> list[Fraction]:
        """Where log p is not smooth: the two ends."""
        return [self.a, self.b]

    def landmarks(self) -> list[Fraction]:
        return self.kinks()

    def bulk(self) -> list[tuple[float, float]]:
        return [(float(self.a), float(self.b))]

    def log_density_degree(self) -> int | None:
        """log p is constant on [a, b]."""
        return 0


@dataclass(frozen=True)
class Logistic(_OnTheWholeLine):
    """Logistic(μ, s): p(x) = e^(−u) / (s (1 + e^(−u))²) = σ(u)·σ(−u)/s, u = (x − μ)/s."""

    mu: Fraction
    s: Fraction
    family: ClassVar[str] = "logistic"

    def __str__(self) -> str:
        return f"logistic({format_fraction(self.mu)}, {format_fraction(self.s)})"

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        return (self.mu, self.s)

    def words(self) -> Prose:
        mu, s = _exact_pair(self.mu, self.s)
        return ("the logistic distribution with location ", mu, " and scale ", s)

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log p(x) = log σ(u) + log σ(−u) − log s = −softplus(−u) − softplus(u) − log s, exact in both tails."""
        import numpy as np

        with np.errstate(all="ignore"):
            u = (np.asarray(x, dtype=np.float64) - float(self.mu)) / float(self.s)
            return -np.logaddexp(0.0, -u) + -np.logaddexp(0.0, u) - rounded_log(self.s)

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        return rng.logistic(float(self.mu), float(self.s), size)

    def density(self, x: sympy.Expr) -> sympy.Expr:
        return self.iid_density([x])

    def log_density(self, x: sympy.Expr) -> sympy.Expr:
        return self.iid_log_density([x])

    def iid_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        mu, s = _exact_pair(self.mu, self.s)
        return sympy.Mul(*[sympy.exp(-(c - mu) / s) / (s * (1 + sympy.exp(-(c - mu) / s)) ** 2) for c in latents])

    def iid_log_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        mu, s = _exact_pair(self.mu, self.s)
        return sum(-(c - mu) / s - sympy.log(s) - 2 * sympy.log(1 + sympy.exp(-(c - mu) / s)) for c in latents)

    def iid_log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        """Σ log σ(u) + log σ(−u) − log s, with log σ(u) + log σ(−u) = −|u| − 2·log(1 + e^(−|u|)): stable at any |u|."""
        import mpmath

        mu, s = mp_fraction(self.mu), mp_fraction(self.s)
        terms = []
        for c in latents:
            u = abs((c - mu) / s)
            tail = mpmath.exp(-u) if u < 2**40 else mpmath.mpf(0)
            terms.append(-u - 2 * mpmath.log1p(tail) - mpmath.log(s))
        return mpmath.fsum(terms)

    def kinks(self) -> list[Fraction]:
        """Where log p is not smooth: nowhere."""
        return []

    def landmarks(self) -> list[Fraction]:
        """μ + ks, exactly; ±36s leaves 2e^−36 ≈ 4.6e-16 outside."""
        return [self.mu + k * self.s for k in _EXPONENTIAL_TAIL_LANDMARKS]

    def bulk(self) -> list[tuple[float, float]]:
        """μ ± 15s: all but 2/(1 + e^15) ≈ 6.1e-7 of the mass."""
        mu, s = float(self.mu), float(self.s)
        return [(mu - 15 * s, mu + 15 * s)]

    def log_density_degree(self) -> int | None:
        """log p is no polynomial (−|u| − 2·log(1 + e^(−|u|)))."""
        return None


@dataclass(frozen=True)
class Laplace(_OnTheWholeLine):
    """Laplace(μ, b): p(x) = exp(−|x − μ|/b) / (2b)."""

    mu: Fraction
    b: Fraction
    family: ClassVar[str] = "laplace"

    def __str__(self) -> str:
        return f"laplace({format_fraction(self.mu)}, {format_fraction(self.b)})"

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        return (self.mu, self.b)

    def words(self) -> Prose:
        mu, b = _exact_pair(self.mu, self.b)
        return ("the Laplace distribution with location ", mu, " and scale ", b)

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log p(x) = −log 2 − log b − |x − μ|/b."""
        import numpy as np

        with np.errstate(all="ignore"):
            distance = np.abs(np.asarray(x, dtype=np.float64) - float(self.mu))
            return -math.log(2) - rounded_log(self.b) - distance / float(self.b)

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        return rng.laplace(float(self.mu), float(self.b), size)

    def density(self, x: sympy.Expr) -> sympy.Expr:
        return self.iid_density([x])

    def log_density(self, x: sympy.Expr) -> sympy.Expr:
        return self.iid_log_density([x])

    def iid_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """exp(−Σ|zᵢ − μ|/b) / (2b)ⁿ."""
        import sympy

        mu, b = _exact_pair(self.mu, self.b)
        return sympy.exp(-sum(sympy.Abs(c - mu) for c in latents) / b) / (2 * b) ** len(latents)

    def iid_log_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        mu, b = _exact_pair(self.mu, self.b)
        return -len(latents) * sympy.log(2 * b) - sum(sympy.Abs(c - mu) for c in latents) / b

    def iid_log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        import mpmath

        mu, b = mp_fraction(self.mu), mp_fraction(self.b)
        return -len(latents) * mpmath.log(2 * b) - mpmath.fsum(abs(c - mu) for c in latents) / b

    def kinks(self) -> list[Fraction]:
        """Where log p is not smooth: the mode."""
        return [self.mu]

    def landmarks(self) -> list[Fraction]:
        """μ + kb, exactly; ±36b leaves e^−36 ≈ 2.3e-16 outside."""
        return [self.mu + k * self.b for k in _EXPONENTIAL_TAIL_LANDMARKS]

    def bulk(self) -> list[tuple[float, float]]:
        """μ ± 14b: all but e^−14 ≈ 8.3e-7 of the mass."""
        mu, b = float(self.mu), float(self.b)
        return [(mu - 14 * b, mu + 14 * b)]

    def log_density_degree(self) -> int | None:
        """log p is linear on each side of μ."""
        return 1


Component = Normal | Uniform | Logistic | Laplace  # what a mixture mixes (nested mixtures are flattened)


def _merged(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """The union of closed intervals as disjoint ones in increasing order."""
    def low_key(interval: Interval) -> tuple[int, Fraction]:
        return (0, Fraction(0)) if interval[0] is None else (1, interval[0])

    merged: list[Interval] = []
    for low, high in sorted(intervals, key=low_key):
        if merged:
            last_low, last_high = merged[-1]
            if last_high is None or (low is not None and low <= last_high):
                merged[-1] = (last_low, None if last_high is None or high is None else max(last_high, high))
                continue
        merged.append((low, high))
    return tuple(merged)


@dataclass(frozen=True)
class Mixture:
    """Σ wᵢ pᵢ(x) over continuous components, weights positive and summing to 1 (nested mixtures flattened)."""

    weights: tuple[Fraction, ...]
    components: tuple[Component, ...]
    family: ClassVar[str] = "mixture"

    def __str__(self) -> str:
        parts = ", ".join(f"{format_fraction(w)}*{c}" for w, c in zip(self.weights, self.components))
        return f"mixture({parts})"

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        """Each weight followed by its component's parameters."""
        return tuple(p for w, c in zip(self.weights, self.components) for p in (w, *c.parameters))

    def math(self) -> Math:
        """Each weight times its component."""
        parts = [(latex_number(w), c.math(), format_fraction(w)) for w, c in zip(self.weights, self.components)]
        latex = ", ".join(rf"{w} \cdot {c.latex}" for w, c, _ in parts)
        text = ", ".join(f"{w}·{c.text}" for _, c, w in parts)
        return m(rf"\operatorname{{mixture}}({latex})", f"mixture({text})")

    def words(self) -> Prose:
        return ("the mixture ", *describe(self)) if len(self.components) <= SPELLED_OUT_TERMS else describe(self)

    def support(self) -> tuple[float, float]:
        bounds = [c.support() for c in self.components]
        return (min(lo for lo, _ in bounds), max(hi for _, hi in bounds))

    def support_intervals(self) -> tuple[Interval, ...]:
        return _merged([interval for c in self.components for interval in c.support_intervals()])

    def contains(self, value: Any) -> bool:
        return any(c.contains(value) for c in self.components)

    def centre(self) -> Fraction:
        heaviest = max(range(len(self.weights)), key=lambda i: self.weights[i])
        return self.components[heaviest].centre()

    def mean(self) -> Fraction:
        return sum((w * c.mean() for w, c in zip(self.weights, self.components)), Fraction(0))

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log Σ wᵢ pᵢ(x), accumulated with logaddexp one component at a time: no component's density has to be
        representable, and memory stays at the size of x (not components × size)."""
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        total = np.full(x.shape, -np.inf)
        for weight, component in zip(self.weights, self.components):
            total = np.logaddexp(total, log_fraction(weight) + component.log_pdf(x))
        return total

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        """How many draws each component gets (multinomial), then the draws shuffled."""
        import numpy as np

        count = int(np.prod(size))
        probabilities = np.array([float(w) for w in self.weights])
        counts = rng.multinomial(count, probabilities / probabilities.sum())
        draws = np.concatenate([c.sample(rng, n) for c, n in zip(self.components, counts)])
        rng.shuffle(draws)
        return draws if isinstance(size, int) else draws.reshape(size)

    def density(self, x: sympy.Expr) -> sympy.Expr:
        import sympy

        return sympy.Add(*(_sympy_number(w) * c.density(x) for w, c in zip(self.weights, self.components)))

    def log_density(self, x: sympy.Expr) -> sympy.Expr:
        import sympy

        return sympy.log(self.density(x))

    def iid_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        return sympy.Mul(*[self.density(c) for c in latents])

    def iid_log_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        return sympy.Add(*[self.log_density(c) for c in latents])

    def iid_log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        """Σ over coordinates of log Σ wᵢ pᵢ(z), each inner sum shifted by its largest term (no underflow)."""
        import mpmath

        total = mpmath.mpf(0)
        for c in latents:
            logs = [mpmath.log(mp_fraction(w)) + p.iid_log_pdf_mp([c])
                    for w, p in zip(self.weights, self.components) if p.contains(c)]
            if not logs:
                return -mpmath.inf
            top = max(logs)
            total += top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in logs))
        return total

    def kinks(self) -> list[Fraction]:
        return sorted({k for c in self.components for k in c.kinks()})

    def landmarks(self) -> list[Fraction]:
        return sorted({k for c in self.components for k in c.landmarks()})

    def bulk(self) -> list[tuple[float, float]]:
        return [interval for c in self.components for interval in c.bulk()]

    def log_density_degree(self) -> int | None:
        """log Σ wᵢ pᵢ is no polynomial."""
        return None


@dataclass(frozen=True)
class Categorical:
    """P(X = k) = p_k for k in {0, …, n − 1}: a density with respect to counting measure."""

    probabilities: tuple[Fraction, ...]
    family: ClassVar[str] = "categorical"

    def __str__(self) -> str:
        return "categorical(" + ", ".join(format_fraction(p) for p in self.probabilities) + ")"

    @property
    def parameters(self) -> tuple[Fraction, ...]:
        return self.probabilities

    def math(self) -> Math:
        return _spec_math("categorical", self.probabilities)

    def words(self) -> Prose:
        if self.size > SPELLED_OUT_TERMS:
            return describe(self)
        return ("the categorical distribution ", self.math())

    @property
    def size(self) -> int:
        return len(self.probabilities)

    def probability(self, k: int) -> sympy.Rational:
        """The exact P(X = k) as a SymPy Rational; 0 for an index past the last category."""
        return _sympy_number(self.probabilities[k]) if 0 <= k < self.size else _sympy_number(Fraction(0))

    def support(self) -> tuple[float, float]:
        return (0.0, float(self.size - 1))

    def support_intervals(self) -> tuple[Interval, ...]:
        """The categories of positive probability, each a one-point interval."""
        return tuple((Fraction(k), Fraction(k)) for k, p in enumerate(self.probabilities) if p > 0)

    def contains(self, value: Any) -> bool:
        return any(_within(value, low, low) for low, _ in self.support_intervals() if low is not None)

    def centre(self) -> Fraction:
        return Fraction(max(range(self.size), key=lambda k: self.probabilities[k]))

    def mean(self) -> Fraction:
        return sum((k * p for k, p in enumerate(self.probabilities)), Fraction(0))

    @cached_property
    def _log_probabilities(self) -> np.ndarray:
        import numpy as np

        with np.errstate(divide="ignore"):
            # From the exact fractions: a probability of 1e-400 has a log (−921.03) though no float64 value.
            return np.array([log_fraction(p) if p > 0 else -np.inf for p in self.probabilities])

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log p_k at integer k in range; −∞ elsewhere (no mass off {0, …, n − 1})."""
        import numpy as np

        k = np.asarray(x, dtype=np.float64)
        valid = (k == np.floor(k)) & (k >= 0) & (k < self.size)
        index = np.where(valid, k, 0).astype(np.int64)
        return np.where(valid, self._log_probabilities[index], -np.inf)

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        import numpy as np

        probabilities = np.array([float(p) for p in self.probabilities])
        return rng.choice(self.size, size=size, p=probabilities / probabilities.sum())

    def density(self, x: sympy.Expr) -> sympy.Expr:
        """The probability mass function: p_k where x = k, 0 elsewhere."""
        import sympy

        return sympy.Piecewise(*[(self.probability(k), sympy.Eq(x, k)) for k in range(self.size)], (0, True))

    def log_density(self, x: sympy.Expr) -> sympy.Expr:
        import sympy

        return sympy.log(self.density(x))

    def iid_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        return sympy.Mul(*[self.density(c) for c in latents])

    def iid_log_density(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        import sympy

        return sympy.Add(*[self.log_density(c) for c in latents])

    def iid_log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        import mpmath

        return mpmath.fsum(mpmath.log(mp_fraction(self.probabilities[int(c)])) for c in latents)


Continuous = Normal | Uniform | Logistic | Laplace | Mixture  # a density on ℝ: what --base takes
AnyDistribution = Continuous | Categorical  # what the parser returns; narrow with isinstance(d, Categorical)
FAMILIES: tuple[type, ...] = (Normal, Uniform, Logistic, Laplace, Mixture, Categorical)
# --------------------------------------------------------------------------- log p_data − log p_g without cancellation
#
# Far from both bulks each log-density is huge (−5e33 at x = 1e17 for N(0, 1)) or beyond float64 altogether
# (−5e319 at x = 1e160), while their difference, the optimal logit, is modest (−2x + 2 for N(0,1) against N(2,1)).
# Subtracting two rounded log-densities loses it all; so the difference is formed term against term, from the
# algebra of the two penalties, never as a difference of two large numbers.

NORMAL_TERM, LAPLACE_TERM, UNIFORM_TERM, LOGISTIC_TERM = 0, 1, 2, 3
# log of the factor beside the scale in the normalising constant: σ√(2π), 2b, (b − a), s
_TERM_LOG_CONSTANT = (LOG_SQRT_2PI, math.log(2.0), 0.0, 0.0)
# Penalties of one class are compared by their algebra: quadratic (normal), linear (Laplace, and the logistic's
# |t| beside its bounded softness), flat (uniform).
_PENALTY_CLASS = (0, 1, 2, 1)
_TINY = 1e-290  # below this a split value's low part is no longer twice as precise
NEGLIGIBLE = 50.0  # a term e^−50 below the largest of its side changes that side's log-sum-exp by < 2e-22·terms
_SLACK = 8 * 2.0**-52  # the rounding of a term's float log(w p), relative to its size


@dataclass(frozen=True)
class Term:
    """One weighted continuous component: log(w·p(x)) = log w − log s − c − penalty(y / s), y = x − location.

    The penalty of t is t²/2 for a normal (s = σ), |t| for Laplace (s = b), |t| + 2·log(1 + e^−|t|) for a logistic
    (s its scale; the second part, its softness, lies in (0, 2 log 2]), and 0 on [0, 1], ∞ elsewhere, for a uniform
    (location a, s = b − a); c is log √(2π), log 2, 0 and 0.
    """

    kind: int
    location: Fraction
    scale: Fraction
    weight: Fraction


def terms(distribution: Continuous) -> tuple[Term, ...]:
    """The weighted components of a continuous distribution (one, unless it is a mixture)."""
    if isinstance(distribution, Mixture):
        return tuple(
            Term(t.kind, t.location, t.scale, w * t.weight)
            for w, c in zip(distribution.weights, distribution.components)
            for t in terms(c)
        )
    if isinstance(distribution, Normal):
        return (Term(NORMAL_TERM, distribution.mu, distribution.sigma, Fraction(1)),)
    if isinstance(distribution, Laplace):
        return (Term(LAPLACE_TERM, distribution.mu, distribution.b, Fraction(1)),)
    if isinstance(distribution, Logistic):
        return (Term(LOGISTIC_TERM, distribution.mu, distribution.s, Fraction(1)),)
    if isinstance(distribution, Uniform):
        return (Term(UNIFORM_TERM, distribution.a, distribution.b - distribution.a, Fraction(1)),)
    raise TypeError(f"{distribution} has no continuous terms")


def _softness(magnitude):
    """The logistic penalty's bounded part, 2·log(1 + e^−|t|), from |t|: in (0, 2 log 2], 0 in the far tails."""
    import numpy as np

    return 2.0 * np.log1p(np.exp(-magnitude))


def _log_ratio_of(value: Fraction) -> float:
    """log of an exact positive ratio, to rounding: log1p(value − 1) near 1, where log p − log q would cancel."""
    if Fraction(1, 2) < value < 2:
        return math.log1p(float(value - 1))
    return log_fraction(value)


def _split(values) -> tuple:
    """Each exact value as hi + lo, hi = float(value), lo = float(value − hi): twice float64's precision."""
    import numpy as np

    hi = np.array([float(v) for v in values])
    lo = np.array([float(v - Fraction(h)) for v, h in zip(values, hi)])
    return hi, lo


def _log_ratio_table(values) -> np.ndarray:
    """log(values[c] / values[r]) for every pair of exact positive values, to rounding even when the ratio is near 1.

    A difference of two rounded logs carries an error of ε·|log v|; near a ratio of 1 that is all of the answer
    (log(1.000000001) = 1e-9), so there the ratio − 1 is formed from the split values and passed to log1p.
    """
    import numpy as np

    logs = np.array([log_fraction(v) for v in values])
    hi, lo = _split(values)
    table = logs[:, None] - logs[None, :]
    with np.errstate(all="ignore"):
        excess = ((hi[:, None] - hi[None, :]) + (lo[:, None] - lo[None, :])) / hi[None, :]
        near = (np.abs(table) < 0.5) & (hi[:, None] > _TINY) & (hi[None, :] > _TINY)
        return np.where(near, np.log1p(excess), table)


@dataclass(frozen=True)
class _Reference:
    """Reference terms for :meth:`DensityPair._difference` (numbers, or arrays over the points), with the parts of
    their penalties that do not depend on the other term."""

    index: Any
    y: Any
    kind: Any
    t: Any
    magnitude: Any  # |t|
    penalty: Any
    softness: Any  # a logistic's 2·log(1 + e^−|t|), 0 for the other families

    def take(self, points) -> _Reference:
        import numpy as np

        fields = ("index", "y", "kind", "t", "magnitude", "penalty", "softness")
        return _Reference(*(np.broadcast_to(getattr(self, f), np.shape(self.index))[points] for f in fields))


@dataclass(frozen=True)
class Offsets:
    """The coordinates of exact anchors (rows) against each term (columns): ``lower`` = anchor − location, rounded
    once; ``upper`` = b − anchor for a uniform term on [a, b] (∞ for the others), rounded once."""

    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class PairValues:
    """Both log-densities at the points, the optimal logit h = log p_data − log p_g, and where D* is defined.

    h is ±∞ where one density is 0 and the other is not, and 0 (a convention) where both are 0: D* is undefined
    there. A log-density is −∞ where it is 0, and also where it is below float64's range (−5e319) though h is not.
    """

    log_p_data: np.ndarray
    log_p_gen: np.ndarray
    log_ratio: np.ndarray
    defined: np.ndarray


class DensityPair:
    """p_data and p_g evaluated together, so that h = log p_data − log p_g is finite wherever it is mathematically
    (every finite x for two normals), and accurate to rounding.

    For two terms c and r, log(w_c p_c) − log(w_r p_r) = (constant_c − constant_r) + penalty_r − penalty_c, and for two
    terms of one family the penalty difference is taken algebraically: with y = x − location_c,
    z_r − z_c = y·(1/s_r − 1/s_c) + (location_c − location_r)/s_r and z_r + z_c likewise, so that for normals
    z_r²/2 − z_c²/2 = (z_r − z_c)(z_r + z_c)/2 holds no difference of two large numbers (the location difference is
    exact, not a difference of two rounded x − μ). Then h = logsumexp over the data terms − logsumexp over the
    generator terms of each term's difference against one reference term, the largest: no term underflows
    against another unless it is negligible beside it.

    Points are x = anchor + u with an exact anchor: ``offsets.lower[row, c]`` = anchor − location_c rounded once
    (and a uniform term's upper end b − anchor in ``offsets.upper``), so that a quadrature piece near μ = 1e9 is
    integrated in u with σ = 1's resolution, and a point typed as 1e9 + 1/3 is taken exactly.
    """

    def __init__(self, data: AnyDistribution, gen: AnyDistribution) -> None:
        import numpy as np

        self.data, self.gen = data, gen
        self.discrete = isinstance(data, Categorical)
        if isinstance(data, Categorical) or isinstance(gen, Categorical):
            if not (isinstance(data, Categorical) and isinstance(gen, Categorical)):
                raise TypeError(f"{data} and {gen}: a density and a probability mass function do not pair")
            # log(p_k / q_k) from the exact ratio (log1p near 1): h to rounding, not to ε·|log p_k|.
            size = max(data.size, gen.size)
            ratios = [
                _log_ratio_of(data.probabilities[k] / gen.probabilities[k])
                if k < data.size and k < gen.size and data.probabilities[k] > 0 and gen.probabilities[k] > 0
                else 0.0
                for k in range(size)
            ]
            self.category_log_ratio = np.array(ratios)
            return
        data_terms = terms(data)
        self.terms = data_terms + terms(gen)
        self.size, self.data_size = len(self.terms), len(data_terms)
        self.kind = np.array([t.kind for t in self.terms])
        self.scale = np.array([float(t.scale) for t in self.terms])
        self.location = np.array([float(t.location) for t in self.terms])
        self.upper = np.array([float(t.location + t.scale) if t.kind == UNIFORM_TERM else np.inf for t in self.terms])
        kind_constant = np.array([_TERM_LOG_CONSTANT[t.kind] for t in self.terms])
        self.constant = (
            np.array([log_fraction(t.weight) - log_fraction(t.scale) for t in self.terms]) - kind_constant
        )
        # The pair tables, (term c, reference r): the difference of the constants, to rounding ...
        self.constant_difference = (
            _log_ratio_table([t.weight for t in self.terms])
            - _log_ratio_table([t.scale for t in self.terms])
            - (kind_constant[:, None] - kind_constant[None, :])
        )
        # ... (location_c − location_r)/s_r from the split locations, and 1/s_r ∓ 1/s_c.
        hi, lo = _split([t.location for t in self.terms])
        self.shift = ((hi[:, None] - hi[None, :]) + (lo[:, None] - lo[None, :])) / self.scale[None, :]
        # 1/s_r − 1/s_c = (s_c − s_r)/(s_r s_c), the difference from the split scales: σ = 1 against
        # σ = 1.000000001 keeps all its digits (1/s_r − 1/s_c in floats would keep 7).
        hi, lo = _split([t.scale for t in self.terms])
        scale_gap = (hi[:, None] - hi[None, :]) + (lo[:, None] - lo[None, :])
        self.inverse_difference = scale_gap / (self.scale[:, None] * self.scale[None, :])
        inverse = 1.0 / self.scale
        self.inverse_sum = inverse[None, :] + inverse[:, None]

    def offsets(self, anchors) -> Offsets:
        """anchor − location_c for each anchor (row) and term (column), and for a uniform term the coordinate of its
        upper end b − anchor, each rounded once from the exact values."""
        import numpy as np

        lower = np.array([[float(a - t.location) for t in self.terms] for a in anchors]).reshape(len(anchors), -1)
        ends = [t.location + t.scale if t.kind == UNIFORM_TERM else None for t in self.terms]
        upper = np.array([[np.inf if b is None else float(b - a) for b in ends] for a in anchors])
        upper = upper.reshape(len(anchors), -1)
        return Offsets(lower, upper)

    # ------------------------------------------------------------------ one term, and two terms against each other

    def _term(self, c: int, y, below):
        """log(w_c p_c) at offsets y from the term's location, and where the term's density is positive.

        ``below`` says where the point is at most the upper end of a uniform term, compared in the points' own
        coordinate (y = x − a rounds away a step of 1e-9 beside a = −1; u against b − anchor does not).
        """
        import numpy as np

        s, kind = self.scale[c], self.kind[c]
        if kind == UNIFORM_TERM:
            inside = (y >= 0) & below
            return np.where(inside, self.constant[c], -np.inf), inside
        t = y / s
        if kind == NORMAL_TERM:
            penalty = 0.5 * t * t
        else:
            penalty = np.abs(t)
            if kind == LOGISTIC_TERM:
                penalty = penalty + _softness(penalty)
        return self.constant[c] - penalty, np.ones(y.shape, dtype=bool)

    def _reference(self, r, y_r) -> _Reference:
        """What the differences against reference terms r (a number, or one per point) need, computed once."""
        import numpy as np

        kind, scale = self.kind[r], self.scale[r]
        t = y_r / scale
        magnitude = np.abs(t)
        penalty = np.where(kind == NORMAL_TERM, 0.5 * t * t, np.where(kind == LAPLACE_TERM, magnitude, 0.0))
        softness: Any = 0.0
        if np.any(kind == LOGISTIC_TERM):
            softness = np.where(kind == LOGISTIC_TERM, _softness(magnitude), 0.0)
            penalty = np.where(kind == LOGISTIC_TERM, magnitude + softness, penalty)
        return _Reference(r, y_r, kind, t, magnitude, penalty, softness)

    def _difference(self, c: int, ref: _Reference, y_c, below):
        """log(w_c p_c) − log(w_r p_r) at the same points, against the reference terms r of ``ref`` (whose density
        is positive there).

        y_c and y_r are the points' offsets from the two locations, z = y/s. Same family: the penalty difference
        by the algebra of the class docstring, each factor z_r ∓ z_c taken either directly or as
        y_c·(1/s_r ∓ 1/s_c) + shift, whichever adds the smaller numbers (the direct form loses a location
        difference of 2 at x = 1e17; the other loses z_r = 1 near a narrow reference at μ_r = 0 beside μ_c = 1e9).
        Laplace against logistic is one class: |z_r| − |z_c| by that algebra, plus the difference of the bounded
        softnesses. Different classes: a normal's penalty (quadratic) is the larger wherever either overflows, so
        ∞ − ∞ resolves to the normal's side.
        """
        import numpy as np

        kind_c, s_c, r = self.kind[c], self.scale[c], ref.index
        constant = self.constant_difference[c, r]
        if kind_c == UNIFORM_TERM:
            return np.where((y_c >= 0) & below, constant + ref.penalty, -np.inf)
        t_c = y_c / s_c
        magnitude_c = np.abs(t_c)
        softness_c = _softness(magnitude_c) if kind_c == LOGISTIC_TERM else 0.0
        same = np.asarray(_PENALTY_CLASS)[ref.kind] == _PENALTY_CLASS[kind_c]
        direct = None
        if not np.all(same):
            penalty_c = 0.5 * t_c * t_c if kind_c == NORMAL_TERM else magnitude_c + softness_c
            direct = constant + (ref.penalty - penalty_c)
            direct = np.where(np.isnan(direct), np.where(ref.kind == NORMAL_TERM, np.inf, -np.inf), direct)
            if not np.any(same):
                return direct
        shift = self.shift[c, r]
        size = ref.magnitude + magnitude_c
        shift_size = np.abs(shift)

        def best(inverse, plain):
            """z_r ∓ z_c, as y_c·inverse + shift or as ``plain``, whichever has the smaller rounding."""
            scaled = y_c * inverse
            use_factored = (np.abs(scaled) + shift_size <= size) | ~np.isfinite(plain)
            return np.where(use_factored, scaled + shift, plain)

        first = best(self.inverse_difference[c, r], ref.t - t_c)  # z_r − z_c
        if kind_c == NORMAL_TERM:
            second = best(self.inverse_sum[c, r], ref.t + t_c)  # z_r + z_c
            gap = np.where((first == 0) | (second == 0), 0.0, 0.5 * first * second)
        else:  # |z_r| − |z_c|: ±(z_r − z_c) on one side of both locations, direct between them
            sign_c = np.sign(y_c)
            gap = np.where((sign_c == np.sign(ref.y)) & (sign_c != 0), sign_c * first, ref.magnitude - magnitude_c)
            if kind_c == LOGISTIC_TERM or np.any(ref.kind == LOGISTIC_TERM):
                gap = gap + (ref.softness - softness_c)
        return constant + gap if direct is None else np.where(same, constant + gap, direct)

    # ------------------------------------------------------------------ the points

    def evaluate(self, u, rows=None, offsets=None) -> PairValues:
        """Both log-densities, h and where D* is defined, at x = anchor + u.

        Without ``offsets`` the anchor is 0 (u is x itself); with them, the anchor of each point is the one of row
        ``rows`` (broadcast against u) of the table from :meth:`offsets`.
        """
        import numpy as np

        u = np.asarray(u, dtype=np.float64)
        shape = u.shape
        if self.discrete:
            return self._evaluate_categories(u)
        u = u.ravel()
        if offsets is not None:
            rows = np.broadcast_to(np.asarray(rows).astype(np.int64), shape).ravel()

        def offset(c, where=slice(None)):
            """y = x − location of term(s) c, at the points ``where``."""
            if offsets is None:
                return u[where] - self.location[c]
            return offsets.lower[rows[where], c] + u[where]

        def below(c, where=slice(None)):
            """Where x is at most the upper end of term(s) c (b for a uniform, ∞ for the others)."""
            if offsets is None:
                return u[where] <= self.upper[c]
            return u[where] <= offsets.upper[rows[where], c]

        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            if self.size == 2 and self.data_size == 1:  # one term a side: h is their difference, no reference
                y_data, y_gen = offset(0), offset(1)
                lp, data_positive = self._term(0, y_data, below(0))
                lq, gen_positive = self._term(1, y_gen, below(1))
                defined = data_positive | gen_positive
                difference = self._difference(0, self._reference(1, y_gen), y_data, below(0))
                h = np.where(gen_positive, difference, np.where(data_positive, np.inf, 0.0))
                return PairValues(lp.reshape(shape), lq.reshape(shape), h.reshape(shape), defined.reshape(shape))
            best, reference = np.full(u.shape, -np.inf), np.zeros(u.shape, dtype=np.int64)
            side_best = [np.full(u.shape, -np.inf), np.full(u.shape, -np.inf)]  # the largest term of each side
            defined = np.zeros(u.shape, dtype=bool)
            for c in range(self.size):
                value, positive = self._term(c, offset(c), below(c))
                side = 0 if c < self.data_size else 1
                side_best[side] = np.maximum(side_best[side], value)
                larger = value > best
                best, reference = np.where(larger, value, best), np.where(larger, c, reference)
                defined |= positive
            lost = np.flatnonzero(defined & (best == -np.inf))
            if lost.size:  # every term below float64's range: find the largest by differences, term against term
                reference[lost] = self._largest(lost, offset, below)
            ref = self._reference(reference, offset(reference))
            data_side, gen_side = self._side_sums(u.size, ref, side_best, offset, below)
            # Each log-density is the reference term's plus its side's sum: −∞ where that is below float64's range.
            lp, lq = best + data_side, best + gen_side
            # The reference term contributes 0 to its own side, so that side is ≥ 0 − rounding: no −∞ − (−∞).
            h = np.where(defined, data_side - gen_side, 0.0)
        return PairValues(lp.reshape(shape), lq.reshape(shape), h.reshape(shape), defined.reshape(shape))

    def _evaluate_categories(self, k) -> PairValues:
        """Both log-probabilities at the categories k, and h from the exact ratios (±∞ with mass on one side)."""
        import numpy as np

        lp, lq = self.data.log_pdf(k), self.gen.log_pdf(k)
        data_positive, gen_positive = lp > -np.inf, lq > -np.inf
        index = np.where(data_positive & gen_positive, k, 0).astype(np.int64)
        h = np.where(
            data_positive & gen_positive,
            self.category_log_ratio[index],
            np.where(data_positive, np.inf, np.where(gen_positive, -np.inf, 0.0)),
        )
        return PairValues(lp, lq, h, data_positive | gen_positive)

    def _side_sums(self, size: int, ref: _Reference, side_best, offset, below) -> list:
        """log Σ over each side's terms of w_c p_c / (w_r p_r), the reference term r's density factored out."""
        import numpy as np

        sums = [np.full(size, -np.inf), np.full(size, -np.inf)]
        for c in range(self.size):
            side = 0 if c < self.data_size else 1
            y_c = offset(c)
            # A term below its side's largest by more than NEGLIGIBLE (beyond the rounding of both) adds less
            # than e^−NEGLIGIBLE to that side's sum: skip it there. A −∞ that may be an overflow never compares.
            under = below(c)
            value, _ = self._term(c, y_c, under)
            slack = _SLACK * np.abs(value) + _SLACK * np.abs(side_best[side])
            active = ~(value + slack < side_best[side] - NEGLIGIBLE)
            count = np.count_nonzero(active)
            if count > size // 2:  # most points: all of them, without the cost of gathering
                sums[side] = np.logaddexp(sums[side], self._difference(c, ref, y_c, under))
            elif count:
                active = np.flatnonzero(active)
                difference = self._difference(c, ref.take(active), y_c[active], under[active])
                sums[side][active] = np.logaddexp(sums[side][active], difference)
        return sums

    def _largest(self, points, offset, below):
        """The term with the largest log(w p) at each of ``points``, by a tournament of exact-algebra differences."""
        import numpy as np

        winner = np.full(points.shape, -1, dtype=np.int64)
        for c in range(self.size):
            y_c, under = offset(c, points), below(c, points)
            _, positive = self._term(c, y_c, under)
            first = positive & (winner < 0)
            winner[first] = c
            contest = np.flatnonzero(positive & ~first & (winner >= 0))
            if contest.size:
                r = winner[contest]
                reference = self._reference(r, offset(r, points[contest]))
                larger = self._difference(c, reference, y_c[contest], under[contest]) > 0
                winner[contest[larger]] = c
        return winner


@lru_cache(maxsize=16)
def density_pair(data: AnyDistribution, gen: AnyDistribution) -> DensityPair:
    """The evaluator of a pair of distributions, built once (its tables are O(terms²))."""
    return DensityPair(data, gen)


# --------------------------------------------------------------------------- the tokenizer

_TOKEN = re.compile(rf"\s*(?:(?P<number>{NUMBER.pattern})|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),*]))")


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "(", ")", ",", "*", "end"
    text: str
    position: int  # 1-based column, for messages


def _tokens(text: str, option: str) -> Iterator[Token]:
    """Tokens one at a time, so that an unknown name is reported before a stray character after it."""
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            yield Token("end", "", position + 1)
            return
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise InputError(f"unexpected character {text[position]!r} at position {position + 1} in {text!r}", option)
        group = match.lastgroup
        token = match.group(group)
        yield Token(token if group == "punct" else group, token, match.start(group) + 1)
        position = match.end()


def _check_parentheses(text: str, option: str) -> None:
    """Balanced, and nested no deeper than MAX_DEPTH, before any recursion starts."""
    depth = 0
    for position, char in enumerate(text, start=1):
        if char == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"parentheses nested deeper than {MAX_DEPTH} levels", option)
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise InputError(f"unbalanced parentheses: ')' at position {position} closes nothing", option)
    if depth > 0:
        raise InputError(f"unbalanced parentheses: {depth} '(' not closed", option)


# --------------------------------------------------------------------------- the parser

#: Each two-parameter family: its parameters' names, and its parameters when the name stands alone.
TWO_PARAMETER_FAMILIES: dict[str, tuple[tuple[str, str], tuple[Fraction, Fraction]]] = {
    "normal": (("mu", "sigma"), (Fraction(0), Fraction(1))),
    "uniform": (("a", "b"), (Fraction(0), Fraction(1))),
    "logistic": (("mu", "s"), (Fraction(0), Fraction(1))),
    "laplace": (("mu", "b"), (Fraction(0), Fraction(1))),
}


@dataclass(frozen=True)
class Limits:
    """The parameters a consumer can evaluate. ``location``: |μ|, a and b at most this; ``scale``: σ, s, b and the
    width b − a at most this, and at least ``relative_scale``·max(1, |location|). None: float64's own range
    (each parameter a finite float64; any positive scale, however small, and any width)."""

    location: Fraction | None
    scale: Fraction | None
    relative_scale: Fraction


#: --data and --gen: quadrature in float64 must resolve the bulk (see LOCATION_LIMIT).
QUADRATURE_LIMITS = Limits(LOCATION_LIMIT, MAX_SCALE, RELATIVE_SCALE)
#: --base: the flow evaluates its base with mpmath where float64 cannot (σ = 1e-400 has a finite log).
FLOAT64_LIMITS = Limits(None, None, Fraction(0))


class _Parser:
    """Recursive descent over the token stream; one method per grammar rule."""

    def __init__(self, text: str, option: str, limits: Limits, offered: tuple[str, ...] = KNOWN_NAMES) -> None:
        self.text = text
        self.option = option
        self.limits = limits
        self.offered = offered  # the names an unknown name's message lists
        self._stream = _tokens(text, option)
        self.token = next(self._stream)

    def error(self, message: str) -> InputError:
        return InputError(message, self.option)

    def advance(self) -> Token:
        current = self.token
        self.token = next(self._stream)
        return current

    def describe(self, token: Token) -> str:
        return "the end of the text" if token.kind == "end" else f"{token.text!r} at position {token.position}"

    def expect(self, kind: str, what: str) -> Token:
        if self.token.kind != kind:
            raise self.error(f"expected {what}, found {self.describe(self.token)}")
        return self.advance()

    def spec(self) -> AnyDistribution:
        if self.token.kind == "end":
            raise self.error("empty distribution; expected e.g. normal(0, 1)")
        distribution = self.distribution()
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.describe(self.token)} after the distribution")
        return distribution

    def distribution(self) -> AnyDistribution:
        if self.token.kind == "number":
            raise self.error(
                f"expected a distribution name, found the number {self.token.text!r} at position {self.token.position}"
            )
        name_token = self.expect("name", "a distribution name such as normal(0, 1)")
        name = name_token.text.lower()
        if name not in KNOWN_NAMES:
            raise self.error(f"unknown distribution {name_token.text!r} (known: {', '.join(self.offered)})")
        if name in TWO_PARAMETER_FAMILIES and self.token.kind != "(":
            return build(name, list(TWO_PARAMETER_FAMILIES[name][1]), self.option, self.limits)  # `normal` alone
        self.expect("(", f"'(' after {name}")
        if name == "mixture":
            return self.mixture()
        values = self.parameters(name)
        self.expect(")", f"',' or ')' in {name}(...)")
        return build(name, values, self.option, self.limits)

    def parameters(self, name: str) -> list[Fraction]:
        values = [self.number(name)]
        while self.token.kind == ",":
            self.advance()
            values.append(self.number(name))
            if name == "categorical" and len(values) > MAX_CATEGORIES:
                raise self.error(f"categorical has more than {MAX_CATEGORIES} categories")
        return values

    def number(self, name: str) -> Fraction:
        if self.token.kind != "number":
            raise self.error(f"{name}'s parameters are numbers; found {self.describe(self.token)}")
        return parse_number(self.advance().text, self.option)

    def mixture(self) -> AnyDistribution:
        weights: list[Fraction] = []
        components: list[AnyDistribution] = []
        while True:
            if self.token.kind != "number":
                raise self.error(
                    f"each mixture component needs a weight, as in 0.3*normal(0, 1); found {self.describe(self.token)}"
                )
            weights.append(parse_number(self.advance().text, self.option))
            self.expect("*", "'*' between a mixture weight and its distribution")
            components.append(self.distribution())
            if self.token.kind != ",":
                break
            self.advance()
        self.expect(")", "',' or ')' in mixture(...)")
        return build_mixture(weights, components, self.option)


@overload
def parse_distribution(
    text: str, option: str, *, continuous_only: Literal[True], limits: Limits = ...
) -> Continuous: ...
@overload
def parse_distribution(
    text: str, option: str, *, continuous_only: bool = ..., limits: Limits = ...
) -> AnyDistribution: ...
def parse_distribution(
    text: str, option: str, *, continuous_only: bool = False, limits: Limits = QUADRATURE_LIMITS
) -> AnyDistribution:
    """A distribution from its spec, such as ``mixture(0.3*normal(0,1), 0.7*normal(3,0.5))``; InputError on bad
    input. ``continuous_only`` refuses a categorical (no density on ℝ); ``limits`` bounds the parameters."""
    if not isinstance(text, str):
        raise InputError("expected text", option)
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(f"value is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}", option)
    text = text.translate(MINUS_LOOKALIKES)
    _check_parentheses(text, option)
    offered = tuple(n for n in KNOWN_NAMES if n != "categorical") if continuous_only else KNOWN_NAMES
    distribution = _Parser(text, option, limits, offered).spec()
    if continuous_only and isinstance(distribution, Categorical):
        raise InputError(
            f"{distribution} is discrete, but the latent space of a flow is continuous: its base needs a density "
            "(normal, uniform, logistic, laplace, or a mixture of them)",
            option,
        )
    return distribution


def parse_base(text: str, option: str = "--base") -> Continuous:
    """A flow's base distribution, each latent coordinate's: continuous, parameters within float64's range."""
    return parse_distribution(text, option, continuous_only=True, limits=FLOAT64_LIMITS)


# --------------------------------------------------------------------------- validation


def _past(value: Fraction, limit: Fraction) -> str:
    """`` (by 1e-09)`` when |value| passes the limit by less than its shown digits can tell; else nothing."""
    excess = abs(value) - limit
    return f" (by {approximate(excess, 3)})" if excess < limit / 10**5 else ""


def _limit_text(value: Fraction) -> str:
    """A limit as the messages spell it: 1e9, 1e-9 for powers of ten."""
    exponent = round(math.log10(value))
    return f"1e{exponent}" if Fraction(10) ** exponent == value else approximate(value, 3)


def _check_float64(name: str, label: str, value: Fraction, option: str) -> None:
    try:
        float(value)
    except OverflowError:
        raise InputError(f"{name}: {label} = {_show(value)} is beyond float64's range (±1.8e308)", option) from None


def _check_location(name: str, label: str, value: Fraction, option: str, limits: Limits) -> None:
    if limits.location is None:
        _check_float64(name, label, value, option)
    elif abs(value) > limits.location:
        shown = _limit_text(limits.location)
        raise InputError(f"{name}: {label} = {_show(value)} is outside ±{shown}{_past(value, limits.location)}", option)


def _check_scale(name: str, label: str, value: Fraction, location: Fraction, option: str, limits: Limits) -> None:
    if value <= 0:
        raise InputError(f"{name}: {label} must be positive, got {_show(value)}", option)
    if limits.scale is not None and value > limits.scale:
        shown = _limit_text(limits.scale)
        raise InputError(f"{name}: {label} = {_show(value)} is above {shown}{_past(value, limits.scale)}", option)
    if value < limits.relative_scale * max(Fraction(1), abs(location)):
        raise InputError(
            f"{name}: {label} = {_show(value)} is below {_limit_text(limits.relative_scale)}·max(1, |location|), "
            "too narrow for float64 to resolve",
            option,
        )


def _normalised(values: list[Fraction], option: str) -> tuple[Fraction, ...]:
    """Nonnegative probabilities summing to 1 within SUM_TOLERANCE, renormalised to sum to 1 exactly."""
    for i, value in enumerate(values, start=1):
        if value < 0:
            raise InputError(f"categorical probability {i} is {_show(value)}, negative", option)
    total = sum(values, Fraction(0))
    if abs(total - 1) > SUM_TOLERANCE:
        raise InputError(f"categorical probabilities sum to {approximate(total, 12)}, not 1", option)
    return tuple(v / total for v in values)


def build(
    name: str, values: list[Fraction], option: str, limits: Limits = QUADRATURE_LIMITS
) -> Normal | Uniform | Logistic | Laplace | Categorical:
    """A validated distribution from its name and exact parameters."""
    if name == "categorical":
        if len(values) > MAX_CATEGORIES:
            raise InputError(f"categorical has more than {MAX_CATEGORIES} categories", option)
        return Categorical(_normalised(values, option))
    labels = TWO_PARAMETER_FAMILIES[name][0]
    if len(values) != len(labels):
        raise InputError(f"{name} takes {len(labels)} parameters ({', '.join(labels)}), got {len(values)}", option)
    first, second = values
    if name == "uniform":
        _check_location(name, "a", first, option, limits)
        _check_location(name, "b", second, option, limits)
        if second <= first:
            raise InputError(f"uniform needs a < b, got a = {_show(first)}, b = {_show(second)}", option)
        if limits.scale is not None:  # within float64's range the width may exceed it: its log is still finite
            _check_scale(name, "the width b − a", second - first, max(abs(first), abs(second)), option, limits)
        return Uniform(first, second)
    _check_location(name, "mu", first, option, limits)
    _check_scale(name, labels[1], second, first, option, limits)
    if limits.scale is None:
        _check_float64(name, labels[1], second, option)
    if name == "normal":
        return Normal(first, second)
    return Logistic(first, second) if name == "logistic" else Laplace(first, second)


def build_mixture(weights: list[Fraction], components: list[AnyDistribution], option: str) -> AnyDistribution:
    """Flatten nested mixtures, drop zero weights; a mixture of categoricals is the categorical of the weighted sum."""
    flat_weights: list[Fraction] = []
    flat: list[Component | Categorical] = []
    for i, (weight, component) in enumerate(zip(weights, components), start=1):
        if weight < 0:
            raise InputError(f"mixture weight {i} is {_show(weight)}, negative", option)
        inner: Sequence[tuple[Fraction, Component | Categorical]] = (
            list(zip(component.weights, component.components)) if isinstance(component, Mixture)
            else [(Fraction(1), component)]
        )
        for inner_weight, part in inner:
            if weight * inner_weight != 0:
                flat_weights.append(weight * inner_weight)
                flat.append(part)
    total = sum(weights, Fraction(0))
    if abs(total - 1) > SUM_TOLERANCE:
        raise InputError(f"mixture weights sum to {approximate(total, 12)}, not 1", option)
    flat_weights = [w / total for w in flat_weights]
    if len(flat) > MAX_COMPONENTS:
        raise InputError(f"mixture has {len(flat)} components; the limit is {MAX_COMPONENTS}", option)
    categoricals = [c for c in flat if isinstance(c, Categorical)]
    continuous = [c for c in flat if not isinstance(c, Categorical)]
    if categoricals and continuous:
        raise InputError(
            "a mixture cannot mix categorical and continuous components (no common density: one is a probability "
            "mass function, the other a density)",
            option,
        )
    if categoricals:
        size = max(c.size for c in categoricals)
        probabilities = [
            sum((w * c.probabilities[k] for w, c in zip(flat_weights, categoricals) if k < c.size), Fraction(0))
            for k in range(size)
        ]
        return Categorical(tuple(probabilities))
    if len(continuous) == 1:
        return continuous[0]
    return Mixture(tuple(flat_weights), tuple(continuous))
