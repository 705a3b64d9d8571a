"""Our own number grammar: exact values, clear refusals."""

from __future__ import annotations

from fractions import Fraction

import pytest

from dgm_cli.errors import InputError
from dgm_cli.parsing import (
    MINUS_LOOKALIKES,
    NUMBER,
    WHOLE_NUMBER,
    list_items,
    parse_eps,
    parse_logit_lines,
    parse_logits,
    parse_number,
    parse_vector,
)


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


# --------------------------------------------------------------------------- one number grammar


@pytest.mark.parametrize(
    "text", ["0", "-2", "+.5", "1.", "1e-3", "2.5E2", "1/3", "-1 / 3", "1.5/0.5", "1e5/-2", "abc", "1/", "/2", "1e",
             "1/2/3", "0x10", "1_000", "\uff11\uff12", "1,5", "--1", " 7"]
)
def test_the_number_regex_accepts_exactly_what_parse_number_reads(text):
    try:
        parse_number(text)
        accepted = True
    except InputError:
        accepted = False
    assert accepted == bool(NUMBER.fullmatch(text.strip()))


@pytest.mark.parametrize(("text", "whole"), [("12", True), ("-3", True), ("+0", True), ("1.0", False), ("1_0", False),
                                             ("\uff11\uff12", False), ("1e3", False)])
def test_whole_numbers_are_ascii_digits_only(text, whole):
    assert bool(WHOLE_NUMBER.fullmatch(text)) == whole


def test_every_minus_look_alike_reads_as_minus():
    for character in MINUS_LOOKALIKES:
        assert parse_number(chr(character) + "2") == -2


def test_list_items_split_on_commas_and_spaces_and_refuse_an_empty_value():
    assert list_items(" 0,1, 1/3  -2 ", "--x") == ["0", "1", "1/3", "-2"]
    for bad in ["", "  ", "1,,2", "1, ,2"]:
        with pytest.raises(InputError, match="empty value"):
            list_items(bad, "--x")


# --------------------------------------------------------------------------- the problems' own values


def test_logits_are_read_exactly_from_repeated_and_separated_values():
    assert parse_logits(["-1, -5", "-10 -1/3"]) == [-1, -5, -10, Fraction(-1, 3)]
    with pytest.raises(InputError) as caught:
        parse_logits(["-1,abc"])
    assert caught.value.user_message() == "--logits: 'abc' is not a number (expected forms like 2, -0.5, 1e-3, 1/3)"


def test_logit_lines_name_the_bad_line_and_keep_to_the_range():
    assert parse_logit_lines(["-1, -5  # a comment", "", "# only a comment", "-10"]) == [-1, -5, -10]
    with pytest.raises(InputError) as caught:
        parse_logit_lines(["-1", "-5 abc"])
    assert caught.value.option == "stdin line 2"
    with pytest.raises(InputError, match=r"the logit 1e\+301 is outside ±1e300"):
        parse_logit_lines(["1e301"])
    with pytest.raises(InputError, match="the logit -1.8e308 or beyond is outside ±1e300"):
        parse_logit_lines(["-1e400"])
    with pytest.raises(InputError, match=r"no logits given \(pass --logits H,H,\.\.\. or numbers on stdin"):
        parse_logit_lines(["# nothing"])


def test_logit_lines_that_are_not_text_are_refused():
    def undecodable():
        yield "-1"
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    with pytest.raises(InputError, match="is not text"):
        parse_logit_lines(undecodable())


def test_eps_is_the_word_best_or_an_exact_number():
    assert parse_eps(" Best ") == "best"
    assert parse_eps("0.1") == Fraction(1, 10)
    with pytest.raises(InputError) as caught:
        parse_eps("good")
    assert caught.value.option == "--eps"

