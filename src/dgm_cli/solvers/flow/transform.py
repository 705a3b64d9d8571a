"""A user's map and the best inverse we can justify, with what is shown about its invertibility.

In order: an inverse given with the map (verified by SymPy here, and numerically in the checks); the closed form
peeled layer by layer (:mod:`.peeling`); for a triangular map that does not peel, the proof that each layer is one
to one (:mod:`.monotone`), its inverse then computed layer by layer (:mod:`.layers`); a witness that the map is
not injective (:mod:`.witnesses`); sympy.solve on small maps; and otherwise numeric inversion at each point.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from dgm_cli.derivation import Prose, m
from dgm_cli.distributions import Continuous
from dgm_cli.errors import InputError
from dgm_cli.solvers.flow.base import STANDARD_NORMAL_BASE, IidBase
from dgm_cli.solvers.flow.bijections import REALS, NotInvertible
from dgm_cli.solvers.flow.model import MODEL_SECONDS, FlowModel, Invertibility, simplifies_to_zero
from dgm_cli.solvers.flow.monotone import MonotoneLayer, prove_triangular
from dgm_cli.solvers.flow.peeling import InverseStep, NotTriangular, invert_triangular, triangular_order
from dgm_cli.solvers.flow.prose import (
    DET_DFDZ,
    F_OF_G_EQ_X,
    G_OF_F_MINUS_Z,
    Z_EQ_F_INV,
    ZERO,
    F,
    G,
    X,
    Z,
    joined,
    reals_power,
    subscript,
)
from dgm_cli.solvers.flow.witnesses import SIGN_SAMPLES, find_witness, jacobian_sign_change
from dgm_cli.solvers.symbolic import Budget, Label, OutOfTime, equation, time_limit

INVERT_SECONDS = 3.0  # the peeling inverter; past it, the map is inverted numerically
PROVE_SECONDS = 6.0  # the layer-by-layer argument for a map without a closed-form inverse (limits, bounds)
SOLVE_TIME_LIMIT = 1.5  # seconds for sympy.solve (within the map's budget); beyond it we invert numerically
SOLVE_MAX_OPS = 40  # sympy.solve is only tried on small maps (count_ops of all components)
NUMERIC = "numeric"


def refuse_without_density(model: FlowModel) -> None:
    """Refuse a map whose Jacobian determinant vanishes wherever f is differentiable: f(Z) then has no density.

    A component built from sign() is locally constant, so its row of ∂f/∂z is 0 almost everywhere;
    a map that ignores a variable has a column of zeros.
    """
    jacobian = model.jacobian_forward
    if jacobian.has(sympy.Derivative):
        raise InputError("f is not differentiable in closed form (a derivative SymPy cannot evaluate)", "transform")
    n = model.dimension
    for i in range(n):
        if all(jacobian[i, j] == 0 for j in range(n)):
            raise InputError(
                f"component {i + 1} of f is locally constant (its derivative is 0 wherever it exists), so "
                "det ∂f/∂z = 0 almost everywhere and f(z) has no density",
                "transform",
            )
    for j in range(n):
        if all(jacobian[i, j] == 0 for i in range(n)):
            raise InputError(
                f"f does not depend on {model.z[j]}, so det ∂f/∂z = 0 everywhere and f(z) has no density", "transform"
            )


def _with_given_inverse(z: tuple, x: tuple, forward: sympy.Matrix, base: IidBase, inverse: Sequence[sympy.Expr],
                        budget: Budget) -> FlowModel:
    """The inverse g given with the map: refused when det ∂g/∂x is identically 0; injectivity proven when SymPy
    simplifies g(f(z)) − z to 0 (either way the checks test f(g(x)) = x numerically)."""
    given = sympy.Matrix(list(inverse))
    refuse_without_density(FlowModel(z, x, forward, (), base, given, "user", None, budget))
    determinant = budget.attempt(lambda: sympy.Matrix([given.jacobian(x).det(method="berkowitz")]))
    if determinant is not None and simplifies_to_zero(determinant, budget):
        raise InputError(
            "det ∂g/∂x is identically 0, so g collapses a dimension and cannot be the inverse of f", "inverse"
        )
    left = simplifies_to_zero(given.subs(dict(zip(x, forward))) - sympy.Matrix(z), budget)
    if left:
        text: Prose = (
            "The inverse ", G, " was given. SymPy simplifies ", G_OF_F_MINUS_Z, " to ", ZERO, " for every ", Z, ": ",
            G, " undoes ", F, ", so ", F, " is injective, and ",
            m(r"p_X(x) = p_Z(g(x)) \, \lvert \det \partial g/\partial x \rvert", "p_X(x) = p_Z(g(x))·|det ∂g/∂x|"),
            " on the image of ", F, ".",
        )
    else:
        text = (
            "The inverse ", G, " was given. SymPy could not simplify ", G_OF_F_MINUS_Z, " to ", ZERO,
            ", so injectivity is not proven; the checks below test ", F_OF_G_EQ_X,
            " at the point and at random points.",
        )
    verdict = Invertibility("injective" if left else "not proven", text)
    return FlowModel(z, x, forward, (), base, given, "user", verdict, budget)


def _peeled(components: Sequence[sympy.Expr], z: tuple, x: tuple, budget: Budget) -> list[InverseStep] | NotInvertible:
    """The peeling inverter within its time limit: the steps, or why it stopped."""
    try:
        with time_limit(INVERT_SECONDS):
            return invert_triangular(components, z, x, budget)
    except NotInvertible as error:
        return error
    except OutOfTime:
        hint = NotInvertible(("peeling ", F, " layer by layer did not finish within its time limit",))
        hint.timed_out = True
        return hint


def layer_derivative_label(index: int, variable: sympy.Symbol) -> Label:
    """∂f_i/∂z_j, the derivative of the i-th component (1-based) in its layer's variable, as a display name."""
    from sympy.printing.pretty.pretty_symbology import pretty_symbol

    return Label(f"∂f{subscript(index)}/∂{pretty_symbol(variable.name)}",
                 rf"\partial f_{{{index}}}/\partial {sympy.latex(variable)}")


def _proven_layers(components, z, x) -> tuple[MonotoneLayer, ...] | None:
    """Each layer of a triangular map one to one in its new variable, within PROVE_SECONDS; None without a proof."""
    labels = [layer_derivative_label(i + 1, sympy.Symbol("z")) for i in range(len(z))]
    budget = Budget(PROVE_SECONDS)

    def attempt():
        # Labels name each layer's own variable, known only once the order of the layers is.
        try:
            order = list(triangular_order(components, z))
        except NotTriangular:
            return None
        named = list(labels)
        for i, variable in order:
            named[i] = layer_derivative_label(i + 1, variable)
        return prove_triangular(components, z, x, budget, named)

    layers = budget.attempt(attempt, limit=PROVE_SECONDS)
    return tuple(layers) if layers else None


def _layer_by_layer_text(layers: Sequence[MonotoneLayer], n: int, hint: NotInvertible | None) -> Prose:
    """The argument that f is one to one, layer by layer, and how its inverse is computed."""
    rn = reals_power(n)
    lines: list = []
    for layer in layers:
        why = joined(layer.reasons, "; ") if layer.solution is not None else joined(layer.reasons, " ")
        if layer.solution is not None and not layer.reasons:
            why = (equation(layer.target, layer.variable), " is the identity")
        ending = "." if layer.solution is not None else ""
        lines.extend(["\n", equation(layer.target, layer.component), ", in ", layer.variable, ": ", *why, ending])
    triangular = (
        (F, " is triangular: each component, in turn, involves one new latent variable; each layer is one to one in "
         "that variable for every value of the earlier ones.")
        if n > 1 else (F, " has no closed-form inverse, but it is one to one:")
    )
    if all(layer.onto_reals for layer in layers):
        verdict: Prose = (
            "\nEach layer maps ", REALS, " onto ", REALS, " one to one, so ", F, " is a bijection of ", rn,
            " onto ", rn,
            ". Its inverse has no closed form: ", Z_EQ_F_INV, " is computed layer by layer, each layer without a "
            "closed form by bisection on the float64 numbers.",
        )
    else:
        verdict = (
            "\nEach layer is one to one, so ", F, " is injective; ", X, " lies in its image exactly when each "
            "coordinate lies in the image of its layer at the earlier coordinates, and there ", Z_EQ_F_INV,
            " is computed layer by layer, each layer without a closed form by bisection on the float64 numbers.",
        )
    peeled = ("The peeling inverter stopped (", *hint.reason, "). ") if hint is not None else ()
    return (*peeled, *triangular, *lines, *verdict)


def proven_one_to_one(
    components, z, x, hint: NotInvertible | None
) -> tuple[tuple[MonotoneLayer, ...], Invertibility] | None:
    """The layer-by-layer argument for a triangular map that does not peel in closed form: each layer one to one
    in its new variable (peeled, or strictly monotone and continuous with its limits at ±∞). None when some layer
    has no argument, or the map is not triangular."""
    layers = _proven_layers(components, z, x)
    if layers is None:
        return None
    bijective = all(layer.onto_reals for layer in layers)
    summary = (F, " is one to one (proved layer by layer); its inverse is computed by bisection.")
    text = _layer_by_layer_text(layers, len(z), hint)
    return layers, Invertibility("bijective" if bijective else "injective", text, summary=summary)


def _solve_with_time_limit(components, z, x, budget: Budget) -> list[dict] | None:
    """sympy.solve(f(z) = x) within the budget; None on a timeout, an error, or a map too large to try."""
    if sum(sympy.count_ops(c) for c in components) > SOLVE_MAX_OPS or len(z) > 2:
        return None
    return budget.attempt(
        lambda: sympy.solve([c - xi for c, xi in zip(components, x)], list(z), dict=True), limit=SOLVE_TIME_LIMIT
    )


def _solved_or_numeric(components: Sequence[sympy.Expr], numeric: FlowModel, hint: NotInvertible) -> FlowModel:
    """sympy.solve's inverse when it finds exactly one real one that undoes f; otherwise numeric inversion."""
    z, x, forward, budget = numeric.z, numeric.x, numeric.forward, numeric.budget
    solutions = _solve_with_time_limit(components, z, x, budget)
    if solutions is not None and len(solutions) == 1 and set(solutions[0]) == set(z):
        candidate = sympy.Matrix([solutions[0][v] for v in z])
        round_trip = budget.attempt(lambda: candidate.subs(dict(zip(x, forward))) - sympy.Matrix(z))
        if not candidate.has(sympy.I) and round_trip is not None and simplifies_to_zero(round_trip, budget):
            text = (
                "The peeling inverter stopped (", *hint.reason, "); sympy.solve found one solution ", G,
                ", and SymPy simplifies ", G_OF_F_MINUS_Z, " to ", ZERO, " for every ", Z, ": ", G, " undoes ", F,
                ", so ", F, " is injective.",
            )
            verdict = Invertibility("injective", text)
            return FlowModel(z, x, forward, (), numeric.base, candidate, "sympy.solve", verdict, budget)
    tried = "sympy.solve found no single closed form" if solutions is not None else (
        "sympy.solve was not tried (it is only run on small maps of one or two variables) or ran out of time"
    )
    text = (
        "No closed-form inverse: the peeling inverter stopped (", *hint.reason, ") and ", tried, ". ", F,
        " is inverted numerically at the point (scipy.optimize.root from the origin, ", X,
        " and reproducible random starts). Invertibility is not proven: no sign change of ", DET_DFDZ,
        " was seen at ", SIGN_SAMPLES, " random points and the root search is reported below.",
    )
    return FlowModel(z, x, forward, (), numeric.base, None, NUMERIC, Invertibility("not proven", text), budget)


def _without_closed_form(components: Sequence[sympy.Expr], numeric: FlowModel, hint: NotInvertible) -> FlowModel:
    """A map the peeling inverter stopped on: proven one to one layer by layer, shown not injective by a witness,
    solved by sympy.solve, or inverted numerically without a proof."""
    z, x, forward, base, budget = numeric.z, numeric.x, numeric.forward, numeric.base, numeric.budget
    if not hint.timed_out:
        proven = proven_one_to_one(components, z, x, hint)
        if proven is not None:
            layers, verdict = proven
            return FlowModel(z, x, forward, (), base, None, "bisection", verdict, budget, layers=layers)
    witness = find_witness(numeric, hint) if hint.not_injective else None
    if witness is None:
        witness = jacobian_sign_change(numeric, base)
    if witness is not None:
        text = ("The peeling inverter stopped: ", *hint.reason, ". ", *witness.text)
        verdict = Invertibility(
            "not invertible", text, witness.witness, witness.witness_exact, witness.summary, witness.sign_change
        )
        return FlowModel(z, x, forward, (), base, None, NUMERIC, verdict, budget)
    return _solved_or_numeric(components, numeric, hint)


def transform_model(
    components: Sequence[sympy.Expr],
    z: Sequence[sympy.Symbol],
    x: Sequence[sympy.Symbol],
    base: Continuous | IidBase = STANDARD_NORMAL_BASE,
    inverse: Sequence[sympy.Expr] | None = None,
) -> FlowModel:
    """A user's map with the best inverse we can justify and what is shown about its invertibility.

    Order: a given inverse (verified later, in the checks); the peeling inverter
    (triangular maps, with the reasons each layer is a bijection); sympy.solve on
    small maps, kept only when g(f(z)) = z simplifies to z; otherwise numeric
    inversion at each point. A non-injective layer or a sign change of det ∂f/∂z
    gives a witness. All symbolic work shares one time budget (MODEL_SECONDS). ``base`` is the distribution of each
    latent coordinate (:func:`dgm_cli.distributions.parse_base`), N(0, 1) by default.
    """
    base = base if isinstance(base, IidBase) else IidBase(base)
    budget = Budget(MODEL_SECONDS)
    z, x, forward = tuple(z), tuple(x), sympy.Matrix(components)
    if inverse is not None:
        return _with_given_inverse(z, x, forward, base, inverse, budget)
    peeled = _peeled(components, z, x, budget)
    if not isinstance(peeled, NotInvertible):
        bijective = not any(s.image_conditions or s.domain_conditions for s in peeled)
        verdict = Invertibility("bijective" if bijective else "injective", ())
        model = FlowModel(z, x, forward, tuple(peeled), base, None, "peeling", verdict, budget)
        refuse_without_density(model)
        return model
    numeric = FlowModel(z, x, forward, (), base, None, NUMERIC, None, budget)
    refuse_without_density(numeric)
    return _without_closed_form(components, numeric, peeled)
