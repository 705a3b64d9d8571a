"""The base distribution of the flow: p_Z(z) = p(z1)·…·p(zn), n independent coordinates each distributed as one
distribution of the project's distribution language (:mod:`dgm_cli.distributions`: normal, uniform, logistic,
laplace or a mixture of them, as ``--data`` and ``--gen`` take them). Its density in closed form (SymPy), in
float64 and log space (NumPy), in mpmath at any size, and sampling, all from the distribution's own methods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from dgm_cli.derivation import Prose
from dgm_cli.distributions import STANDARD_NORMAL, Continuous, Mixture
from dgm_cli.solvers.flow.prose import N01, Z
from dgm_cli.solvers.numerics import log_standard_normal


@dataclass(frozen=True)
class IidBase:
    """p_Z: each latent coordinate drawn independently from ``distribution``."""

    distribution: Continuous = STANDARD_NORMAL

    @property
    def is_standard_normal(self) -> bool:
        return self.distribution == STANDARD_NORMAL

    @property
    def covers_the_reals(self) -> bool:
        """Whether every real number is in the support (every family but the uniform, and mixtures with one)."""
        return self.distribution.support_intervals() == ((None, None),)

    @property
    def centre(self) -> float:
        """A point of largest density of each coordinate (the mean of a normal, the middle of a uniform)."""
        return float(self.distribution.centre())

    def describe(self) -> str:
        """The base as the inputs record it (plain text)."""
        if self.is_standard_normal:
            return "N(0, I)"
        d = self.distribution
        spec = str(d) if isinstance(d, Mixture) else f"{d.family}({', '.join(str(p) for p in d.parameters)})"
        return f"{spec} in each coordinate, independently"

    @property
    def name(self) -> Prose:
        """The base as prose: N(0, I), or "the Laplace distribution with location 1 and scale 2"."""
        return (N01,) if self.is_standard_normal else self.distribution.words()

    def describe_prose(self) -> Prose:
        """The base for a sentence: "the base distribution N(0, I)", or "each coordinate of z drawn independently
        from …"."""
        if self.is_standard_normal:
            return ("the base distribution ", *self.name)
        return ("each coordinate of ", Z, " drawn independently from ", *self.name)

    def support_ends(self) -> list[tuple[sympy.Expr, sympy.Expr]]:
        """The support of each coordinate as exact intervals (low, high), in increasing order (±∞ for open ends):
        one interval, but for a mixture of uniforms with gaps between them."""
        return [(_exact_end(low, -1), _exact_end(high, 1)) for low, high in self.distribution.support_intervals()]

    def density_expr(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """p_Z(z) = p(z1)·…·p(zn) in closed form, inside the support."""
        return self.distribution.iid_density(latents)

    def log_density_expr(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """log p_Z(z) in closed form, inside the support."""
        return self.distribution.iid_log_density(latents)

    def contains(self, latents: Sequence[Any]) -> bool:
        """Whether the point z (exact SymPy numbers, or mpmath numbers) lies in the support."""
        return all(self.distribution.contains(c) for c in latents)

    def log_pdf(self, latents: np.ndarray) -> np.ndarray:
        """log p_Z over the last axis, in float64 and log space; −∞ outside the support."""
        z = np.asarray(latents, dtype=np.float64)
        if self.is_standard_normal:
            return log_standard_normal(z)
        with np.errstate(all="ignore"):
            return np.sum(self.distribution.log_pdf(z), axis=-1)

    def log_pdf_mp(self, latents: Sequence[Any]) -> Any:
        """log p_Z(z) in mpmath at the current precision, inside the support; no overflow at any size of z."""
        return self.distribution.iid_log_pdf_mp(latents)

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        """``size`` points of ℝⁿ, as rows."""
        return self.distribution.sample(rng, (size, n))


def _exact_end(end: Fraction | None, sign: int) -> sympy.Expr:
    if end is None:
        return sympy.oo if sign > 0 else -sympy.oo
    return sympy.Rational(end.numerator, end.denominator)


STANDARD_NORMAL_BASE = IidBase()
