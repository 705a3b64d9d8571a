"""What every renderer shares: numbers split into digits and exponent, one-line Unicode formulas, ASCII fallbacks.

A renderer never computes; these helpers only decide how a value is spelled.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dgm_cli.derivation import Approx

SIGNIFICANT_DIGITS = 15
EXACT_DIGITS_LIMIT = 30  # an exact integer or fraction longer than this is shown in scientific notation


@dataclass(frozen=True)
class Decimal:
    """A number as a renderer spells it: ``mantissa`` × 10^``exponent`` (exponent None: plain decimal)."""

    mantissa: str
    exponent: int | None = None
    negative: bool = False

    def text(self) -> str:
        sign = "-" if self.negative else ""
        return f"{sign}{self.mantissa}" + (f"e{self.exponent:+03d}" if self.exponent is not None else "")

    def latex(self) -> str:
        sign = "-" if self.negative else ""
        if self.exponent is None:
            return f"{sign}{self.mantissa}"
        if self.mantissa == "1":
            return f"{sign}10^{{{self.exponent}}}"
        return rf"{sign}{self.mantissa} \times 10^{{{self.exponent}}}"


def _decimal(value: float, digits: int) -> Decimal:
    """A finite float to ``digits`` significant digits: Python's ``g`` choice of plain or scientific."""
    text = f"{abs(value):.{digits}g}"
    mantissa, _, exponent = text.partition("e")
    negative = value < 0 or (math.copysign(1.0, value) < 0 and value == 0)  # −0.0 keeps its sign
    return Decimal(mantissa, int(exponent) if exponent else None, negative)


def _digits(value: int) -> int:
    """The number of decimal digits of |value| (never through str, which refuses more than 4,300 digits)."""
    value = abs(value)
    if value < 10:
        return 1
    estimate = int(value.bit_length() * 0.30102999566398120)  # log10(2)
    return estimate + (10**estimate <= value)


def _big_rational(numerator: int, denominator: int, digits: int = SIGNIFICANT_DIGITS) -> Decimal:
    """A long exact fraction in scientific notation, from its integer digits (never through a float: it overflows)."""
    negative = numerator < 0
    numerator = abs(numerator)
    # scale so that the quotient has `digits` integer digits, then round
    shift = _digits(numerator) - _digits(denominator) - digits
    scaled = Fraction(numerator, denominator) / Fraction(10) ** shift
    mantissa_int = round(scaled)
    while _digits(mantissa_int) > digits:
        mantissa_int = round(Fraction(mantissa_int, 10))
        shift += 1
    text = str(mantissa_int)
    exponent = shift + len(text) - 1
    mantissa = (text[0] + "." + text[1:]).rstrip("0").rstrip(".")
    return Decimal(mantissa, exponent, negative)


def decimal(value: Any) -> Decimal | None:
    """The spelling of a plain number (float, int, Fraction, Approx, a SymPy number); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Approx):
        return _decimal(float(value.value), value.digits) if math.isfinite(value.value) else None
    if isinstance(value, float):
        return _decimal(value, SIGNIFICANT_DIGITS) if math.isfinite(value) else None
    if isinstance(value, int):
        if _digits(value) > EXACT_DIGITS_LIMIT:
            return _big_rational(value, 1)
        return Decimal(str(abs(value)), None, value < 0)
    if isinstance(value, Fraction):
        return _big_rational(value.numerator, value.denominator) if value.denominator != 1 else decimal(value.numerator)
    if type(value).__module__.startswith("numpy"):
        return decimal(value.item())
    return None


def is_sympy(value: Any) -> bool:
    """A SymPy object (our own Labels and functions included); without SymPy loaded, nothing can be one."""
    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(value, (sympy.Basic, sympy.MatrixBase))


def sympy_number(value: Any) -> Any:
    """A SymPy Integer or Rational as a Python int or Fraction (so long ones are spelled compactly); else None."""
    import sympy

    if isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, sympy.Float):
        as_float = float(value)
        # beyond float64 (6.0e-561422319268 underflows to 0) or subnormal (5e-324 keeps one digit):
        # printed by SymPy, with its own digits and exponent
        normal = math.isfinite(as_float) and (value.is_zero or abs(as_float) >= sys.float_info.min)
        return as_float if normal else None
    return None


def is_long_exact(value: Any) -> bool:
    """An exact SymPy value whose printed form would hold a number of more than EXACT_DIGITS_LIMIT digits."""
    import sympy

    if not isinstance(value, sympy.Basic):
        return False
    return any(_is_long(a) for a in value.atoms(sympy.Rational))


def _is_long(rational: Any) -> bool:
    return _digits(int(rational.p)) > EXACT_DIGITS_LIMIT or _digits(int(rational.q)) > EXACT_DIGITS_LIMIT


def compact_exact(value: Any) -> Any:
    """A SymPy expression with every long rational replaced by a 15-digit float, for display only."""
    import sympy

    if isinstance(value, sympy.MatrixBase):
        return value.applyfunc(compact_exact)
    if not is_long_exact(value):
        return value
    # SymPy's own Float (mpmath underneath) holds 1e-400 and 1e+400, where a float64 would not; unevaluated,
    # so that exp(1e20) stays a formula instead of being computed
    with sympy.evaluate(False):
        long_numbers = [a for a in value.atoms(sympy.Rational) if _is_long(a)]
        return value.xreplace({a: sympy.Float(a, SIGNIFICANT_DIGITS) for a in long_numbers})


def special_text(value: Any, unicode: bool = True) -> str | None:
    """None, booleans and ±∞ as words and symbols; None for every other value."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = float(value.value) if isinstance(value, Approx) else value
    if isinstance(number, float) and math.isinf(number):
        if unicode:
            return "∞" if number > 0 else "−∞"
        return "inf" if number > 0 else "-inf"
    if isinstance(number, float) and math.isnan(number):
        return "undefined"
    return None


# --------------------------------------------------------------------------- formulas on one line


def _unicode_printer():
    from sympy.printing.pretty.pretty_symbology import pretty_symbol
    from sympy.printing.str import StrPrinter

    class UnicodeLinePrinter(StrPrinter):
        """SymPy's ``str`` form with Greek names as letters, · for products and ^ for powers."""

        def _print_Symbol(self, expr):
            return pretty_symbol(expr.name)

        def _print_Mul(self, expr):
            return super()._print_Mul(expr).replace("*", "·")

        def _print_Pow(self, expr, rational=False):
            return super()._print_Pow(expr, rational).replace("**", "^")

        def _print_Relational(self, expr):
            symbol = {"==": "=", "<=": "≤", ">=": "≥", "!=": "≠"}.get(expr.rel_op, expr.rel_op)
            return f"{self._print(expr.lhs)} {symbol} {self._print(expr.rhs)}"

        _print_Equality = _print_Relational
        _print_Unequality = _print_Relational

        def _print_Float(self, expr):
            import mpmath

            return mpmath.nstr(mpmath.mpf(expr), SIGNIFICANT_DIGITS, strip_zeros=True)

        def _print_Infinity(self, expr):
            return "∞"

        def _print_NegativeInfinity(self, expr):
            return "−∞"

        def _print_Pi(self, expr):
            return "π"

        def _print_Exp1(self, expr):
            return "e"

    return UnicodeLinePrinter()


_PRINTER = None


def inline_text(expr: Any) -> str:
    """A formula on one line in Unicode: ``√2·e^(-365/729)/(12·π^(3/2))``-like, for prose and messages."""
    global _PRINTER
    number = decimal(expr)
    if number is not None:
        return number.text()
    special = special_text(expr)
    if special is not None:
        return special
    if not is_sympy(expr):
        return str(expr)
    if _PRINTER is None:
        _PRINTER = _unicode_printer()
    return _printed(lambda: _PRINTER.doprint(compact_exact(expr)), TOO_LARGE, expr)


TOO_LARGE = "(a formula too large to print)"
MAX_PRINTED_OPERATIONS = 400  # a Jacobian of maps nested a dozen deep has more, and SymPy takes minutes to print it


def _printed(print_formula: Any, fallback: str, expr: Any = None) -> str:
    """A printer's output; for a formula of more than MAX_PRINTED_OPERATIONS operations (unreadable, and slow
    to print), or where SymPy would compute a number of more than 4,300 digits to print it, a short note."""
    try:
        if expr is not None and _operations(expr) > MAX_PRINTED_OPERATIONS:
            return fallback
        return print_formula()
    except (ValueError, OverflowError, RecursionError, MemoryError):
        return fallback


def _operations(expr: Any) -> int:
    import sympy

    if isinstance(expr, sympy.MatrixBase):
        return sum(sympy.count_ops(entry) for entry in expr)
    return sympy.count_ops(expr) if isinstance(expr, sympy.Basic) else 0


def formula_text(expr: Any) -> str:
    """A one-line, copy-pasteable form of a formula: ``lhs = rhs`` for equations, SymPy's ``str`` syntax."""
    import sympy

    if isinstance(expr, sympy.Equality):
        return f"{formula_text(expr.lhs)} = {formula_text(expr.rhs)}"
    if isinstance(expr, sympy.MatrixBase):
        return _printed(lambda: sympy.sstr(compact_exact(expr).tolist()), TOO_LARGE, expr)  # one line, unlike repr
    return _printed(lambda: sympy.sstr(compact_exact(expr)), TOO_LARGE, expr)


_PRETTY_PRINTER_CLASS = None


def _pretty_printer_class():
    """SymPy's PrettyPrinter without its first-product import of ``sympy.physics.units`` (about 15 % of a short
    command): products are laid out exactly as SymPy's ``_print_Mul`` does, less the ordering of physical
    quantities, which no formula here contains."""
    global _PRETTY_PRINTER_CLASS
    if _PRETTY_PRINTER_CLASS is not None:
        return _PRETTY_PRINTER_CLASS
    from sympy import Number, Pow, Rational, S
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.stringpict import prettyForm

    class LightPrettyPrinter(PrettyPrinter):
        def _print_Mul(self, product):
            args = product.args
            if args[0] is S.One or any(isinstance(arg, Number) for arg in args[1:]):
                return super()._print_Mul(product)  # unevaluated products: SymPy's path imports nothing
            a, b = [], []  # numerator and denominator
            factors = product.as_ordered_factors() if self.order not in ("old", "none") else list(product.args)
            for item in factors:
                if item.is_commutative and item.is_Pow and item.exp.is_Rational and item.exp.is_negative:
                    b.append(Pow(item.base, -item.exp, evaluate=False) if item.exp != -1 else Pow(item.base, -item.exp))
                elif item.is_Rational and item is not S.Infinity:
                    if item.p != 1:
                        a.append(Rational(item.p))
                    if item.q != 1:
                        b.append(Rational(item.q))
                else:
                    a.append(item)
            numerator = [self._print(item) for item in a] or [self._print(S.One)]
            if not b:
                return prettyForm.__mul__(*numerator)
            return prettyForm.__mul__(*numerator) / prettyForm.__mul__(*[self._print(item) for item in b])

    _PRETTY_PRINTER_CLASS = LightPrettyPrinter
    return LightPrettyPrinter


def formula_pretty(expr: Any, unicode: bool = True) -> str:
    """SymPy's two-dimensional rendering, never wrapped (a pipe has no width)."""
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    def draw() -> str:
        printer = _pretty_printer_class()({"use_unicode": unicode, "wrap_line": False})
        previous = pretty_use_unicode(unicode)
        try:
            return printer.doprint(compact_exact(expr))
        finally:
            pretty_use_unicode(previous)

    return _printed(draw, TOO_LARGE, expr)


def formula_latex(expr: Any) -> str:
    """Math-mode LaTeX from SymPy's printer, pure ASCII (a stray Unicode symbol name becomes its command)."""
    import sympy

    return _printed(lambda: latex_ascii(sympy.latex(compact_exact(expr))), r"\text{" + TOO_LARGE + "}", expr)


# --------------------------------------------------------------------------- Unicode to LaTeX and ASCII

# Unicode that may appear in a SymPy symbol's name or a Math node's text, as math-mode LaTeX.
UNICODE_LATEX = {
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "∂": r"\partial", "→": r"\to", "↦": r"\mapsto", "∞": r"\infty",
    "−": "-", "·": r"\cdot", "×": r"\times", "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx",
    "∈": r"\in", "∉": r"\notin", "∖": r"\setminus", "∅": r"\emptyset", "⊂": r"\subset", "⊆": r"\subseteq",
    "∪": r"\cup", "∩": r"\cap", "√": r"\surd", "‖": r"\|", "∑": r"\sum", "∫": r"\int", "∇": r"\nabla",
    "±": r"\pm", "⇒": r"\Rightarrow", "⇔": r"\Leftrightarrow", "⟺": r"\iff", "∀": r"\forall", "∃": r"\exists",
    "∘": r"\circ", "…": r"\ldots", "ℓ": r"\ell", "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta",
    "ε": r"\varepsilon", "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "κ": r"\kappa",
    "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma",
    "τ": r"\tau", "φ": r"\varphi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma",
    "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi",
    "Ω": r"\Omega", "ℯ": "e", "⟨": r"\langle", "⟩": r"\rangle",
}
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿᵀ", "0123456789-+nT"))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₋₊ₙ", "0123456789-+n"))


def latex_ascii(formula: str) -> str:
    """A LaTeX formula with any stray Unicode made into LaTeX commands, so that pdflatex never sees it."""
    out = []
    for char in formula:
        if ord(char) < 128:
            out.append(char)
        elif char in UNICODE_LATEX:
            out.append("{" + UNICODE_LATEX[char] + "}")
        elif char in SUPERSCRIPTS:
            out.append(f"^{{{SUPERSCRIPTS[char]}}}")
        elif char in SUBSCRIPTS:
            out.append(f"_{{{SUBSCRIPTS[char]}}}")
        else:
            out.append(r"\text{" + ascii_text(char).replace("\\", "") + "}")
    return "".join(out)


# Spellings for output that cannot carry Unicode (a latin-1 or ASCII terminal).
_ASCII = {
    "−": "-", "·": "*", "×": "x", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~", "→": "->", "↦": "|->", "⟺": "<=>",
    "⇔": "<=>", "⇒": "=>", "∞": "inf", "∈": " in ", "∉": " not in ", "∖": "\\", "∅": "{}", "‖": "||", "√": "sqrt",
    "∂": "d", "∇": "grad ", "ℝ": "R", "∫": "int ", "∑": "sum ", "±": "+/-", "…": "...", "–": "-", "—": "--",
    "‘": "'", "’": "'", "“": '"', "”": '"', "½": "1/2", "⊆": " subset of ", "⊂": " subset of ", "∪": " u ",
    "∩": " n ", "∀": "for all ", "∃": "exists ", "⟨": "<", "⟩": ">", "°": " deg", "\u00a0": " ",
}


def ascii_text(text: str) -> str:
    """Unicode prose or a formula's Unicode spelling in ASCII: Greek letters by name, scripts flattened."""
    out: list[str] = []
    for char in text:
        if ord(char) < 128:
            out.append(char)
        elif char in _ASCII:
            out.append(_ASCII[char])
        elif char in SUPERSCRIPTS:
            out.append("^" + SUPERSCRIPTS[char])
        elif char in SUBSCRIPTS:
            out.append(SUBSCRIPTS[char])
        else:
            name = unicodedata.name(char, "")
            if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
                letter = name.rsplit(" ", 1)[-1].lower()
                out.append(letter.capitalize() if "CAPITAL" in name else letter)
            else:
                decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
                out.append(decomposed or "?")
    return "".join(out)


def format_tolerance(value: float) -> str:
    return f"{value:.2g}"


def format_error(value: float) -> str:
    return "∞" if value == math.inf else f"{value:.3g}"


def verdict(passed: bool, applicable: bool = True) -> str:
    if not applicable:
        return "N/A"
    return "PASS" if passed else "FAIL"
