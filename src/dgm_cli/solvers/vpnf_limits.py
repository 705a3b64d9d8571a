"""The ranges of vpnf-bound's parameters, in exact rational arithmetic and without SymPy or NumPy.

Callers (the command line, the Python API) check k, ε and c here before the heavy imports, so bad input is refused
at once; the solver calls the same function, so there is one statement of each range. For a rational k the
normalised plateau is rational: mass(k) = 9/10 + 81/(50k) + 243/(250k²) (the corrected ramp), h = (9/10)/mass(k);
for the normalising k (the default) mass = 1 and h = 9/10. Errors name the parameter (k, eps, det).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, TypeAlias

from dgm_cli.errors import InputError
from dgm_cli.parsing import short_number

K_MIN = Fraction(1, 10**150)  # below it the quadrature of the moments leaves float64 (SciPy's quad crashed at 1e-160)
PLATEAU_AS_WRITTEN = Fraction(9, 10)

#: ε: a number, or "best", the ε that maximises the bound (as parsing.parse_eps reads it).
Eps: TypeAlias = Fraction | Literal["best"]


def mass(k: Fraction) -> Fraction:
    """∫ p for the counterexample as written (ramp to its zero 0.5 + 0.9/k): 9/10 + 81/(50k) + 243/(250k²)."""
    return Fraction(9, 10) + Fraction(81, 50) / k + Fraction(243, 250) / k**2


def plateau(k: Fraction | None) -> Fraction:
    """The plateau height h of the normalised density: 9/10 divided by the mass (9/10 for the normalising k)."""
    return PLATEAU_AS_WRITTEN if k is None else PLATEAU_AS_WRITTEN / mass(k)


def check_parameters(k: Fraction | None, eps: Eps, det: Fraction | None) -> None:
    """Refuse k ≤ 0 or below K_MIN, c ≤ 0, and a numeric ε outside (0, h); "best" is checked by the solver."""
    k = None if k is None else Fraction(k)
    det = None if det is None else Fraction(det)
    if k is not None and k <= 0:
        raise InputError(f"k must be positive (got {short_number(k)})", "k")
    if k is not None and k < K_MIN:
        raise InputError(
            f"k = {short_number(k)} is below {short_number(K_MIN)}: the support (half-side 0.5 + 0.9/k) and the "
            "moments of the density would leave float64's range",
            "k",
        )
    if det is not None and det <= 0:
        raise InputError(f"the constant c = |det ∂f/∂z| must be positive (got {short_number(det)})", "det")
    if eps != "best":
        value, h = Fraction(eps), plateau(k)
        if not 0 < value < h:
            k_text = "the normalising k" if k is None else f"k = {short_number(k)}"
            raise InputError(
                f"ε must lie in (0, h) = (0, {short_number(h)}) for {k_text}, h being the plateau height of the "
                f"normalised density; got {short_number(value)}",
                "eps",
            )
