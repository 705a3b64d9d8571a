"""What SymPy derives for Problem 4: both generator losses differentiated in the logit, their log-space forms,
the chain rule through the generator and the limits as h → −∞.

Input-independent, so computed once and kept on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from dgm_cli.cache import disk_cached
from dgm_cli.derivation import Math, m


class SymbolicSigmoid(sympy.Function):
    """σ(u) = 1/(1 + e^(−u)) for display and the chain rule: σ' = σ(1 − σ), rewritten to exp on request."""

    nargs = 1

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg, **hints):
        return 1 / (1 + sympy.exp(-arg))

    def _sympystr(self, printer):
        return f"sigmoid({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _pretty(self, printer):
        return printer._helper_print_function(self.func, self.args, func_name="σ")


@dataclass(frozen=True)
class SymbolicFacts:
    """What SymPy derives about the two losses; each residual must be 0."""

    h: sympy.Symbol
    saturating_derivative_raw: sympy.Expr  # SymPy's d/dh log(1 − 1/(1 + e^−h)), as a rational function of e^h
    saturating_residual: sympy.Expr  # that minus (−σ(h))
    nonsaturating_derivative_raw: sympy.Expr  # d/dh −log(1/(1 + e^−h)), likewise
    nonsaturating_residual: sympy.Expr  # that minus (−σ(−h))
    saturating_loss_residual: sympy.Expr  # exp(log(1 − σ(h)) + log(1 + e^h)) − 1
    nonsaturating_loss_residual: sympy.Expr  # exp(−log σ(h) − log(1 + e^−h)) − 1
    chain_rule_derivative: sympy.Derivative  # ∂/∂θ log(1 − σ(h(G(θ, z)))), unevaluated
    chain_rule: sympy.Expr  # the same, evaluated by SymPy's chain rule
    limit_saturating: sympy.Expr  # lim_{h→−∞} −σ(h)
    limit_nonsaturating: sympy.Expr  # lim_{h→−∞} −σ(−h)

    @property
    def residuals(self) -> dict[Math, sympy.Expr]:
        """Each identity's difference, keyed by the difference written out (inline mathematics)."""
        return {
            m(r"\frac{d}{dh} \log(1 - \sigma(h)) + \sigma(h)", "d/dh log(1 − σ(h)) + σ(h)"): self.saturating_residual,
            m(r"\frac{d}{dh} (-\log \sigma(h)) + \sigma(-h)", "d/dh (−log σ(h)) + σ(−h)"): self.nonsaturating_residual,
            m(
                r"\exp(\log(1 - \sigma(h)) + \log(1 + e^h)) - 1", "exp(log(1 − σ(h)) + log(1 + e^h)) − 1"
            ): self.saturating_loss_residual,
            m(
                r"\exp(-\log \sigma(h) - \log(1 + e^{-h})) - 1", "exp(−log σ(h) − log(1 + e^(−h))) − 1"
            ): self.nonsaturating_loss_residual,
        }


@disk_cached
def symbolic_facts() -> SymbolicFacts:
    """Differentiate both losses with SymPy from σ(h) = 1/(1 + e^−h), and take the limits h → −∞.

    Everything here is a rational function of t = e^h > 0, so ``cancel`` in t decides each identity
    exactly (and ten times faster than ``simplify``). For the log forms, both sides are real, so
    exp(difference) = 1 means difference = 0.
    """
    h = sympy.Symbol("h", real=True)
    t = sympy.Symbol("t", positive=True)  # e^h

    def in_t(expr: sympy.Expr) -> sympy.Expr:
        return sympy.cancel(expr.subs(sympy.exp(h), t))

    sigma = 1 / (1 + sympy.exp(-h))
    sigma_of_minus_h = sigma.subs(h, -h)
    saturating = sympy.diff(sympy.log(1 - sigma), h)
    nonsaturating = sympy.diff(-sympy.log(sigma), h)
    theta, z = sympy.symbols("θ z", real=True)
    generated = sympy.Function("G")(theta, z)
    chain_rule_derivative = sympy.Derivative(sympy.log(1 - SymbolicSigmoid(sympy.Function("h")(generated))), theta)
    return SymbolicFacts(
        h=h,
        saturating_derivative_raw=in_t(saturating).subs(t, sympy.exp(h)),
        saturating_residual=in_t(saturating + sigma),
        nonsaturating_derivative_raw=in_t(nonsaturating).subs(t, sympy.exp(h)),
        nonsaturating_residual=in_t(nonsaturating + sigma_of_minus_h),
        saturating_loss_residual=in_t(sympy.exp(sympy.log(1 - sigma) + sympy.log(1 + sympy.exp(h)))) - 1,
        nonsaturating_loss_residual=in_t(sympy.exp(-sympy.log(sigma) - sympy.log(1 + sympy.exp(-h)))) - 1,
        chain_rule_derivative=chain_rule_derivative,
        chain_rule=chain_rule_derivative.doit(),
        limit_saturating=sympy.limit(-sigma, h, -sympy.oo),
        limit_nonsaturating=sympy.limit(-sigma_of_minus_h, h, -sympy.oo),
    )
