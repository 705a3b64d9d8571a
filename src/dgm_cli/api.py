"""dgm from Python: one function per problem of the assignment, and vectorised functions for many points.

Each problem's function takes the same parameters, with the same defaults, as its command, and returns the
:class:`~dgm_cli.derivation.Derivation` the command prints: ``.result`` (the flat numbers of ``--json``),
``.steps``, ``.checks``, ``.passed``, and ``.to_json()``, ``.to_markdown()``, ``.to_latex()``, ``.to_html()``;
in Jupyter it shows itself typeset (MathML). Parameters take Python values: numbers, fractions, strings in the
command line's grammar ("1/3", "normal(0, 1)"), sequences and NumPy arrays. Bad input raises
:class:`dgm_cli.errors.InputError` with the command line's message, naming the parameter instead of the flag.

>>> import dgm_cli
>>> dgm_cli.flow_density(x=(0, 1, "1/3")).result["density_decimal"]
'0.0128281441594734'

Nothing heavy is imported here: SymPy, NumPy and SciPy load when a function is called.
"""

from __future__ import annotations

import functools
import numbers
import re
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from dgm_cli.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from dgm_cli.derivation import Derivation

__all__ = [
    "Report",
    "flow_density",
    "flow_log_density",
    "gan_optimal",
    "gan_vanishing",
    "generator_gradients",
    "optimal_discriminator",
    "report",
    "vpnf_bound",
]

DEFAULT_X = (0, 1, "1/3")  # Problem 1's point; a map given by `transform` defaults to the origin instead
DEFAULT_LOGITS = (-1, -5, -10, -20)  # Problem 4's batch: ever more confident rejections
MAX_SAMPLES = 100_000_000  # as the command line's --verify and --samples
MAX_INPUT_BITS = 1400  # an integer of more than ~420 digits: beyond what parse_number accepts (400 digits)

# Every parameter of this module: a flag of the same name in an error message becomes the parameter's name.
PARAMETERS = frozenset({
    "x", "transform", "inverse", "base", "verify", "seed", "box", "k", "eps", "det", "data", "gen", "samples",
    "logits", "grad_bound", "sweep", "points",
})
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)")

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- errors name the parameter


def _parameter(option: str | None) -> str | None:
    """The parameter for a command-line flag: --x is x, --grad-bound is grad_bound; anything else unchanged."""
    if option and option.startswith("--"):
        name = option[2:].replace("-", "_")
        return name if name in PARAMETERS else option
    return option


def _renamed(error: InputError) -> InputError:
    """The same error, its flags (as the option and inside the message) spelled as the parameters' names."""

    def flag(match: re.Match) -> str:
        name = match.group(1).replace("-", "_")
        return name if name in PARAMETERS else match.group(0)

    return type(error)(_FLAG.sub(flag, error.message), _parameter(error.option))


def _api(function: F) -> F:
    """An API function: the solvers' InputErrors re-raised naming the parameter, and Python's warnings silenced
    as on the command line (the numerics choose their floating-point behaviour; notices are data)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return function(*args, **kwargs)
        except InputError as error:
            raise _renamed(error) from None

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- Python values in the project's grammar


def _exact(numerator: int, denominator: int, name: str) -> Fraction:
    from dgm_cli.parsing import MAX_DIGITS

    if max(abs(numerator).bit_length(), abs(denominator).bit_length()) > MAX_INPUT_BITS:
        raise InputError(f"a number of more than {MAX_DIGITS} digits", name)
    if denominator == 0:
        raise InputError("divides by zero", name)
    return Fraction(numerator, denominator)


def _number(value: Any, name: str) -> Fraction:
    """A number read exactly, as the command line reads it: text in the project's grammar ("1/3", "1e-3"), an
    int, a Fraction, or a float taken as its shortest decimal (0.1 is 1/10, as `--eps 0.1` is)."""
    from dgm_cli.parsing import parse_number

    if isinstance(value, str):
        return parse_number(value, name)
    if isinstance(value, bool) or value is None:
        raise InputError(f"expected a number, got {value!r}", name)
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a NumPy scalar or 0-d array
        if getattr(getattr(value, "dtype", None), "kind", None) == "f":
            return parse_number(str(value), name)  # the shortest decimal at its own precision: float32 0.1 is 1/10
        value = value.item()
        if isinstance(value, bool):
            raise InputError(f"expected a number, got {value!r}", name)
    if isinstance(value, numbers.Integral):
        return _exact(int(value), 1, name)
    if isinstance(value, numbers.Rational):  # Fraction, SymPy's Rational
        return _exact(int(value.numerator), int(value.denominator), name)
    if isinstance(value, Decimal):
        return parse_number(str(value), name)
    if isinstance(value, numbers.Real):
        return parse_number(repr(float(value)), name)  # 'nan' and 'inf' are refused with the parser's message
    raise InputError(f"expected a number, got {type(value).__name__}", name)


def _eps(value: Any, name: str) -> Fraction | Literal["best"]:
    """Problem 2's ε: a number, or the word "best" (any case) as the command line reads it."""
    from dgm_cli.parsing import parse_eps

    if isinstance(value, str):
        return parse_eps(value, name)
    return _number(value, name)


def _vector(value: Any, name: str, length: int | None = None) -> list[Fraction]:
    """Numbers from text ("0, 1, 1/3" or "0 1 1/3", as the command line reads them), a sequence or an array."""
    from dgm_cli.parsing import check_count, parse_vector

    if isinstance(value, str):
        return parse_vector([value], name, length=length)
    if isinstance(value, (numbers.Number, Decimal)) or getattr(value, "ndim", None) == 0:
        items = [value]
    else:
        try:
            items = list(value)
        except TypeError:
            raise InputError(f"expected numbers, got {type(value).__name__}", name) from None
    check_count(items, name, length)
    return [_number(item, name) for item in items]


def _whole(value: Any, name: str, low: int, high: int | None = None) -> int:
    """A whole number in [low, high], refused in the command line's words ("Input should be greater than or
    equal to 0")."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"Input should be a valid integer, got {type(value).__name__}", name)
    value = int(value)
    if value < low:
        raise InputError(f"Input should be greater than or equal to {low}", name)
    if high is not None and value > high:
        raise InputError(f"Input should be less than or equal to {high}", name)
    return value


def _flag(value: Any, name: str) -> bool:
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if not isinstance(value, bool):
        raise InputError(f"expected True or False, got {type(value).__name__}", name)
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"expected text, got {type(value).__name__}", name)
    return value


def _distribution(value: Any, name: str):
    """A distribution from its spec ("normal(0,1)", "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))"), or one
    already built."""
    from dgm_cli.distributions import (
        Categorical,
        Laplace,
        Mixture,
        Normal,
        Uniform,
        parse_distribution,
    )

    if isinstance(value, (Normal, Uniform, Laplace, Mixture, Categorical)):
        return value
    return parse_distribution(_text(value, name), name)


def _transform_text(transform: Any) -> str:
    """The map's components as one text: "z1; z2*exp(z1)", or a sequence of components joined by ';'."""
    if isinstance(transform, (list, tuple)) and transform and all(isinstance(c, str) for c in transform):
        return "; ".join(transform)
    return _text(transform, "transform")


def _flow_model(transform: Any, base: Any, inverse: Any):
    """The map as `dgm flow-density` builds it from --transform, --base and --inverse; None for Problem 1's
    map with the standard normal base (the solver's own default)."""
    base = _text(base, "base")
    if transform is None and inverse is None and base.strip().lower() == "normal":
        return None, None
    from dgm_cli.distributions import parse_base
    from dgm_cli.expressions import data_symbols, parse_components, parse_transform
    from dgm_cli.solvers.flow import assignment_map, transform_model

    text = None if transform is None else _transform_text(transform)
    base_distribution = parse_base(base, "base")
    components, z, xs = assignment_map() if text is None else parse_transform(text, "transform")
    n = len(z)
    given = parse_components(_text(inverse, "inverse"), data_symbols(n), "inverse", expected=n) \
        if inverse is not None else None
    return transform_model(components, z, xs, base_distribution, given), text


# --------------------------------------------------------------------------- the four problems


@_api
def flow_density(
    x: Any = DEFAULT_X,
    transform: Any = None,
    base: str = "normal",
    verify: int = 0,
    *,
    inverse: Any = None,
    seed: int = 0,
    box: Any = "0.1",
) -> Derivation:
    r"""The density of x = f(z), z ~ p_Z, by the change of variables (Problem 1): ``dgm flow-density``.

    For an invertible f with inverse g = f⁻¹,

        p_X(x) = p_Z(g(x)) · |det ∂g/∂x|,    log p_X(x) = log p_Z(g(x)) + log |det ∂g/∂x|;

    by default f(z) = [z1, z2·e^z1, (z3·e^(−z1) + z1²)^(1/3)] and z ~ N(0, I₃), where
    g(x) = [x1, x2·e^(−x1), (x3³ − x1²)·e^(x1)] and |det ∂g/∂x| = 3·x3².

    Parameters (as the command's options):
        x: the point, n numbers read exactly: a sequence (0, 1, "1/3"), or text "0, 1, 1/3". Default: (0, 1, 1/3)
            for the assignment's map, the origin for a ``transform``.
        transform: the map's components in z1 … zn separated by ';' ("z1; z2*exp(z1)"), or a list of them.
        base: each coordinate's base distribution: "normal", "normal(mu, sigma)", "uniform(a, b)",
            "logistic(mu, s)", "laplace(mu, b)".
        verify: also check the density by Monte Carlo with this many samples (0: skip).
        inverse: your inverse of ``transform`` in x1 … xn (verified); seed, box: the Monte Carlo check's seed and
            box half-width.

    Returns the derivation: the inverse, why f is a bijection, both Jacobians, p_X(x) exactly and in log space,
    each number checked. For many points at once, :func:`flow_log_density`.

    >>> import dgm_cli
    >>> d = dgm_cli.flow_density(x=(0, 1, "1/3"))
    >>> d.result["density_decimal"], d.result["density_exact"], d.passed
    ('0.0128281441594734', 'sqrt(2)*exp(-365/729)/(12*pi**(3/2))', True)
    >>> round(dgm_cli.flow_density(x=2, transform="exp(z1)").result["density"], 12)  # the log-normal at 2
    0.156874019279
    >>> dgm_cli.flow_density(x=(0, 1))
    Traceback (most recent call last):
    ...
    dgm_cli.errors.InputError: x: expected 3 coordinates, got 2
    """
    half_width = _number(box, "box")
    verify = _whole(verify, "verify", 0, MAX_SAMPLES)
    seed = _whole(seed, "seed", 0)
    default = x is None or x is DEFAULT_X
    if not default:
        _vector(x, "x")  # the numbers first, before any heavy import: a bad one is refused at once
    model, text = _flow_model(transform, base, inverse)
    from dgm_cli.solvers.flow import solve

    if model is None:
        point = _vector(DEFAULT_X if default else x, "x", length=3)
        return solve(point, verify=verify, seed=seed, box=half_width)
    point = [Fraction(0)] * model.dimension if default else _vector(x, "x", length=model.dimension)
    return solve(point, verify=verify, seed=seed, box=half_width, model=model, transform=text)


@_api
def vpnf_bound(k: Any = None, eps: Any = 0.1, det: Any = None) -> Derivation:
    r"""Volume-preserving flows are not universal (Problem 2): Pinsker lower bounds on KL(p‖p_θ): ``dgm vpnf-bound``.

    For the counterexample p (a plateau of height h on B = [−½, ½]², a ramp of slope k around it) and any flow
    with constant |det ∂f/∂z| = c, the event A = {x : p_θ(x) ≥ ε} (or its complement in B) gives

        δ = sup_E |P(E) − P_θ(E)| ≥ bound(ε, h, c),    KL(p‖p_θ) ≥ 2δ²    (Pinsker),

    minimised over c for every constant-determinant flow, and for c = 1 (δ ≥ ε for the strictly volume-preserving
    flows, so KL ≥ 2ε²). Parts (a)–(d) of the assignment, each step with its own formula.

    Parameters (as the command's options):
        k: the ramp's slope, a positive number (2, "16.78", "1/3"). Default: the k that normalises p,
            (81 + 9·√93)/10 ≈ 16.78.
        eps: ε in (0, h), h the normalised plateau height; or "best", the ε that maximises the bound.
        det: also evaluate the sets and the bound for flows with this constant c = |det ∂f/∂z| > 0.

    >>> import dgm_cli
    >>> d = dgm_cli.vpnf_bound(eps="1/10")
    >>> d.result["plateau"], d.result["tv_lower_bound_vp"], d.result["kl_lower_bound_vp"]
    (0.9, 0.1, 0.02)
    >>> round(d.result["kl_lower_bound"], 10)
    0.0058352555
    >>> dgm_cli.vpnf_bound(eps=1)
    Traceback (most recent call last):
    ...
    dgm_cli.errors.InputError: eps: ε must lie in (0, h) = (0, 0.9) for the normalising k, h being the plateau ...
    """
    from dgm_cli.solvers.vpnf_limits import check_parameters

    k_value = None if k is None else _number(k, "k")
    eps_value = _eps(eps, "eps")
    det_value = None if det is None else _number(det, "det")
    check_parameters(k_value, eps_value, det_value)  # before any heavy import
    from dgm_cli.solvers.vpnf import solve

    return solve(k_value, eps_value, det_value)


@_api
def gan_optimal(
    data: Any = "normal(0,1)",
    gen: Any = "normal(2,1)",
    x: Any = None,
    *,
    samples: int = 100_000,
    seed: int = 0,
) -> Derivation:
    r"""The optimal discriminator of a GAN (Problem 3): ``dgm gan-optimal``.

    For a fixed generator, L(D) = −E_data[log D(x)] − E_g[log(1 − D(x))] is minimised pointwise by

        D*(x) = p_data(x) / (p_data(x) + p_g(x)),    L(D*) = log 4 − 2·JSD(p_data‖p_g);

    proved with SymPy, and checked for the two distributions: D* at the points, L(D*) both ways, random
    perturbations of D*, a discriminator fitted by Newton's method and a Monte Carlo estimate.

    Parameters (as the command's options):
        data, gen: p_data and p_g: "normal(mu, sigma)", "uniform(a, b)", "laplace(mu, b)",
            "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))" or "categorical(p1, ..., pn)" over 0, …, n−1.
        x: points at which to evaluate D* (a number, a sequence, or text "0, 1.5"); for categorical distributions
            category indices. Default: the two means and their midpoint, or every category.
        samples, seed: the Monte Carlo check's sample size (0: skip) and the random seed of its checks.

    For many points at once, :func:`optimal_discriminator`.

    >>> import dgm_cli
    >>> d = dgm_cli.gan_optimal(data="normal(0,1)", gen="normal(2,1)", x=[0, 1])
    >>> d.result["d_star_exact"], round(d.result["jsd"], 12)
    (['1/(exp(-2) + 1)', '1/2'], 0.336830820347)
    >>> d.result["loss_at_optimum"] - d.result["log4_minus_2jsd"] < 1e-12
    True
    """
    samples = _whole(samples, "samples", 0, MAX_SAMPLES)
    seed = _whole(seed, "seed", 0)
    points = _vector(x, "x") if x is not None else None  # before any heavy import
    data_distribution = _distribution(data, "data")
    gen_distribution = _distribution(gen, "gen")
    from dgm_cli.solvers.gan_optimal import solve

    return solve(data_distribution, gen_distribution, points, samples=samples, seed=seed)


@_api
def gan_vanishing(
    logits: Any = DEFAULT_LOGITS, sweep: bool = False, *, grad_bound: Any = None
) -> Derivation:
    r"""A perfect discriminator starves the generator (Problem 4): ``dgm gan-vanishing``.

    With D = σ(h) on generated samples, the saturating loss log(1 − σ(h)) and the non-saturating −log σ(h) have

        d/dh log(1 − σ(h)) = −σ(h) → 0,    d/dh (−log σ(h)) = −σ(−h) → −1    as h → −∞,

    so ‖∇θ E_z[log(1 − D(G(z)))]‖ ≤ M·E_z[σ(h)] → 0 when ‖∇θ h(G_θ(z))‖ ≤ M: the saturating gradient vanishes.

    Parameters (as the command's options):
        logits: the discriminator's logits h on generated samples (a sequence, an array, or text "-1, -5").
            Default: -1, -5, -10, -20.
        sweep: also sweep a 1-D model, G_θ(z) = θ + z against h(x) = a(x − b), over the sharpness a.
        grad_bound: M with ‖∇θ h(G_θ(z))‖ ≤ M: also bound ‖∇θ L_G‖ by M·E[σ(h)].

    For many logits without the derivation, :func:`generator_gradients`.

    >>> import dgm_cli
    >>> d = dgm_cli.gan_vanishing(logits=[-1, -5, -10, -20])
    >>> [f"{g:.3g}" for g in d.result["grad_saturating"]]
    ['-0.269', '-0.00669', '-4.54e-05', '-2.06e-09']
    >>> round(d.result["mean_grad_nonsaturating"], 6)
    -0.93108
    """
    default = logits is None or logits is DEFAULT_LOGITS
    values = _vector(DEFAULT_LOGITS if default else logits, "logits")
    sweep = _flag(sweep, "sweep")
    bound = None if grad_bound is None else _number(grad_bound, "grad_bound")
    from dgm_cli.solvers.gan_vanishing import solve

    return solve(values, grad_bound=bound, sweep=sweep, source="default" if default else "given")


class Report:
    """The whole assignment solved: Problems 1–4 as derivations, written up as one worked solution.

    ``derivations`` (also by index or by command: ``report["vpnf-bound"]``), ``result`` (each problem's
    result by command) and ``passed``; ``to_markdown()``, ``to_latex()`` (a complete document for pdflatex)
    and ``to_html()`` (one page, formulas as MathML) write exactly what ``dgm report --format …`` writes.
    """

    def __init__(self, derivations: Sequence[Derivation], headings: Sequence[str] | None = None) -> None:
        """The derivations with their headings; by default each problem's heading from the registry."""
        if headings is None:
            from dgm_cli.problems import problem

            headings = [problem(d.command).heading for d in derivations]
        if len(derivations) != len(headings):
            raise ValueError(f"{len(derivations)} derivations for {len(headings)} headings")
        self.derivations = tuple(derivations)
        self.headings = tuple(headings)

    @property
    def problems(self) -> list[tuple[str, Derivation]]:
        return list(zip(self.headings, self.derivations))

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.derivations)

    @property
    def result(self) -> dict[str, dict[str, Any]]:
        return {d.command: d.result for d in self.derivations}

    def __len__(self) -> int:
        return len(self.derivations)

    def __iter__(self):
        return iter(self.derivations)

    def __getitem__(self, key: int | str) -> Derivation:
        if isinstance(key, str):
            for derivation in self.derivations:
                if derivation.command == key:
                    return derivation
            raise KeyError(key)
        return self.derivations[key]

    def render(self, fmt: str, with_checks: bool = True) -> str:
        """The worked solution in ``fmt``: "markdown", "latex", "html" or "plain"."""
        from dgm_cli.render.report import render_report

        return render_report([(h, d, []) for h, d in self.problems], fmt, with_checks=with_checks)

    def to_markdown(self, with_checks: bool = True) -> str:
        return self.render("markdown", with_checks)

    def to_latex(self, with_checks: bool = True) -> str:
        return self.render("latex", with_checks)

    def to_html(self, with_checks: bool = True) -> str:
        return self.render("html", with_checks)

    def to_text(self, with_checks: bool = True) -> str:
        return self.render("plain", with_checks)

    def _repr_html_(self) -> str:
        return notebook_html(self.to_html())

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        state = "every check passed" if self.passed else "a check failed"
        return f"<dgm Report: {', '.join(d.command for d in self.derivations)}; {state}>"


@_api
def report(
    x: Any = None, k: Any = None, eps: Any = None, data: Any = None, gen: Any = None, logits: Any = None
) -> Report:
    r"""The whole assignment solved, Problems 1–4, as one worked solution: ``dgm report``.

    Problem 1 at the point ``x`` (p_X(x) = p_Z(f⁻¹(x))·|det ∂f⁻¹/∂x|), Problem 2 at slope ``k`` and threshold
    ``eps`` (KL(p‖p_θ) ≥ 2δ²), Problem 3 for ``data`` and ``gen`` (D* = p_data/(p_data + p_g),
    L(D*) = log 4 − 2·JSD) and Problem 4 for ``logits`` with the sharpness sweep (d/dh log(1 − σ(h)) = −σ(h)).
    The parameters are those of the four functions; one not given (None) leaves its problem as the assignment
    poses it (the point (0, 1, 1/3), the normalising k, ε = 0.1, N(0, 1) against N(2, 1), the logits −1, −5, −10,
    −20). Returns a :class:`Report`.

    >>> import dgm_cli
    >>> r = dgm_cli.report()
    >>> [d.command for d in r], r.passed
    (['flow-density', 'vpnf-bound', 'gan-optimal', 'gan-vanishing'], True)
    >>> r.to_markdown().splitlines()[0]
    '# Deep Generative Models, Assignment 3: worked solution'
    """
    given = {
        ("flow-density", "x"): None if x is None else _vector(x, "x", length=3),
        ("vpnf-bound", "k"): None if k is None else _number(k, "k"),
        ("vpnf-bound", "eps"): None if eps is None else _eps(eps, "eps"),
        ("gan-optimal", "data"): None if data is None else _distribution(data, "data"),
        ("gan-optimal", "gen"): None if gen is None else _distribution(gen, "gen"),
        ("gan-vanishing", "logits"): None if logits is None else _vector(logits, "logits"),
    }
    overrides: dict[str, dict[str, Any]] = {}
    for (command, name), value in given.items():
        if value is not None:
            overrides.setdefault(command, {})[name] = value
    if logits is not None:
        overrides["gan-vanishing"]["source"] = "given"
    if eps is not None:  # with the default ε, the solver checks the pair itself
        from dgm_cli.solvers.vpnf_limits import check_parameters

        check_parameters(overrides["vpnf-bound"].get("k"), overrides["vpnf-bound"]["eps"], None)
    from dgm_cli.problems import problems

    solved = [(problem.heading, problem.solve(**overrides.get(problem.command, {}))) for problem in problems()]
    return Report([derivation for _, derivation in solved], [heading for heading, _ in solved])


# --------------------------------------------------------------------------- many points at once


def _array(value: Any, name: str) -> np.ndarray:
    """A float64 array of finite numbers (what batch mode reads from a file)."""
    import numpy as np

    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError("expected an array of numbers", name) from None
    bad = ~np.isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {list(index)}" if index else ""
        raise InputError(f"{float(array[index])!r}{where} is not a finite number", name)
    return array


def _shaped(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Values in the caller's shape; a NumPy scalar for a scalar input, as a ufunc returns."""
    return values.reshape(shape)[()]


@_api
def flow_log_density(points: Any, transform: Any = None, *, base: str = "normal", inverse: Any = None) -> np.ndarray:
    r"""log p_X at many points at once, vectorised: ``dgm flow-density --input`` as an array.

        log p_X(x) = log p_Z(g(x)) + log |det ∂g/∂x|,    g = f⁻¹,

    evaluated in float64 from the same closed forms as :func:`flow_density` (default: Problem 1's map, where
    g(x) = [x1, x2·e^(−x1), (x3³ − x1²)·e^(x1)] and |det ∂g/∂x| = 3·x3²). A point where float64 breaks down is
    evaluated again with mpmath at bounded precision; outside the image of f, or where |det ∂g/∂x| = 0,
    log p_X = −∞.

    Parameters:
        points: an array of shape (..., n), n the map's dimension (one point of shape (n,)); for a
            one-dimensional map also any shape of scalars.
        transform, base, inverse: the map, as for :func:`flow_density`; it needs a closed-form or given inverse.

    Returns an array of shape (...): log p_X at each point (np.exp gives p_X).

    >>> import numpy as np, dgm_cli
    >>> log_p = dgm_cli.flow_log_density(np.array([[0, 1, 1/3], [0, 1, 0], [1, 2, 3]]))
    >>> [round(float(v), 9) for v in log_p]
    [-4.356113759, -inf, -2497.732610739]
    >>> float(np.exp(log_p[0]))
    0.012828144159473372
    """
    import numpy as np

    array = _array(points, "points")
    model, _ = _flow_model(transform, base, inverse)
    from dgm_cli.solvers.flow import assignment_flow, records

    model = model or assignment_flow()
    if not model.vectorised:
        raise InputError(
            "needs an inverse that is closed-form, given (inverse=...) or proven layer by layer; this map's "
            "invertibility is not proven, so it is inverted one point at a time: call flow_density for each point",
            "transform",
        )
    n = model.dimension
    if n == 1 and not (array.ndim >= 2 and array.shape[-1] == 1):
        shape = array.shape
    elif array.ndim == 0 or array.shape[-1] != n:
        raise InputError(f"expected {n} coordinates, got {1 if array.ndim == 0 else array.shape[-1]}", "points")
    else:
        shape = array.shape[:-1]
    rows = array.reshape(-1, n)
    if rows.shape[0] == 0:
        return np.empty(shape)
    return _shaped(records(model, rows)["log_density"], shape)


@_api
def optimal_discriminator(x: Any, data: Any = "normal(0,1)", gen: Any = "normal(2,1)") -> np.ndarray:
    r"""D*(x) = p_data(x) / (p_data(x) + p_g(x)) at many points at once, vectorised: ``dgm gan-optimal --input``.

    Computed as σ(log p_data(x) − log p_g(x)), term against term, so it is right in the far tails where both
    densities underflow. Where p_data + p_g = 0, D* is undefined and every D is optimal; the value there is ½,
    as in the command's batch records.

    Parameters:
        x: an array of points (any shape); category indices for categorical distributions.
        data, gen: p_data and p_g, as for :func:`gan_optimal`.

    Returns an array of the shape of ``x``.

    >>> import numpy as np, dgm_cli
    >>> d_star = dgm_cli.optimal_discriminator(np.array([0.0, 1.0, 2.0, 40.0]))
    >>> [round(float(v), 12) for v in d_star]  # 1 / (1 + e^(2x − 2)) for N(0, 1) against N(2, 1)
    [0.880797077978, 0.5, 0.119202922022, 0.0]
    >>> float(d_star[3])
    1.3336148155022614e-34
    """
    import numpy as np

    array = _array(x, "x")
    data_distribution = _distribution(data, "data")
    gen_distribution = _distribution(gen, "gen")
    from dgm_cli.solvers.gan_optimal import check_compatible, records

    check_compatible(data_distribution, gen_distribution)
    if array.size == 0:
        return np.empty(array.shape)
    record = records(array.reshape(-1, 1), data=data_distribution, gen=gen_distribution)
    return _shaped(record["d_star"], array.shape)


@_api
def generator_gradients(logits: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Both generator losses' derivatives in the logit h at many logits at once, vectorised.

        d/dh log(1 − σ(h)) = −σ(h)          (saturating: → 0 as h → −∞),
        d/dh (−log σ(h))   = −σ(−h)         (non-saturating: → −1 as h → −∞),

    the second computed as −σ(−h), without the cancellation of −(1 − σ(h)). The numbers of
    ``dgm gan-vanishing --input``.

    Parameters:
        logits: an array of the discriminator's logits h (any shape).

    Returns (saturating, non_saturating): two arrays of the shape of ``logits``.

    >>> import numpy as np, dgm_cli
    >>> saturating, non_saturating = dgm_cli.generator_gradients(np.array([-1.0, -10.0, -50.0]))
    >>> [float(g) for g in saturating]
    [-0.2689414213699951, -4.5397868702434395e-05, -1.9287498479639178e-22]
    >>> [float(g) for g in non_saturating]
    [-0.7310585786300049, -0.9999546021312976, -1.0]
    """
    import numpy as np

    array = _array(logits, "logits")
    if array.size == 0:
        return np.empty(array.shape), np.empty(array.shape)
    from dgm_cli.solvers.gan_vanishing import records

    record = records(array.reshape(-1, 1))
    return _shaped(record["grad_saturating"], array.shape), _shaped(record["grad_nonsaturating"], array.shape)


# --------------------------------------------------------------------------- notebooks


def _scoped(css: str, scope: str) -> str:
    """A style sheet whose rules apply only inside ``scope``: a notebook's page keeps its own style."""
    rules = []
    for block in css.split("}"):
        if "{" not in block:
            continue
        selectors, body = block.split("{", 1)
        scoped = ", ".join(scope if s.strip() == "body" else f"{scope} {s.strip()}" for s in selectors.split(","))
        rules.append(f"{scoped} {{{body.strip()}}}")
    return "\n".join(rules)


def notebook_html(page: str) -> str:
    """A page of the HTML renderer as a fragment for a notebook's output: its content, with its style scoped
    to the fragment (the page's ``body`` rules would otherwise restyle the whole notebook)."""
    from dgm_cli.render.html import STYLE

    start, end = page.find("<main>"), page.rfind("</main>")
    content = page[start + len("<main>"):end] if 0 <= start < end else page
    scope = ".dgm-output"
    style = _scoped(STYLE, scope) + f"\n{scope} {{margin: 0; padding: 0 .5rem;}}"
    return f'<div class="dgm-output"><style>{style}</style>{content}</div>'
