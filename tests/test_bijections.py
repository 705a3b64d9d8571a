"""The library of bijections behind the peeling inverter (solvers/flow/bijections.py): each rule of the table
recognises its own kind of layer, inverts it, and states its image; every inverse is checked against NumPy's own
functions (an independent evaluation), and every refusal's two arguments against NumPy too."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from dgm_cli.derivation import plain_text
from dgm_cli.solvers.flow.bijections import (
    RULES,
    Elementary,
    EvenPower,
    Exponential,
    NotInjective,
    NotInvertible,
    OddPower,
    Reciprocal,
    Scaling,
    Shift,
    SquareRoot,
    solve_layer,
)
from dgm_cli.solvers.symbolic import real_cbrt

z = sympy.Symbol("z", real=True)
x = sympy.Symbol("x", real=True)
positive = sympy.Symbol("p", positive=True)

# A layer of each kind, the kind of rule that must recognise it, and a NumPy evaluation of the layer.
LAYERS = [
    (z + 3, Shift, lambda w: w + 3),
    (-2 * z, Scaling, lambda w: -2 * w),
    (real_cbrt(z), Elementary, np.cbrt),
    (2**z, Exponential, lambda w: 2.0**w),
    (z**-3, Reciprocal, lambda w: w**-3.0),
    (z**5, OddPower, lambda w: w**5),
    (z**3, OddPower, lambda w: w**3),
    (sympy.exp(z), Elementary, np.exp),
    (sympy.log(z), Elementary, np.log),
    (sympy.sinh(z), Elementary, np.sinh),
    (sympy.asinh(z), Elementary, np.arcsinh),
    (sympy.tanh(z), Elementary, np.tanh),
]
# Arguments at which to evaluate each layer: inside its domain (log, the reciprocal away from 0).
ARGUMENTS = np.array([-3.7, -1.25, -0.3, 0.4, 1.0, 2.5, 6.0])


def _rule_for(layer: sympy.Expr):
    return next(rule for rule in RULES if rule.recognises(layer, z))


@pytest.mark.parametrize(("layer", "kind", "numpy_layer"), LAYERS, ids=[str(layer) for layer, _, _ in LAYERS])
def test_each_rule_recognises_its_layer_and_inverts_it(layer, kind, numpy_layer):
    """The first rule that recognises the layer is of its kind; its inverse, evaluated by SymPy at the layer's
    values computed by NumPy, gives back the argument (relative 1e-12)."""
    assert isinstance(_rule_for(layer), kind)
    solved = solve_layer(layer, z, x)
    inverse = sympy.lambdify(x, solved.solution, modules=[{"real_cbrt": np.cbrt}, "numpy"])
    domain = ARGUMENTS[ARGUMENTS > 0] if layer.has(sympy.log) else ARGUMENTS
    with np.errstate(all="ignore"):
        values = numpy_layer(domain)
        back = np.array([complex(inverse(v)).real for v in values])
    np.testing.assert_allclose(back, domain, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("layer", "kind", "numpy_layer"), LAYERS, ids=[str(layer) for layer, _, _ in LAYERS])
def test_each_layers_values_satisfy_its_image_conditions(layer, kind, numpy_layer):
    """What the rule states as the layer's image holds at every value the layer takes (NumPy's values)."""
    solved = solve_layer(layer, z, x)
    domain = ARGUMENTS[ARGUMENTS > 0] if layer.has(sympy.log) else ARGUMENTS
    for value in numpy_layer(domain):
        for condition in solved.image:
            assert bool(condition.subs(x, sympy.Float(float(value), 30))), (condition, value)


def test_the_images_are_the_ones_each_function_has():
    """exp and b**w reach only (0, ∞), tanh only (−1, 1), the reciprocal of a signed w one side of 0; the bijections
    of ℝ (shift, scaling, odd powers, cube root, sinh, arcsinh) state no condition."""
    assert solve_layer(sympy.exp(z), z, x).image == (sympy.StrictGreaterThan(x, 0),)
    assert solve_layer(2**z, z, x).image == (sympy.StrictGreaterThan(x, 0),)
    assert solve_layer(sympy.tanh(z), z, x).image == (sympy.StrictLessThan(sympy.Abs(x), 1),)
    assert solve_layer(1 / (1 + sympy.exp(z)), z, x).image[0] == sympy.StrictGreaterThan(x, 0)
    for layer in (z + 1, 3 * z, z**3, real_cbrt(z), sympy.sinh(z), sympy.asinh(z)):
        assert solve_layer(layer, z, x).image == ()


def test_where_a_layer_is_defined_is_its_domain():
    assert solve_layer(sympy.log(z), z, x).domain == (sympy.StrictGreaterThan(z, 0),)
    assert solve_layer(sympy.sqrt(z), z, x).domain == (sympy.GreaterThan(z, 0),)
    assert solve_layer(1 / z, z, x).domain == (sympy.Ne(z, 0),)
    assert solve_layer(sympy.exp(z), z, x).domain == ()


def test_an_even_power_of_a_positive_quantity_is_a_bijection_onto_the_positive_half_line():
    layer = (sympy.exp(z) + 1) ** 2
    assert isinstance(_rule_for(layer), EvenPower)
    solved = solve_layer(layer, z, x)
    assert solved.image[0] == sympy.StrictGreaterThan(x, 0)
    value = float((np.exp(0.7) + 1) ** 2)
    assert float(solved.solution.subs(x, value)) == pytest.approx(0.7, rel=1e-13)


def test_a_square_root_is_recognised_as_such():
    assert isinstance(_rule_for(sympy.sqrt(z)), SquareRoot)
    assert float(solve_layer(sympy.sqrt(z), z, x).solution.subs(x, 3)) == 9.0


def test_nested_layers_peel_from_the_outside_with_one_reason_each():
    """3·e^(z³) + 1 = x: a shift, a scaling, exp and an odd power, in that order."""
    solved = solve_layer(3 * sympy.exp(z**3) + 1, z, x)
    assert len(solved.reasons) == 4
    words = [plain_text(reason) for reason in solved.reasons]
    assert "shift" in words[0] and "scaling" in words[1] and "exp" in words[2] and "power" in words[3]
    assert float(solved.solution.subs(x, 3 * np.exp(0.5**3) + 1)) == pytest.approx(0.5, rel=1e-13)


@pytest.mark.parametrize(("layer", "numpy_function"), [
    (sympy.sin(z), np.sin), (sympy.cos(z), np.cos), (sympy.Abs(z), np.abs), (sympy.sign(z), np.sign),
    (z**2, np.square), (z**4, lambda w: w**4),
])
def test_a_layer_that_is_not_injective_is_refused_with_two_arguments_of_one_image(layer, numpy_function):
    with pytest.raises(NotInvertible) as refused:
        solve_layer(layer + 1, z, x)
    assert refused.value.not_injective and refused.value.inner == z
    a, b = (float(v) for v in refused.value.values)
    assert a != b and numpy_function(a) == pytest.approx(numpy_function(b), abs=1e-15)


def test_no_rule_and_no_layer_say_why():
    with pytest.raises(NotInvertible, match="no closed-form rule"):
        solve_layer(sympy.atan(z), z, x)
    with pytest.raises(NotInvertible, match="more than one term"):
        solve_layer(z + sympy.exp(z), z, x)
    with pytest.raises(NotInvertible, match="not shown to be nonzero"):
        solve_layer(sympy.Symbol("c", real=True) * z, z, x)


def test_adding_a_kind_of_bijection_is_adding_one_rule():
    """atan, strictly increasing from ℝ onto (−π/2, π/2): one Elementary rule appended to the table."""
    atan = Elementary(
        sympy.atan, sympy.tan, ("atan is strictly increasing from the reals onto an open interval",),
        image=lambda rhs: sympy.StrictLessThan(sympy.Abs(rhs), sympy.pi / 2),
    )
    solved = solve_layer(2 * sympy.atan(z) + 1, z, x, rules=(*RULES, atan))
    assert solved.image == (sympy.StrictLessThan(sympy.Abs(x / 2 - sympy.Rational(1, 2)), sympy.pi / 2),)
    assert float(solved.solution.subs(x, 2 * np.arctan(-1.3) + 1)) == pytest.approx(-1.3, rel=1e-13)


def test_the_first_rule_that_recognises_a_layer_wins():
    """2**z is an exponential (the base is constant), z**-2 a reciprocal (before the even power is tried)."""
    assert isinstance(_rule_for(2**z), Exponential)
    assert isinstance(_rule_for(z**-2), Reciprocal)
    assert isinstance(_rule_for(sympy.sin(z)), NotInjective)


def test_every_reason_is_prose_without_unicode_mathematics_in_its_words():
    allowed = set("–—‘’“”…\u00a0")
    for layer, _, _ in LAYERS:
        for reason in solve_layer(layer, z, x).reasons:
            for piece in reason:
                if isinstance(piece, str):
                    assert all(ord(c) < 128 or c in allowed for c in piece), piece
