"""The distribution spec language: ``normal(0, 1)``, ``mixture(0.3*normal(0,1), 0.7*normal(3,0.5))``.

Two halves:

- the PARSER: a tokenizer and a recursive-descent parser of our own small
  grammar, numbers read exactly by :func:`dgm_cli.parsing.parse_number`,
  distribution names from a whitelist. Nothing here calls ``eval``, ``exec``
  or SymPy's parser: those run Python;
- the DISTRIBUTIONS: frozen dataclasses with exact (Fraction) parameters, an
  exact SymPy density, a vectorised float64 ``log_pdf`` (−∞ off the support),
  the points where the log-density is not smooth, integration landmarks, and
  sampling with a NumPy Generator.

Grammar (whitespace is ignored; names are case-insensitive)::

    spec         := distribution END
    distribution := NAME '(' parameters ')'          normal, uniform, laplace, categorical
                  | 'mixture' '(' component (',' component)* ')'
    component    := NUMBER '*' distribution
    parameters   := NUMBER (',' NUMBER)*
    NUMBER       := what parse_number reads: 2, -0.5, 1e-3, 1/3

Every error is an :class:`InputError` naming the option and the problem, so
the CLI prints one line and exits 2.

NumPy and SymPy are imported inside the methods that need them, so that
parsing alone stays light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from dgm_cli.derivation import Math, Prose, m
from dgm_cli.errors import InputError
from dgm_cli.parsing import _MINUS_LOOKALIKES, MAX_TEXT_LENGTH, parse_number

KNOWN_NAMES = ("normal", "uniform", "laplace", "mixture", "categorical")
MAX_DEPTH = 32  # nesting of parentheses; mixtures of mixtures deeper than this are not a real use
MAX_COMPONENTS = 100  # mixture components after flattening nested mixtures
MAX_CATEGORIES = 10_000
SUM_TOLERANCE = Fraction(1, 10**9)  # |Σ p − 1| allowed; within it the weights are renormalised exactly
# float64 must resolve every distribution: locations within ±1e9, and a scale (σ, b, width) no smaller
# than 1e-9 of max(1, |location|), so that quadrature nodes across the bulk are distinct floats.
LOCATION_LIMIT = Fraction(10**9)
MAX_SCALE = Fraction(10**9)
RELATIVE_SCALE = Fraction(1, 10**9)
LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_NORMAL_LANDMARKS = tuple(Fraction(k) for k in ("-8", "-5", "-3", "-3/2", "0", "3/2", "3", "5", "8"))
_LAPLACE_LANDMARKS = tuple(Fraction(k) for k in (-36, -14, -8, -4, -1, 0, 1, 4, 8, 14, 36))


def format_fraction(value: Fraction) -> str:
    """An exact number as a user would type it: 2, -0.5, 0.125, 1/3."""
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
    """``value`` to ``digits`` significant digits, in scientific notation beyond float64's range (1e400 stays 1e+400)."""
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value.numerator)) - math.log10(value.denominator))
    if -300 < exponent < 300:
        return f"{float(value):.{digits}g}"
    mantissa = value / Fraction(10) ** exponent  # within [1, 10) up to the rounding of log10
    return f"{float(mantissa):.{digits}g}e{exponent:+d}"


def log_fraction(value: Fraction) -> float:
    """log of an exact positive number, from its numerator and denominator: finite even for 1e-400."""
    return math.log(value.numerator) - math.log(value.denominator)


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


def describe(distribution: "Distribution") -> Prose:
    """The distribution for a derivation's prose: its spec as inline mathematics, or in words when it is long."""
    if isinstance(distribution, Categorical) and distribution.size > SPELLED_OUT_TERMS:
        return ("a categorical distribution on ", distribution.size, " categories")
    if isinstance(distribution, Mixture) and len(distribution.components) > SPELLED_OUT_TERMS:
        return ("a mixture of ", len(distribution.components), " components")
    return (distribution.math(),)


def _sympy_number(value: Fraction):
    import sympy

    return sympy.Rational(value.numerator, value.denominator)


# --------------------------------------------------------------------------- the distributions


@dataclass(frozen=True)
class Normal:
    """N(μ, σ²): p(x) = exp(−(x − μ)²/(2σ²)) / (σ√(2π))."""

    mu: Fraction
    sigma: Fraction
    discrete = False

    def __str__(self) -> str:
        return f"normal({format_fraction(self.mu)}, {format_fraction(self.sigma)})"

    def math(self) -> Math:
        """The spec as inline mathematics, for a derivation's prose."""
        return _spec_math("normal", (self.mu, self.sigma))

    def density(self, x):
        import sympy

        mu, sigma = _sympy_number(self.mu), _sympy_number(self.sigma)
        return sympy.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * sympy.sqrt(2 * sympy.pi))

    def log_pdf(self, x):
        """log p(x) = −z²/2 − log σ − log √(2π), z = (x − μ)/σ; finite everywhere."""
        import numpy as np

        z = (np.asarray(x, dtype=np.float64) - float(self.mu)) / float(self.sigma)
        return -0.5 * z * z - math.log(self.sigma) - LOG_SQRT_2PI

    def kinks(self) -> list[float]:
        return []

    def landmarks(self) -> list[float]:
        """μ + kσ: quadrature breakpoints that resolve the bell at any scale; ±8σ leaves < 1.3e-15 outside.

        Computed exactly, then rounded once, so that a point two components share is one float.
        """
        return [float(self.mu + k * self.sigma) for k in _NORMAL_LANDMARKS]

    def bulk(self) -> list[tuple[float, float]]:
        """μ ± 5σ: all but 5.7e-7 of the mass."""
        mu, sigma = float(self.mu), float(self.sigma)
        return [(mu - 5 * sigma, mu + 5 * sigma)]

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def sample(self, rng, size: int):
        return rng.normal(float(self.mu), float(self.sigma), size)


@dataclass(frozen=True)
class Uniform:
    """U(a, b): p(x) = 1/(b − a) on [a, b], 0 elsewhere."""

    a: Fraction
    b: Fraction
    discrete = False

    def __str__(self) -> str:
        return f"uniform({format_fraction(self.a)}, {format_fraction(self.b)})"

    def math(self) -> Math:
        """The spec as inline mathematics, for a derivation's prose."""
        return _spec_math("uniform", (self.a, self.b))

    def density(self, x):
        import sympy

        a, b = _sympy_number(self.a), _sympy_number(self.b)
        return sympy.Piecewise((1 / (b - a), (x >= a) & (x <= b)), (0, True))

    def log_pdf(self, x):
        """−log(b − a) on [a, b], −∞ outside."""
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        inside = (x >= float(self.a)) & (x <= float(self.b))
        return np.where(inside, -math.log(self.b - self.a), -np.inf)

    def kinks(self) -> list[float]:
        return [float(self.a), float(self.b)]

    def landmarks(self) -> list[float]:
        return self.kinks()

    def bulk(self) -> list[tuple[float, float]]:
        return [(float(self.a), float(self.b))]

    def support(self) -> tuple[float, float]:
        return (float(self.a), float(self.b))

    def sample(self, rng, size: int):
        return rng.uniform(float(self.a), float(self.b), size)


@dataclass(frozen=True)
class Laplace:
    """Laplace(μ, b): p(x) = exp(−|x − μ|/b) / (2b)."""

    mu: Fraction
    b: Fraction
    discrete = False

    def __str__(self) -> str:
        return f"laplace({format_fraction(self.mu)}, {format_fraction(self.b)})"

    def math(self) -> Math:
        """The spec as inline mathematics, for a derivation's prose."""
        return _spec_math("laplace", (self.mu, self.b))

    def density(self, x):
        import sympy

        mu, b = _sympy_number(self.mu), _sympy_number(self.b)
        return sympy.exp(-sympy.Abs(x - mu) / b) / (2 * b)

    def log_pdf(self, x):
        import numpy as np

        return -np.abs(np.asarray(x, dtype=np.float64) - float(self.mu)) / float(self.b) - math.log(2 * self.b)

    def kinks(self) -> list[float]:
        return [float(self.mu)]

    def landmarks(self) -> list[float]:
        """μ + kb; ±36b leaves e^−36 ≈ 2.3e-16 outside."""
        return [float(self.mu + k * self.b) for k in _LAPLACE_LANDMARKS]

    def bulk(self) -> list[tuple[float, float]]:
        """μ ± 14b: all but e^−14 ≈ 8.3e-7 of the mass."""
        mu, b = float(self.mu), float(self.b)
        return [(mu - 14 * b, mu + 14 * b)]

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def sample(self, rng, size: int):
        return rng.laplace(float(self.mu), float(self.b), size)


Continuous = Normal | Uniform | Laplace


@dataclass(frozen=True)
class Mixture:
    """Σ wᵢ pᵢ(x) over continuous components, weights positive and summing to 1 (nested mixtures flattened)."""

    weights: tuple[Fraction, ...]
    components: tuple[Continuous, ...]
    discrete = False

    def __str__(self) -> str:
        parts = ", ".join(f"{format_fraction(w)}*{c}" for w, c in zip(self.weights, self.components))
        return f"mixture({parts})"

    def math(self) -> Math:
        """The spec as inline mathematics, for a derivation's prose: each weight times its component."""
        parts = [(latex_number(w), c.math(), format_fraction(w)) for w, c in zip(self.weights, self.components)]
        latex = ", ".join(rf"{w} \cdot {c.latex}" for w, c, _ in parts)
        text = ", ".join(f"{w}·{c.text}" for _, c, w in parts)
        return m(rf"\operatorname{{mixture}}({latex})", f"mixture({text})")

    def density(self, x):
        import sympy

        return sympy.Add(*(_sympy_number(w) * c.density(x) for w, c in zip(self.weights, self.components)))

    def log_pdf(self, x):
        """log Σ wᵢ pᵢ(x), accumulated with logaddexp one component at a time: no component's density has to be
        representable, and memory stays at the size of x (not components × size)."""
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        total = np.full(x.shape, -np.inf)
        for weight, component in zip(self.weights, self.components):
            total = np.logaddexp(total, log_fraction(weight) + component.log_pdf(x))
        return total

    def kinks(self) -> list[float]:
        return sorted({k for c in self.components for k in c.kinks()})

    def landmarks(self) -> list[float]:
        return sorted({k for c in self.components for k in c.landmarks()})

    def bulk(self) -> list[tuple[float, float]]:
        return [interval for c in self.components for interval in c.bulk()]

    def support(self) -> tuple[float, float]:
        bounds = [c.support() for c in self.components]
        return (min(lo for lo, _ in bounds), max(hi for _, hi in bounds))

    def sample(self, rng, size: int):
        import numpy as np

        probabilities = np.array([float(w) for w in self.weights])
        counts = rng.multinomial(size, probabilities / probabilities.sum())
        draws = np.concatenate([c.sample(rng, n) for c, n in zip(self.components, counts)])
        rng.shuffle(draws)
        return draws


@dataclass(frozen=True)
class Categorical:
    """P(X = k) = p_k for k in {0, …, n − 1}: a density with respect to counting measure."""

    probabilities: tuple[Fraction, ...]
    discrete = True

    def __str__(self) -> str:
        return "categorical(" + ", ".join(format_fraction(p) for p in self.probabilities) + ")"

    def math(self) -> Math:
        """The spec as inline mathematics, for a derivation's prose."""
        return _spec_math("categorical", self.probabilities)

    @property
    def size(self) -> int:
        return len(self.probabilities)

    def probability(self, k: int):
        """The exact P(X = k) as a SymPy Rational; 0 for an index past the last category."""
        return _sympy_number(self.probabilities[k]) if 0 <= k < self.size else _sympy_number(Fraction(0))

    @cached_property
    def _log_probabilities(self):
        import numpy as np

        with np.errstate(divide="ignore"):
            # From the exact fractions: a probability of 1e-400 has a log (−921.03) though no float64 value.
            return np.array([log_fraction(p) if p > 0 else -np.inf for p in self.probabilities])

    def log_pdf(self, k):
        """log p_k at integer k in range; −∞ elsewhere (no mass off {0, …, n − 1})."""
        import numpy as np

        k = np.asarray(k, dtype=np.float64)
        valid = (k == np.floor(k)) & (k >= 0) & (k < self.size)
        index = np.where(valid, k, 0).astype(np.int64)
        return np.where(valid, self._log_probabilities[index], -np.inf)

    def support(self) -> tuple[float, float]:
        return (0.0, float(self.size - 1))

    def sample(self, rng, size: int):
        import numpy as np

        probabilities = np.array([float(p) for p in self.probabilities])
        return rng.choice(self.size, size=size, p=probabilities / probabilities.sum())


Distribution = Normal | Uniform | Laplace | Mixture | Categorical


# --------------------------------------------------------------------------- the tokenizer

_NUMBER_PART = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TOKEN = re.compile(
    rf"\s*(?:(?P<number>{_NUMBER_PART}(?:\s*/\s*{_NUMBER_PART})?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),*]))"
)


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
        if match is None:
            raise InputError(f"unexpected character {text[position]!r} at position {position + 1} in {text!r}", option)
        start = match.start(match.lastgroup)
        token = match.group(match.lastgroup)
        kind = token if match.lastgroup == "punct" else match.lastgroup
        yield Token(kind, token, start + 1)
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

_ARITY = {"normal": ("mu", "sigma"), "uniform": ("a", "b"), "laplace": ("mu", "b")}


class _Parser:
    """Recursive descent over the token stream; one method per grammar rule."""

    def __init__(self, text: str, option: str) -> None:
        self.text = text
        self.option = option
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

    def spec(self) -> Distribution:
        if self.token.kind == "end":
            raise self.error("empty distribution; expected e.g. normal(0, 1)")
        distribution = self.distribution()
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.describe(self.token)} after the distribution")
        return distribution

    def distribution(self) -> Distribution:
        if self.token.kind == "number":
            raise self.error(
                f"expected a distribution name, found the number {self.token.text!r} at position {self.token.position}"
            )
        name_token = self.expect("name", "a distribution name such as normal(0, 1)")
        name = name_token.text.lower()
        if name not in KNOWN_NAMES:
            raise self.error(f"unknown distribution {name_token.text!r} (known: {', '.join(KNOWN_NAMES)})")
        self.expect("(", f"'(' after {name}")
        if name == "mixture":
            return self.mixture()
        values = self.parameters(name)
        self.expect(")", f"',' or ')' in {name}(...)")
        return build(name, values, self.option)

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

    def mixture(self) -> Distribution:
        weights: list[Fraction] = []
        components: list[Distribution] = []
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


def parse_distribution(text: str, option: str) -> Distribution:
    """Parse a distribution spec such as ``mixture(0.3*normal(0,1), 0.7*normal(3,0.5))``; InputError on bad input."""
    if not isinstance(text, str):
        raise InputError("expected text", option)
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(f"value is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}", option)
    text = text.translate(_MINUS_LOOKALIKES)
    _check_parentheses(text, option)
    return _Parser(text, option).spec()


# --------------------------------------------------------------------------- validation


def _check_location(name: str, label: str, value: Fraction, option: str) -> None:
    if abs(value) > LOCATION_LIMIT:
        raise InputError(f"{name}: {label} = {_show(value)} is outside ±1e9", option)


def _check_scale(name: str, label: str, value: Fraction, location: Fraction, option: str) -> None:
    if value <= 0:
        raise InputError(f"{name}: {label} must be positive, got {_show(value)}", option)
    if value > MAX_SCALE:
        raise InputError(f"{name}: {label} = {_show(value)} is above 1e9", option)
    if value < RELATIVE_SCALE * max(1, abs(location)):
        raise InputError(
            f"{name}: {label} = {_show(value)} is below 1e-9·max(1, |location|), too narrow for float64 to resolve",
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


def build(name: str, values: list[Fraction], option: str) -> Distribution:
    """A validated distribution from its name and exact parameters."""
    if name == "categorical":
        if len(values) > MAX_CATEGORIES:
            raise InputError(f"categorical has more than {MAX_CATEGORIES} categories", option)
        return Categorical(_normalised(values, option))
    labels = _ARITY[name]
    if len(values) != len(labels):
        raise InputError(f"{name} takes {len(labels)} parameters ({', '.join(labels)}), got {len(values)}", option)
    first, second = values
    if name == "uniform":
        _check_location(name, "a", first, option)
        _check_location(name, "b", second, option)
        if second <= first:
            raise InputError(f"uniform needs a < b, got a = {_show(first)}, b = {_show(second)}", option)
        _check_scale(name, "the width b − a", second - first, max(abs(first), abs(second)), option)
        return Uniform(first, second)
    _check_location(name, "mu", first, option)
    _check_scale(name, labels[1], second, first, option)
    return Normal(first, second) if name == "normal" else Laplace(first, second)


def build_mixture(weights: list[Fraction], components: list[Distribution], option: str) -> Distribution:
    """Flatten nested mixtures, drop zero weights; a mixture of categoricals is the categorical of the weighted sum."""
    flat_weights: list[Fraction] = []
    flat: list[Distribution] = []
    for i, (weight, component) in enumerate(zip(weights, components), start=1):
        if weight < 0:
            raise InputError(f"mixture weight {i} is {_show(weight)}, negative", option)
        inner = zip(component.weights, component.components) if isinstance(component, Mixture) else [(1, component)]
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
    kinds = {c.discrete for c in flat}
    if kinds == {True, False}:
        raise InputError(
            "a mixture cannot mix categorical and continuous components (no common density: one is a probability "
            "mass function, the other a density)",
            option,
        )
    if kinds == {True}:
        size = max(c.size for c in flat)
        probabilities = [
            sum((w * (c.probabilities[k] if k < c.size else 0) for w, c in zip(flat_weights, flat)), Fraction(0))
            for k in range(size)
        ]
        return Categorical(tuple(probabilities))
    if len(flat) == 1:
        return flat[0]
    return Mixture(tuple(flat_weights), tuple(flat))
