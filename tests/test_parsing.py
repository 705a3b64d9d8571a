"""Our own number grammar: exact values, clear refusals."""

from __future__ import annotations

from fractions import Fraction

import pytest

from dgm_cli.errors import InputError
from dgm_cli.parsing import parse_number, parse_vector


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", Fraction(0)),
        ("-2", Fraction(-2)),
        ("0.333", Fraction(333, 1000)),
        ("1/3", Fraction(1, 3)),
        ("-1/3", Fraction(-1, 3)),
        ("1e-3", Fraction(1, 1000)),
        ("2.5E2", Fraction(250)),
        (" 7 ", Fraction(7)),
        ("\u22121/2", Fraction(-1, 2)),  # a minus sign pasted from a PDF
        (".5", Fraction(1, 2)),
        ("1.5/0.5", Fraction(3)),
    ],
)
def test_numbers_are_read_exactly(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "abc", "nan", "-inf", "Infinity", "1/0", "1e401", "2**3", "1,5", "__import__('os')", "0x10", "1_000"]
)
def test_bad_numbers_are_refused_with_the_option_name(text):
    with pytest.raises(InputError) as caught:
        parse_number(text, "--k")
    assert caught.value.user_message().startswith("--k: ")


def test_huge_argument_is_refused_at_once():
    with pytest.raises(InputError, match="limit"):
        parse_number("1" * 100_000, "--x")


def test_vectors_take_separate_comma_or_space_separated_values():
    assert parse_vector(["0", "1", "1/3"], "--x", 3) == [0, 1, Fraction(1, 3)]
    assert parse_vector(["0,1, 1/3"], "--x", 3) == [0, 1, Fraction(1, 3)]
    with pytest.raises(InputError, match="expected 3 coordinates, got 2"):
        parse_vector(["0,1"], "--x", 3)
