"""LaTeX: a fragment that drops into a write-up (needs amsmath and amssymb), or with
``standalone`` a complete document that compiles with pdflatex.

Formulas come from SymPy's LaTeX printer; prose is escaped and its Unicode
mathematics (ℝ, ∂, ⁻¹, ε, …) spelled as LaTeX, so the output is pure ASCII.
"""

from __future__ import annotations

import re
import unicodedata

from dgm_cli.derivation import Derivation
from dgm_cli.render.common import format_number, format_tolerance, formula_latex, verdict

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\begin{document}
"""

# Unicode that our prose uses, as math-mode LaTeX.
_MATH = {
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "∂": r"\partial", "→": r"\to", "↦": r"\mapsto", "∞": r"\infty",
    "−": "-", "·": r"\cdot", "×": r"\times", "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx",
    "∈": r"\in", "∉": r"\notin", "∖": r"\setminus", "∅": r"\emptyset", "⊂": r"\subset", "⊆": r"\subseteq",
    "∪": r"\cup", "∩": r"\cap", "√": r"\surd", "‖": r"\|", "∑": r"\sum", "∫": r"\int", "∇": r"\nabla",
    "±": r"\pm", "∓": r"\mp", "∝": r"\propto", "⇒": r"\Rightarrow", "⇔": r"\Leftrightarrow", "∀": r"\forall",
    "∃": r"\exists", "′": "'", "″": "''", "∘": r"\circ", "⋯": r"\cdots", "…": r"\ldots", "ℓ": r"\ell",
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon", "ϵ": r"\epsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu",
    "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "φ": r"\varphi", "ϕ": r"\phi",
    "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta",
    "Λ": r"\Lambda", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    "ℯ": "e", "Ā": r"\bar{A}", "ā": r"\bar{a}", "ō": r"\bar{o}", "⟨": r"\langle", "⟩": r"\rangle",
}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿᵀ", "0123456789-+nT"))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₋₊ₙθ", "0123456789-+nθ"))
_TEXT = {
    "“": "``", "”": "''", "‘": "`", "’": "'", "–": "--", "—": "---", "•": r"\textbullet{}", "✓": "ok",
    "✗": "x", "\u00a0": "~", "é": r"\'e", "è": r"\`e", "ö": r"\"o", "ü": r"\"u", "ä": r"\"a",
}
_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\textdollar{}", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"$\sim$", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_SCRIPT_RUN = re.compile(f"[{''.join(_SUPERSCRIPTS)}]+|[{''.join(_SUBSCRIPTS)}]+")


def _ascii_fallback(char: str) -> str:
    """Anything not in the tables: its compatibility decomposition, or its Unicode name as text."""
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return decomposed or f"[{unicodedata.name(char, 'U+%04X' % ord(char)).lower()}]"


def latex_text(text: str) -> str:
    """Prose to LaTeX: specials escaped, Unicode mathematics in $…$, the result pure ASCII."""
    out: list[str] = []
    i = 0
    while i < len(text):
        run = _SCRIPT_RUN.match(text, i)
        if run:
            chars = run.group()
            if chars[0] in _SUPERSCRIPTS:
                body = "".join(_SUPERSCRIPTS[c] for c in chars)
                out.append(f"\\textsuperscript{{{body}}}")
            else:
                body = "".join(_MATH.get(_SUBSCRIPTS[c], _SUBSCRIPTS[c]) for c in chars)
                out.append(f"$_{{{body}}}$")
            i = run.end()
            continue
        char = text[i]
        if char in _SPECIALS:
            out.append(_SPECIALS[char])
        elif char in _MATH:
            out.append(f"${_MATH[char]}$")
        elif char in _TEXT:
            out.append(_TEXT[char])
        elif ord(char) < 128:
            out.append(char)
        else:
            out.append(latex_text(_ascii_fallback(char)))
        i += 1
    return "".join(out).replace("$$", "")  # adjacent math runs merge into one


def latex_math(formula: str) -> str:
    """A SymPy LaTeX string with any stray Unicode (a symbol named ε, say) made ASCII."""
    out = []
    for char in formula:
        if ord(char) < 128:
            out.append(char)
        elif char in _MATH:
            out.append(_MATH[char] + " ")
        elif char in _SUPERSCRIPTS:
            out.append(f"^{{{_SUPERSCRIPTS[char]}}}")
        elif char in _SUBSCRIPTS:
            out.append(f"_{{{_SUBSCRIPTS[char]}}}")
        else:
            out.append(rf"\text{{{latex_text(_ascii_fallback(char))}}}")
    return "".join(out)


def render_latex(derivation: Derivation, standalone: bool = False) -> str:
    lines: list[str] = []
    if standalone:
        lines.append(PREAMBLE)
    else:
        lines.append(f"% dgm {derivation.command}: needs \\usepackage{{amsmath,amssymb}}")
    lines.append(rf"\section*{{{latex_text(derivation.title)}}}")
    for warning in derivation.warnings:
        lines.append(rf"\paragraph{{Note.}} {latex_text(warning)}")
    number = 0
    for step in derivation.steps:
        if step.check is not None:
            continue
        number += 1
        lines.append(rf"\subsection*{{{number}. {latex_text(step.title)}}}")
        for paragraph in step.text.splitlines():
            lines.append(latex_text(paragraph) + "\n")
        if step.expr is not None:
            lines.append(r"\begin{equation*}")
            lines.append(latex_math(formula_latex(step.expr)))
            lines.append(r"\end{equation*}")
        if step.value is not None:
            lines.append(rf"Value: \texttt{{{latex_text(format_number(step.value))}}}" + "\n")
    if derivation.checks:
        lines.append(r"\subsection*{Checks}")
        lines.append(r"\begin{itemize}")
        for check in derivation.checks:
            lines.append(
                rf"\item \textbf{{{verdict(check.passed)}}} {latex_text(check.name)}: {latex_text(check.method)}. "
                rf"Error {latex_text(f'{check.error:.3g}')} (tolerance {latex_text(format_tolerance(check.tolerance))}): "
                f"{latex_text(check.detail)}."
            )
        lines.append(r"\end{itemize}")
    lines.append(r"\subsection*{Result}")
    lines.append(r"\begin{description}")
    for key, value in derivation.result.items():
        lines.append(rf"\item[{latex_text(key)}] \texttt{{{latex_text(format_number(value))}}}")
    lines.append(r"\end{description}")
    if standalone:
        lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"
