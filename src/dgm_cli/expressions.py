"""The project's safe expression grammar, for maps typed on the command line.

A tokenizer and a recursive-descent parser build SymPy expressions directly
from tokens; user text never reaches ``eval``, ``sympify`` or ``parse_expr``
(they run Python). Grammar, loosest first::

    components := expr (';' expr)*          (',' at the top level separates too)
    expr       := term (('+' | '-') term)*
    term       := unary (('*' | '/') unary)*
    unary      := ('-' | '+') unary | power  (so -z1**2 = -(z1**2))
    power      := atom (('**' | '^') unary)? (right-associative: 2**3**2 = 2**9)
    atom       := number | variable | function '(' expr ')' | '(' expr ')'

Numbers are the parsing layer's (:data:`parsing.UNSIGNED_DECIMAL`; a sign is
the unary operator), read exactly (``0.333`` is 333/1000) by
:func:`parsing.parse_number`. Limits are enforced while parsing, so hostile
input fails fast: the text length, the number of tokens, the nesting depth,
integer exponents, and the size of constant powers (checked before SymPy
evaluates them).

Base distributions (``--base``) are read by :func:`dgm_cli.distributions.parse_base`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

# The old home of the base parser, kept for cli.py and api.py until they call distributions.parse_base.
from dgm_cli.errors import InputError
from dgm_cli.parsing import MAX_DECIMAL_EXPONENT, MAX_TEXT_LENGTH, MINUS_LOOKALIKES, UNSIGNED_DECIMAL, parse_number
from dgm_cli.sympy_functions import OutOfTime, real_cbrt, time_limit

MAX_DEPTH = 50  # nested parentheses / unary signs / powers
MAX_TOKENS = 2000
MAX_EXPONENT = 100  # |integer exponent|, and the product of nested integer exponents
MAX_DIMENSION = 8
PARSE_SECONDS = 2.0  # building the SymPy expressions (SymPy evaluates as it builds); beyond it, a refusal


def _sigmoid(u):
    return 1 / (1 + sympy.exp(-u))


def _softplus(u):
    return sympy.log(1 + sympy.exp(u))


#: The whitelisted functions and the SymPy expression each one builds.
FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "cbrt": real_cbrt,  # the REAL cube root: cbrt(-8) = -2
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "arcsinh": sympy.asinh,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "abs": sympy.Abs,
    "sign": sympy.sign,
}

_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<number>{UNSIGNED_DECIMAL})
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op>\*\*|[-+*/^();,])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op", "end"
    text: str
    column: int  # 1-based


def tokenize(text: str, option: str) -> list[Token]:
    """Split ``text`` into tokens; anything outside the grammar's alphabet is refused with its column."""
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(f"expression is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}", option)
    text = text.translate(MINUS_LOOKALIKES)
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InputError(f"unexpected character {text[position]!r} at column {position + 1}", option)
        kind = match.lastgroup
        if kind is not None and kind != "space":  # every alternative is a named group
            tokens.append(Token(kind, match.group(), position + 1))
            if len(tokens) > MAX_TOKENS:
                raise InputError(f"more than {MAX_TOKENS} tokens; the expression is too long", option)
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


@dataclass
class _Node:
    """A parsed sub-expression and the product of the integer exponents nested in it."""

    expr: sympy.Expr
    power_product: int = 1


class _Parser:
    def __init__(self, tokens: list[Token], variables: dict[str, sympy.Symbol], option: str) -> None:
        self.tokens = tokens
        self.variables = variables
        self.option = option
        self.index = 0
        self.depth = 0

    # -- helpers
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def fail(self, message: str) -> InputError:
        return InputError(message, self.option)

    def where(self, token: Token) -> str:
        return f"at column {token.column}" if token.kind != "end" else "at the end"

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        if self.current.kind == "op" and self.current.text in texts:
            return self.advance()
        return None

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep {self.where(self.current)}")

    def leave(self) -> None:
        self.depth -= 1

    def checked(self, node: _Node, token: Token) -> _Node:
        """Refuse constants SymPy could only write as ±∞, NaN or complex (1/0, log(0), sqrt(-1))."""
        expr = node.expr
        if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.fail(f"undefined value (division by zero or log(0)) {self.where(token)}")
        if expr.has(sympy.I):
            raise self.fail(f"the value {self.where(token)} is not real")
        return node

    # -- grammar
    def components(self) -> list[sympy.Expr]:
        parts = [self.expr().expr]
        while self.accept(";", ","):
            parts.append(self.expr().expr)
        if self.current.kind != "end":
            token = self.current
            if token.text == ")":
                raise self.fail(f"unbalanced parentheses: ')' {self.where(token)} closes nothing")
            raise self.fail(f"expected an operator or ';' {self.where(token)}, got {token.text!r}")
        return parts

    def expr(self) -> _Node:
        node = self.term()
        while (token := self.accept("+", "-")) is not None:
            right = self.term()
            value = node.expr + right.expr if token.text == "+" else node.expr - right.expr
            node = self.checked(_Node(value, max(node.power_product, right.power_product)), token)
        return node

    def term(self) -> _Node:
        node = self.unary()
        while (token := self.accept("*", "/")) is not None:
            right = self.unary()
            if token.text == "/" and right.expr.is_zero:
                raise self.fail(f"division by zero {self.where(token)}")
            value = node.expr * right.expr if token.text == "*" else node.expr / right.expr
            node = self.checked(_Node(value, max(node.power_product, right.power_product)), token)
        return node

    def unary(self) -> _Node:
        token = self.accept("-", "+")
        if token is None:
            return self.power()
        self.enter()
        operand = self.unary()
        self.leave()
        return _Node(-operand.expr if token.text == "-" else operand.expr, operand.power_product)

    def power(self) -> _Node:
        base = self.atom()
        token = self.accept("**", "^")
        if token is None:
            return base
        self.enter()
        exponent = self.unary()  # right-associative, and 2**-1 is allowed
        self.leave()
        return self.checked(self.build_power(base, exponent, token), token)

    def build_power(self, base: _Node, exponent: _Node, token: Token) -> _Node:
        b, e = base.expr, exponent.expr
        if e.free_symbols:
            # Only a positive constant base keeps a variable exponent real (2**z).
            if b.free_symbols or not b.is_positive:
                raise self.fail(
                    f"a variable exponent {self.where(token)} needs a positive constant base (like 2**z1); use exp(...)"
                )
            return _Node(sympy.Pow(b, e), max(base.power_product, exponent.power_product))
        if not e.is_Rational:
            raise self.fail(f"the exponent {self.where(token)} must be a number, here {sympy.sstr(e)}")
        if b.free_symbols:
            if not e.is_Integer:
                raise self.fail(
                    f"non-integer power {sympy.sstr(e)} {self.where(token)}: "
                    "use sqrt(...) or cbrt(...) (the real roots)"
                )
            if abs(e) > MAX_EXPONENT:
                raise self.fail(f"exponent {sympy.sstr(e)} {self.where(token)} is outside ±{MAX_EXPONENT}")
            product = base.power_product * max(abs(int(e)), 1)
            if product > MAX_EXPONENT:
                raise self.fail(
                    f"nested powers {self.where(token)} multiply to an exponent of {product}; "
                    f"the limit is {MAX_EXPONENT}"
                )
            if b.is_zero and e < 0:
                raise self.fail(f"division by zero {self.where(token)}")
            return _Node(sympy.Pow(b, e), product)
        # A constant raised to a constant: estimate the size before SymPy computes it.
        if b.is_zero:
            if e < 0:
                raise self.fail(f"division by zero {self.where(token)}")
            return _Node(sympy.Integer(0 if e > 0 else 1))
        if not e.is_Integer and not b.is_positive:
            raise self.fail(f"{sympy.sstr(b)}**{sympy.sstr(e)} {self.where(token)} is not real")
        magnitude = abs(float(e)) * abs(math.log10(abs(_to_float(b, self))))
        if abs(e) > MAX_EXPONENT and magnitude > 0 or magnitude > MAX_DECIMAL_EXPONENT:
            raise self.fail(
                f"{sympy.sstr(b)}**{sympy.sstr(e)} {self.where(token)} is too large or too small "
                f"(exponents within ±{MAX_EXPONENT}, values within 10^±{MAX_DECIMAL_EXPONENT})"
            )
        return _Node(sympy.Pow(b, e))

    def atom(self) -> _Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            value = parse_number(token.text, self.option)
            return _Node(sympy.Rational(value.numerator, value.denominator))
        if token.kind == "name":
            self.advance()
            if token.text in self.variables:
                return _Node(self.variables[token.text])
            if token.text in FUNCTIONS:
                if not self.accept("("):
                    raise self.fail(f"the function {token.text} {self.where(token)} needs its argument in parentheses")
                self.enter()
                argument = self.expr()
                self.closing(token)
                self.leave()
                return self.checked(_Node(FUNCTIONS[token.text](argument.expr), argument.power_product), token)
            known = ", ".join([*self.variables, *FUNCTIONS])
            raise self.fail(f"unknown name {token.text!r} {self.where(token)} (known: {known})")
        if self.accept("("):
            self.enter()
            inner = self.expr()
            self.closing(token)
            self.leave()
            return inner
        if token.kind == "end":
            raise self.fail("the expression ends where a value was expected")
        if token.text == ")":
            raise self.fail(f"unbalanced parentheses: ')' {self.where(token)} closes nothing")
        raise self.fail(f"expected a number, a variable or a function {self.where(token)}, got {token.text!r}")

    def closing(self, opener: Token) -> None:
        if not self.accept(")"):
            if self.current.kind == "end":
                raise self.fail(f"unbalanced parentheses: '(' after column {opener.column} is never closed")
            raise self.fail(f"expected ')' {self.where(self.current)}, got {self.current.text!r}")


def _to_float(value: sympy.Expr, parser: _Parser) -> float:
    try:
        result = float(value)
    except (TypeError, OverflowError, ValueError):
        raise parser.fail(f"the constant {sympy.sstr(value)} is out of range") from None
    if not math.isfinite(result) or result == 0:
        raise parser.fail(f"the constant {sympy.sstr(value)} is out of range")
    return result


def latent_symbols(n: int) -> tuple[sympy.Symbol, ...]:
    """z1 … zn, real."""
    return sympy.symbols(f"z1:{n + 1}", real=True)


def data_symbols(n: int) -> tuple[sympy.Symbol, ...]:
    """x1 … xn, real."""
    return sympy.symbols(f"x1:{n + 1}", real=True)


def count_components(text: str) -> int | None:
    """How many components ``text`` has (top-level ';' or ','), without parsing it; None if unbalanced."""
    depth, count = 0, 1
    for character in text[:MAX_TEXT_LENGTH]:
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
            if depth < 0:
                return None
        elif character in ";," and depth == 0:
            count += 1
    return count if depth == 0 else None


def parse_components(
    text: str, variables: Sequence[sympy.Symbol], option: str, expected: int | None = None
) -> list[sympy.Expr]:
    """Parse ';'-separated components in the named variables only."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty expression", option)
    tokens = tokenize(text, option)
    parser = _Parser(tokens, {s.name: s for s in variables}, option)
    try:
        with time_limit(PARSE_SECONDS):
            components = parser.components()
    except OutOfTime:
        raise InputError(f"building the expression took more than {PARSE_SECONDS:g} s; simplify it", option) from None
    if expected is not None and len(components) != expected:
        raise InputError(f"expected {expected} components separated by ';', got {len(components)}", option)
    return components


def parse_transform(text: str, option: str = "--transform"):
    """Parse f's components in z1 … zn, where n (1 to 8) is the number of components.

    Returns (components, z, x). Every variable named must be one of z1 … zn.
    """
    n = count_components(text) if isinstance(text, str) else None
    if n is not None and n > MAX_DIMENSION:
        raise InputError(f"{n} components; the limit is {MAX_DIMENSION} dimensions", option)
    # The variables allowed are z1 … zn for the n components counted; a stray
    # name is reported by the parser with its column and the names it knows.
    wide = latent_symbols(n or MAX_DIMENSION)
    components = parse_components(text, wide, option)
    n = len(components)
    if n > MAX_DIMENSION:
        raise InputError(f"{n} components; the limit is {MAX_DIMENSION} dimensions", option)
    z = wide[:n]
    stray = sorted({s.name for c in components for s in c.free_symbols} - {s.name for s in z})
    if stray:
        raise InputError(f"{', '.join(stray)} used, but a map with {n} components has only the variables "
                         + ", ".join(s.name for s in z), option)
    return components, z, data_symbols(n)
