"""Problem 2's quantities for one run, exact: the counterexample at one k, the sets and bounds at one ε and c.

- :class:`Counterexample`: mass(k), the normalised plateau h, E_p‖x‖² and ∫ p log p at one k.
- :class:`ForDet` (:func:`bound_for_det`): for flows with |det ∂f/∂z| = c, the latent disc C, A = f(C), their
  areas and the bound on δ: ε when A = ∅ (part (a)), ε(1 − vol(A)) otherwise (part (c)).
- :class:`Bounds` (:func:`solve_bounds`): every quantity of one run: the bound for every c and for c = 1, the best
  ε, and the KL of the concrete Gaussian flows of the sandwich.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import sympy

from dgm_cli.cache import disk_cached
from dgm_cli.errors import InputError, mention
from dgm_cli.solvers.symbolic import to_sympy
from dgm_cli.solvers.vpnf_formulas import (
    PLATEAU_AS_WRITTEN,
    ProfileFormulas,
    best_eps_formulas,
    level_set_formulas,
    profile_formulas,
)
from dgm_cli.solvers.vpnf_limits import Eps, check_parameters
from dgm_cli.solvers.vpnf_maxima import maximize_bound, minimize_bounded
from dgm_cli.solvers.vpnf_notation import approx, shown
from dgm_cli.solvers.vpnf_numbers import float_of, is_positive, rational, short

# --------------------------------------------------------------------------- one k


@dataclass(frozen=True)
class Counterexample:
    """The counterexample for one k: its mass, its normalised plateau and its moments, exact."""

    k: sympy.Expr

    @cached_property
    def formulas(self) -> ProfileFormulas:
        """The closed forms in k, derived once."""
        return profile_formulas()

    def _at_k(self, expr: sympy.Expr) -> sympy.Expr:
        """A closed form of the profile at this k."""
        value = expr.subs(self.formulas.k, self.k)
        # The default k* = (81 + 9√93)/10 leaves nested radicals; rationalising twice flattens them.
        return sympy.radsimp(sympy.expand(sympy.radsimp(value))) if self.k.is_irrational else value

    @cached_property
    def mass(self) -> sympy.Expr:
        """Z = mass(k), the integral of the density as written."""
        return self._at_k(self.formulas.mass)

    @cached_property
    def is_normalized(self) -> bool:
        """mass(k) = 1 exactly: the density as written is a probability density."""
        return sympy.simplify(self.mass - 1) == 0

    @cached_property
    def ramp_end(self) -> sympy.Expr:
        """½ + 0.9/k, where the ramp reaches 0."""
        return self._at_k(self.formulas.ramp_end)

    @cached_property
    def plateau(self) -> sympy.Expr:
        """h = 0.9/Z, the plateau height of the normalised density p/Z."""
        return sympy.radsimp(PLATEAU_AS_WRITTEN / self.mass)

    @cached_property
    def second_moment(self) -> sympy.Expr:
        """E_p‖x‖² for p/Z."""
        return self._at_k(self.formulas.second_moment_unnormalized) / self.mass

    @cached_property
    def neg_entropy(self) -> sympy.Expr:
        """∫ (p/Z) log(p/Z) = log h + R(k)/Z."""
        return sympy.log(self.plateau) + self._at_k(self.formulas.neg_entropy_correction) / self.mass

    def kl_to_gaussian(self, variance: sympy.Expr) -> sympy.Expr:
        """KL(p‖N(0, σ²I)) = ∫p log p + log(2πσ²) + E‖x‖²/(2σ²)."""
        return self.neg_entropy + sympy.log(2 * sympy.pi * variance) + self.second_moment / (2 * variance)


_EXACT_VALUES = ("mass", "is_normalized", "ramp_end", "plateau", "second_moment", "neg_entropy")


@disk_cached
def _normalizing_counterexample_values() -> dict[str, Any]:
    """The exact values of the counterexample at the normalising k, the default: flattening their nested radicals
    (radsimp) takes ~0.1 s, and they do not depend on the input, so they are derived once, as for any k."""
    example = Counterexample(default_k())
    return {name: getattr(example, name) for name in _EXACT_VALUES}


def counterexample(k: sympy.Expr) -> Counterexample:
    """The counterexample for k; at the normalising k its exact values come from the cache."""
    example = Counterexample(k)
    if k == default_k():
        # A cached_property keeps its value in the instance's __dict__ (a frozen dataclass too): fill it in.
        example.__dict__.update(_normalizing_counterexample_values())
    return example


def default_k() -> sympy.Expr:
    """The normalising k, derived at run time (not typed in): the positive root of mass(k) = 1."""
    return profile_formulas().k_normalizing


# --------------------------------------------------------------------------- one c


@dataclass(frozen=True)
class ForDet:
    """Parts (b), (a) and (c) for flows with one value of the constant c = |det ∂f/∂z|."""

    c: sympy.Expr
    r_squared: sympy.Expr  # 2 log(1/(2πc(h − ε)))
    nonempty: bool  # r² > 0: C is a disc of positive area
    volume_C: sympy.Expr
    volume_A: sympy.Expr
    tv: sympy.Expr  # the lower bound on δ: part (a) when A = ∅, part (c) otherwise, never below 0
    volume_C_upper_bound: sympy.Expr  # 1/(e c (h − ε)): log u ≤ u/e

    @property
    def kl(self) -> sympy.Expr:
        """Pinsker's KL ≥ 2δ² at this c."""
        return 2 * self.tv**2

    @property
    def is_point(self) -> bool:
        """r² = 0 exactly (ε = h − 1/(2π) for c = 1): C = {0} and A = {f(0)} are single points, of area 0, not
        empty."""
        return bool(self.r_squared.is_zero)


def bound_for_det(c: sympy.Expr, eps: sympy.Expr, plateau: sympy.Expr) -> ForDet:
    """C, A and the bound on δ for |det| = c: δ ≥ ε if A = ∅, δ ≥ ε(1 − vol(A)) if 0 < vol(A) < 1, else only
    δ ≥ 0."""
    forms = level_set_formulas()
    r_squared = forms.r_squared.subs({forms.c: c, forms.tau: plateau - eps})
    nonempty = is_positive(r_squared)
    volume_C = sympy.pi * r_squared if nonempty else sympy.Integer(0)
    volume_A = c * volume_C
    if not nonempty:
        tv = eps
    elif is_positive(1 - volume_A):
        tv = eps * (1 - volume_A)
    else:
        tv = sympy.Integer(0)
    volume_C_upper = forms.volume_C_upper_bound.subs({forms.c: c, forms.tau: plateau - eps})
    return ForDet(c, r_squared, nonempty, volume_C, volume_A, tv, volume_C_upper)


def best_eps_for_vp(plateau: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """The ε that maximises the c = 1 bound, numerically, and the bound there (exact for that ε); None if none is
    positive.

    The bound is positive for ε < end = h − τ₀, τ₀ = e^(−1/(2π))/(2π) (from the exact h). When
    h ≤ 1/(2π), A ≠ ∅ for every ε and δ = ε(1 − 2π log(1/(2πτ))) = ε·2π·log1p((end − ε)/τ₀); with
    ε = t·end, δ/end² = t(1 − t)·(2π/τ₀)·log1p(y)/y, y = end(1 − t)/τ₀, which Brent maximises
    without cancellation however small end is (h above the limit by 1e-60 still has a best ε).
    """
    tau0 = sympy.exp(-1 / (2 * sympy.pi)) / (2 * sympy.pi)
    end = plateau - tau0
    if not is_positive(end):
        return None
    if is_positive(plateau - 1 / (2 * sympy.pi)):  # A = ∅ for small ε; end > 1/(2π) − τ₀ ≈ 0.024
        eps_float, _ = maximize_bound(float_of(plateau), 1.0)
        eps = sympy.Rational(eps_float)
    else:
        end_float, tau0_float = float_of(end), float_of(tau0)

        def scaled_bound(t: float) -> float:
            y = end_float * (1.0 - t) / tau0_float
            return t * (1.0 - t) * (2 * math.pi / tau0_float) * (math.log1p(y) / y if y > 0.0 else 1.0)

        found_t, _ = minimize_bounded(lambda t: -scaled_bound(t), 0.0, 1.0, 1e-12)
        eps = sympy.Rational(float(found_t)) * end
    return eps, bound_for_det(sympy.Integer(1), eps, plateau).tv


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class Bounds:
    """Every quantity of one run, exact (SymPy) where a closed form exists."""

    k_given: bool
    example: Counterexample
    eps: sympy.Expr
    eps_is_best: bool
    eps_best_for_vp: bool  # the best ε asked for is that of c = 1 (h ≤ 1/e: none is positive for every c)
    c_maximizing: sympy.Expr
    volume_A_upper_bound: sympy.Expr  # 1/(e(h − ε))
    tv_nonempty_A: sympy.Expr  # ε(1 − 1/(e(h − ε))): part (c), may be ≤ 0
    vp: ForDet
    given: ForDet | None
    best_eps: sympy.Expr | None  # None when h ≤ 1/e: no ε gives a positive bound for every c
    best_tv: sympy.Expr | None
    best_eps_vp: sympy.Expr  # the ε that maximises the c = 1 bound (0 when none is positive)
    best_tv_vp: sympy.Expr  # the c = 1 bound there (0 when none is positive)
    best_eps_vp_exact: sympy.Expr | None  # h − 1/(2π) when the maximum sits at that kink
    sigma_squared: sympy.Expr  # E_p‖x‖²/2
    kl_gaussian: sympy.Expr  # KL(p‖N(0, σ²I)) at that σ²
    kl_gaussian_vp: sympy.Expr  # KL(p‖N(0, I))
    kl_gaussian_det: sympy.Expr | None  # KL(p‖N(0, cI)) for the given c

    @property
    def plateau(self) -> sympy.Expr:
        """h, the plateau height of the normalised density."""
        return self.example.plateau

    @property
    def threshold(self) -> sympy.Expr:
        """τ = h − ε, the level that defines A."""
        return self.example.plateau - self.eps

    @property
    def eps_shown(self) -> Any:
        """ε for prose: exact as the user gave it, or to 8 digits when the best ε was chosen."""
        return approx(self.eps, 8) if self.eps_is_best else shown(self.eps)

    @property
    def tv_every(self) -> sympy.Expr:
        """The bound for every θ and every c: the smaller of parts (a) and (c), never below 0."""
        return self.tv_nonempty_A if is_positive(self.tv_nonempty_A) else sympy.Integer(0)


def _best_for_every_det(plateau: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """The ε that maximises ε(1 − 1/(e(h − ε))) and the bound there, h − √(h/e) and (√(eh) − 1)²/e; None when
    h ≤ 1/e, where no ε ∈ (0, h) makes it positive."""
    if not is_positive(plateau - 1 / sympy.E):
        return None
    best = best_eps_formulas()
    return best.best_eps.subs(best.h, plateau), best.best_tv.subs(best.h, plateau)


def _kink_for_vp(plateau: sympy.Expr) -> sympy.Expr | None:
    """h − 1/(2π) when it is the best ε for c = 1, else None.

    For c = 1 the bound is δ = ε up to the kink ε = h − 1/(2π), where A appears, and beyond it
    ε(1 + 2π log(2π(h − ε))), whose slope at the kink is 1 − 4π²ε: the kink is the maximum exactly when
    h − 1/(2π) ≥ 1/(4π²); otherwise the maximum is interior (numerical only).
    """
    kink = plateau - 1 / (2 * sympy.pi)
    return kink if is_positive(kink - 1 / (4 * sympy.pi**2)) else None


def _chosen_eps(
    eps: Eps,
    example: Counterexample,
    best: tuple[sympy.Expr, sympy.Expr] | None,
    best_vp: tuple[sympy.Expr, sympy.Expr] | None,
) -> tuple[sympy.Expr, bool]:
    """ε as given, or the best ε: that for every c, else that for c = 1 (then True); InputError when neither bound
    can be positive."""
    if eps != "best":
        return rational(eps), False  # in (0, h): checked by check_parameters
    if best is not None:
        return best[0], False
    if best_vp is not None:
        # The numerical maximiser is an exact value (a rational t times the exact end of the range): every closed
        # form downstream is then exact for this ε (a 17-digit Float would leave r² ≈ 1e-10 with 7 digits).
        return best_vp[0], True
    raise InputError(
        f"no ε in (0, h) gives a positive bound at k = {short(example.k)}: h = {short(example.plateau)} is below 1/e, "
        f"and too low even for c = 1; give {mention('eps')} a number to see the steps",
        "eps",
    )


def solve_bounds(k: Fraction | None, eps: Eps, det: Fraction | None) -> Bounds:
    """Validate the parameters and compute every quantity; InputError (naming the parameter) for one out of range.

    ``k`` None is the normalising k; ``eps`` "best" the ε that maximises the bound; ``det`` one given c.
    """
    check_parameters(k, eps, det)
    example = counterexample(default_k() if k is None else rational(k))
    plateau = example.plateau
    best = _best_for_every_det(plateau)
    best_eps_vp_exact = _kink_for_vp(plateau)
    best_vp: tuple[sympy.Expr, sympy.Expr] | None
    if best_eps_vp_exact is not None:
        best_vp = (best_eps_vp_exact, best_eps_vp_exact)  # A = ∅ at the kink, so δ = ε there
    else:
        best_vp = best_eps_for_vp(plateau)
    eps_value, eps_best_for_vp = _chosen_eps(eps, example, best, best_vp)

    forms = level_set_formulas()
    threshold = plateau - eps_value
    volume_A_upper = forms.volume_A_upper_bound.subs(forms.tau, threshold)
    sigma_squared = example.second_moment / 2
    given = bound_for_det(rational(det), eps_value, plateau) if det is not None else None
    return Bounds(
        k_given=k is not None,
        example=example,
        eps=eps_value,
        eps_is_best=eps == "best",
        eps_best_for_vp=eps_best_for_vp,
        c_maximizing=forms.c_maximizing.subs(forms.tau, threshold),
        volume_A_upper_bound=volume_A_upper,
        tv_nonempty_A=eps_value * (1 - volume_A_upper),
        vp=bound_for_det(sympy.Integer(1), eps_value, plateau),
        given=given,
        best_eps=best[0] if best is not None else None,
        best_tv=best[1] if best is not None else None,
        best_eps_vp=best_vp[0] if best_vp is not None else sympy.Integer(0),
        best_tv_vp=best_vp[1] if best_vp is not None else sympy.Integer(0),
        best_eps_vp_exact=best_eps_vp_exact,
        sigma_squared=sigma_squared,
        kl_gaussian=example.kl_to_gaussian(sigma_squared),
        kl_gaussian_vp=example.kl_to_gaussian(sympy.Integer(1)),
        kl_gaussian_det=example.kl_to_gaussian(given.c) if given is not None else None,
    )


def pinsker_kl(tv: Any) -> sympy.Expr:
    """Pinsker's KL ≥ 2δ², exact (a δ of 1e-300 gives 2e-600, which float64 would print as 0)."""
    return 2 * to_sympy(tv) ** 2
