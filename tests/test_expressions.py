"""The safe expression grammar: precedence, exact numbers, the function table, and the limits."""

from __future__ import annotations

import pytest
import sympy

from dgm_cli.errors import InputError
from dgm_cli.distributions import Normal, Uniform, parse_base
from dgm_cli.expressions import count_components, parse_components, parse_transform
from dgm_cli.sympy_functions import real_cbrt

z1, z2 = sympy.symbols("z1 z2", real=True)


def one(text):
    return parse_transform(text)[0][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-z1**2", -(z1**2)),
        ("2**3**2", sympy.Integer(512)),
        ("2^3", sympy.Integer(8)),
        ("z1**-1", 1 / z1),
        ("1 - 2 - 3", sympy.Integer(-4)),
        ("8/4/2", sympy.Integer(1)),
        ("0.333", sympy.Rational(333, 1000)),
        ("1e-3*z1", z1 / 1000),
        ("cbrt(-8)", sympy.Integer(-2)),
        ("sigmoid(z1)", 1 / (1 + sympy.exp(-z1))),
        ("softplus(z1)", sympy.log(1 + sympy.exp(z1))),
        ("arcsinh(z1) + abs(z1) + sign(z1)", sympy.asinh(z1) + sympy.Abs(z1) + sympy.sign(z1)),
        ("2**z1", 2**z1),
        ("\u2212z1", -z1),
    ],
)
def test_precedence_and_functions(text, expected):
    assert sympy.simplify(one(text) - expected) == 0


def test_cbrt_is_the_real_cube_root():
    assert isinstance(one("cbrt(z1)"), real_cbrt)


def test_components_and_dimension():
    components, z, x = parse_transform("z1; z2*exp(z1)")
    assert len(components) == 2 and [s.name for s in z] == ["z1", "z2"] and [s.name for s in x] == ["x1", "x2"]
    assert count_components("f(a; b); c") == 2


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("foo(z1)", "unknown name 'foo' at column 1"),
        ("z1 + z3", "unknown name 'z3'"),
        ("(z1", "unbalanced parentheses"),
        ("z1)", "unbalanced parentheses"),
        ("z1 z1", "expected an operator"),
        ("1/0", "division by zero"),
        ("log(0)", "undefined"),
        ("sqrt(-1)", "not real"),
        ("z1**0.5", "sqrt"),
        ("z1**101", "outside ±100"),
        ("(z1**10)**11", "multiply"),
        ("2**1000000", "too large"),
        ("10**10**10", "too large"),
        ("z1**(10**9)", "outside ±100"),
        ("z1**z1", "positive constant base"),
        ("(" * 51 + "z1" + ")" * 51, "nested"),
        ("-" * 60 + "z1", "nested"),
        ("+".join(["z1"] * 1100), "tokens"),
        ("z1" * 6000, "characters"),
        ("exp z1", "parentheses"),
        ("z1 = 1", "unexpected character '='"),
        ("", "empty"),
    ],
)
def test_refusals_name_the_option_and_the_place(text, needle):
    with pytest.raises(InputError) as error:
        parse_transform(text)
    assert error.value.option == "--transform"
    assert needle in error.value.message


def test_more_than_eight_components_is_refused():
    with pytest.raises(InputError, match="limit is 8"):
        parse_transform("; ".join(["z1"] * 9))


def test_inverse_uses_x_variables_and_a_count():
    x1, x2 = sympy.symbols("x1 x2", real=True)
    assert parse_components("x1; x2", (x1, x2), "--inverse", expected=2) == [x1, x2]
    with pytest.raises(InputError, match="expected 2 components"):
        parse_components("x1", (x1, x2), "--inverse", expected=2)
    with pytest.raises(InputError, match="unknown name 'z1'"):
        parse_components("z1; x2", (x1, x2), "--inverse")


def test_base_specs():
    assert parse_base("normal") == Normal(0, 1)
    assert parse_base("Uniform(-1, 1/2)") == Uniform(-1, sympy.Rational(1, 2))
    for bad in ["cauchy", "uniform(1, 0)", "laplace(0)", "normal(0, 0)", "normal(0, nan)", "categorical(0.5, 0.5)"]:
        with pytest.raises(InputError):
            parse_base(bad)


def test_building_an_expression_past_its_time_limit_is_a_refusal_not_a_hang(monkeypatch):
    """SymPy evaluates while the parser builds; past PARSE_SECONDS the parse is refused with the option named."""
    import dgm_cli.expressions as expressions

    monkeypatch.setattr(expressions, "PARSE_SECONDS", 0.0)
    with pytest.raises(InputError, match="took more than 0 s") as error:
        parse_transform("z1")
    assert error.value.option == "--transform"


def test_parsing_an_expression_loads_no_solver():
    """The parsing layer stands below the solvers: `cbrt` and the time limit come from dgm_cli.sympy_functions."""
    import subprocess
    import sys

    code = "import dgm_cli.expressions, sys; print([m for m in sys.modules if m.startswith('dgm_cli.solvers')])"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


@pytest.mark.parametrize(("text", "column"), [("\uff12*z1", 1), ("z1 + 1_0", 7), ("0x10*z1", 2)])
def test_numbers_are_the_parsing_layers_ascii_decimals(text, column):
    """A fullwidth digit, an underscore or a hex prefix is not part of a number (Python's int() takes the first two)."""
    with pytest.raises(InputError, match=f"at column {column}"):
        parse_transform(text)


def test_pasted_minus_signs_are_minus_in_expressions():
    assert one("\u2212z1 \u2013 2") == -z1 - 2

