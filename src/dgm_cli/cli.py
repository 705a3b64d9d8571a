"""The Typer app: one thin function per command that parses options, calls a solver and renders.

No mathematics here, and no heavy import at module level: ``dgm --help`` must
not pay for SymPy, NumPy or SciPy.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import os
import re
import sys
import types
import typing
import warnings
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal

import typer

# Typer 0.26 and later bundles its own Click (pyproject asks for it); its usage
# errors are Click exceptions, which we print as one line instead of a panel.
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from dgm_cli import __version__
from dgm_cli.errors import CheckFailed, DgmError, ExitStatus, InputError, OutputError

MIN_COLUMNS, MAX_COLUMNS = 40, 200  # a terminal width outside this range ($COLUMNS=1 or 100000) is clamped


def _debug() -> bool:
    return os.environ.get("DGM_DEBUG", "") not in ("", "0")


def _is_unicode(stream: Any) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return encoding in ("utf8", "utf16", "utf32", "utf8sig")


def _stderr_line(command: str | None, kind: str, message: str) -> None:
    """One line on stderr, ``dgm <command>: <kind>: <message>``; in ASCII where stderr cannot hold Unicode."""
    prefix = f"dgm {command}" if command else "dgm"
    line = f"{prefix}: {kind}: {message}"
    if not _is_unicode(sys.stderr):
        from dgm_cli.render.common import ascii_text

        line = ascii_text(line)
    with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr itself may be gone
        print(line, file=sys.stderr, flush=True)


def _error_line(command: str | None, message: str) -> None:
    _stderr_line(command, "error", message)


def warn(command: str, message: str) -> None:
    _stderr_line(command, "warning", message)


def _prepare_streams() -> None:
    """Streams that cannot fail on a character: stdout and stderr in an encoding that lacks one (ASCII, latin-1)
    replace it (the plain renderer spells its own output in ASCII then); warnings from Python, NumPy and SciPy
    never reach the user; the terminal width is clamped to a sane range."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace" if stream is sys.stderr else "replace")  # type: ignore[union-attr]
    warnings.simplefilter("ignore")
    # The linear algebra of the checks is a few tiny products: one BLAS thread is faster than one per core
    # (set before NumPy loads, which reads these once).
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    columns = os.environ.get("COLUMNS")
    if columns is not None:
        try:
            os.environ["COLUMNS"] = str(min(max(int(columns), MIN_COLUMNS), MAX_COLUMNS))
        except ValueError:
            del os.environ["COLUMNS"]


def _finish_output() -> None:
    """Flush stdout here, where a failure is ours to report, not at interpreter exit."""
    if sys.stdout is not None:
        sys.stdout.flush()


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so that the interpreter's last flush cannot fail."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _shorten_long_words(message: str, limit: int = 60) -> str:
    """Click repeats a bad value in full (a 5000-digit --format): keep a message one readable line."""
    def shortened(word: re.Match) -> str:
        return word.group()[: limit - 20] + f"…({len(word.group())} characters)"

    return re.sub(rf"\S{{{limit},}}", shortened, message)


def _exit_for_broken_pipe(stop: SystemExit) -> bool:
    """Whether Click or Rich raised this exit because the reader closed the pipe (both exit 1 for it)."""
    cause = stop.__context__
    return isinstance(cause, OSError) and cause.errno == errno.EPIPE


def _whole_number(text: str, low: int | None, high: int | None) -> int:
    """An option's whole number, refused in the words Typer's own validation uses."""
    from dgm_cli.parsing import WHOLE_NUMBER

    if not WHOLE_NUMBER.fullmatch(text.strip()):  # ASCII digits only: int() would take "１２" or "1_0"
        raise ValueError("Input should be a valid integer, unable to parse string as an integer")
    value = int(text.strip())
    if low is not None and value < low:
        raise ValueError(f"Input should be greater than or equal to {low}")
    if high is not None and value > high:
        raise ValueError(f"Input should be less than or equal to {high}")
    return value


def _light_coercion(group) -> None:
    """Coerce our options' plain types (str, bool, int, a str Enum) without Pydantic.

    Typer ≥ 0.29 turns every option value into its type through a Pydantic TypeAdapter, built per option on
    each run: importing Pydantic and building the adapters took 0.13–0.16 s of CPU on every command, a third of
    `import sympy, numpy`. Our options are strings we parse ourselves, flags, whole numbers and str choices, so a
    few lines do the same job. Anything else, or a Typer whose internals differ, keeps Typer's own route.
    """
    try:
        from typer._click.core import Context
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
    except ImportError:  # another Typer: its own coercion, only slower
        return

    class PlainRuntimeParam(RuntimeParam):
        def _coerce_value(self, value, param, ctx):
            annotation, info = self.annotation, self.parameter_info
            if isinstance(value, annotation):
                return value
            try:
                if annotation is int and isinstance(value, str):
                    return _whole_number(value, info.min, info.max)
                if isinstance(annotation, type) and issubclass(annotation, Enum) and isinstance(value, str):
                    try:
                        return annotation(value)
                    except ValueError:
                        choices = ", ".join(repr(member.value) for member in annotation)
                        raise ValueError(f"Value error, {value!r} is not one of {choices}.") from None
            except ValueError as error:
                raise BadParameter(str(error), ctx=ctx, param=param) from None
            raise BadParameter(f"Value {value!r} is not a valid {annotation.__name__}.", ctx=ctx, param=param)

    for command in (group, *group.commands.values()):
        # --help is made on first use; made here (and kept by Typer) so that it is coerced alike.
        help_option = command.get_help_option(Context(command, help_option_names=["--help"]))
        for param in (*command.params, *([help_option] if help_option is not None else [])):
            descriptor = getattr(param, "type_descriptor", None)
            if descriptor is None or getattr(param, "_runtime_param", 0) is not None:
                continue
            annotation = descriptor.annotation
            members = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
            if len(members) == 2 and type(None) in members:  # `str | None`: None never reaches the coercion
                annotation = next(member for member in members if member is not type(None))
            info = descriptor.parameter_info
            plain = annotation in (str, bool, int) or (isinstance(annotation, type) and issubclass(annotation, Enum))
            if not plain or descriptor.file_annotation is not None or getattr(info, "clamp", False):
                continue
            param._runtime_param = PlainRuntimeParam(parameter_info=info, annotation=annotation)


class _OneLineErrors(TyperGroup):
    """Every failure becomes one line on stderr and an exit code; a traceback only with DGM_DEBUG=1."""

    def list_commands(self, ctx):
        """The problems' commands in the order they are defined here, which is the assignment's (a test holds it
        to the registry, dgm_cli.problems, which --help cannot import: it would load the solvers), then report."""
        names = list(self.commands)
        return [name for name in names if name != "report"] + [name for name in names if name == "report"]

    def _option_spelling(self, command: str | None):
        """A solver's parameter as this command's option: box → --box, grad_bound → --grad-bound.

        Solvers name their parameters (they know no command line); the edge spells them. A name that is already
        an option, or "stdout", is kept.
        """
        options = {}
        if command is not None and command in self.commands:
            options = {param.name: param.opts[0] for param in self.commands[command].params if param.opts}

        def spell(name: str) -> str:
            if not name.isidentifier():
                return name
            return options.get(name, "--" + name.replace("_", "-") if name != "stdout" else name)

        return spell

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        command = next((a for a in argv if a in self.commands), None)
        if not argv:
            argv = ["--help"]  # `dgm` alone: the help, and success
        if command in LIST_OPTIONS:
            argv = join_list_options(argv, LIST_OPTIONS[command])
        _prepare_streams()
        _light_coercion(self)
        try:
            if sys.stdout is None:
                raise OutputError("stdout is closed; nothing can be printed", "stdout")
            rv = super().main(
                args=argv, prog_name=prog_name or "dgm", complete_var=complete_var, standalone_mode=False, **extra
            )
            _finish_output()
        except (typer.Abort, KeyboardInterrupt):
            _error_line(command, "interrupted")
            code = ExitStatus.INTERRUPTED
        except BrokenPipeError:
            # The reader went away (`dgm ... | head`): it has what it wanted; not an error of ours.
            _silence_stdout()
            code = ExitStatus.OK
        except SystemExit as stop:
            if not _exit_for_broken_pipe(stop):
                raise
            _silence_stdout()
            code = ExitStatus.OK  # Click and Rich exit 1 on a broken pipe; for us it is not an error
        except Exception as error:  # the last line of defence against a traceback
            if _debug():
                raise
            code = self._report_failure(command, error)
        else:
            code = rv if isinstance(rv, int) else ExitStatus.OK
            if code == ExitStatus.INTERRUPTED:  # Typer turns Ctrl-C into a returned 130, silently
                _error_line(command, "interrupted")
        if standalone_mode:
            sys.exit(int(code))
        return int(code)

    def _report_failure(self, command: str | None, error: Exception) -> int:
        """One line on stderr for a failure, and its exit code."""
        if isinstance(error, DgmError):
            _error_line(command, error.user_message(self._option_spelling(command)))
            return error.exit_code
        if isinstance(error, ClickException):
            _error_line(command, _shorten_long_words(error.format_message().replace("\n", " ")))
            return error.exit_code
        if isinstance(error, OSError) and error.filename is None:
            # a write to stdout: a full disk, a closed or bad descriptor
            _error_line(command, f"cannot write to stdout: {error.strerror or error}")
            _silence_stdout()
            return ExitStatus.OUTPUT_ERROR
        _error_line(command, f"internal error ({type(error).__name__}: {error}); set DGM_DEBUG=1 for a traceback")
        if isinstance(error, OSError):
            _silence_stdout()
        return ExitStatus.INTERNAL_ERROR


app = typer.Typer(
    name="dgm",
    cls=_OneLineErrors,
    help="Solve, explain and verify the core theory of deep generative models: change of variables, "
    "volume-preserving flows, and the GAN optimum and its vanishing gradients.",
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    rich = "rich"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"
    html = "html"
    quiet = "quiet"


FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format. Default: rich on a terminal, plain text in a pipe or a file (or when TERM=dumb).",
        case_sensitive=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Only the final numbers, one line each: the name, a tab, the value (--format quiet)."
    ),
]
StandaloneOption = Annotated[
    bool, typer.Option("--standalone", help="With --format latex: a complete document that compiles with pdflatex.")
]


@dataclass(frozen=True)
class Output:
    """What the user asked for: a format (or none, to decide by the terminal) and its modifiers."""

    fmt: OutputFormat | None = None
    standalone: bool = False

    def chosen(self) -> OutputFormat:
        if self.fmt is not None:
            return self.fmt
        if sys.stdout.isatty() and os.environ.get("TERM") != "dumb":
            return OutputFormat.rich
        return OutputFormat.plain


def output_options(command):
    """Give a command the shared --format/--json/--quiet/--standalone options, passed to it as ``output``."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "output"]
    shared = {"fmt": (FormatOption, None), "as_json": (JsonOption, False), "quiet": (QuietOption, False),
              "standalone": (StandaloneOption, False)}
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, (annotation, default) in shared.items()
    ]

    @functools.wraps(command)
    def wrapper(*args, fmt=None, as_json=False, quiet=False, standalone=False, **kwargs):
        chosen = OutputFormat.json if as_json else OutputFormat.quiet if quiet else fmt
        if standalone and chosen is not OutputFormat.latex:
            raise InputError("goes with --format latex", "--standalone")
        return command(*args, output=Output(chosen, standalone), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + extra)
    wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
    return wrapper


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def _stdout_is_unicode() -> bool:
    return _is_unicode(sys.stdout)


def render(derivation: Any, output: Output) -> str:
    """The derivation as text in the chosen format (rich prints itself and returns "")."""
    from dgm_cli.render import render as render_as

    return render_as(derivation, output.chosen().value, unicode=_stdout_is_unicode(), standalone=output.standalone)


def emit(derivation: Any, output: Output) -> None:
    """Render to stdout, warnings to stderr; exit 1 when a verification failed."""
    from dgm_cli.derivation import plain_text

    chosen = output.chosen()
    # --quiet is for scripts: numbers only. Rich output on a terminal shows the notes itself.
    on_screen = chosen is OutputFormat.rich and _is_terminal(sys.stderr)
    if chosen is not OutputFormat.quiet and not on_screen:
        for notice in derivation.warnings:
            warn(derivation.command, plain_text(notice.message))
    sys.stdout.write(render(derivation, output))
    sys.stdout.flush()
    failed = [plain_text(c.name) for c in derivation.checks if not c.passed]
    if failed:
        raise CheckFailed("verification failed: " + "; ".join(failed))


InputOption = Annotated[
    str | None,
    typer.Option(
        "--input",
        help="Batch mode: read many inputs from FILE (or - for stdin), one per line, comma- or space-separated, "
        "# comments allowed; write one record each (--format jsonl, json, csv or plain), streamed in bounded memory.",
        metavar="FILE",
    ),
]
SkipBadOption = Annotated[
    bool, typer.Option("--skip-bad", help="Batch mode: skip malformed lines (reported on stderr) instead of stopping.")
]


def plot_target(path: str | None):
    """--plot's file, checked before any work: its folder and suffix, and that matplotlib is installed."""
    if path is None:
        return None
    from dgm_cli.render.plot import check_plot_path, require_pyplot

    target = check_plot_path(path)
    require_pyplot()
    return target


def _input_stream(path: str, option: str = "--input"):
    """The lines of FILE, or of stdin for "-": UTF-8 with or without a byte-order mark, any line ending."""
    import io

    if path == "-":
        if sys.stdin is None:
            raise InputError("stdin is closed", option)
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=None) if hasattr(sys.stdin, "buffer") \
            else sys.stdin
    if os.path.isdir(path):
        raise InputError(f"{path[:80]!r} is a folder", "--input")
    try:
        return open(path, encoding="utf-8", newline=None)  # noqa: SIM115 - closed by the caller
    except OSError as error:
        raise InputError(f"cannot read {path[:80]!r}: {error.strerror or error}", "--input") from None


def refuse_with_input(input_file: str | None, **given: Any) -> None:
    """Options that batch mode would ignore are refused, not silently dropped: "--x goes without --input"."""
    if input_file is None:
        return
    for option, value in given.items():
        if value not in (None, False, [], ()):
            raise InputError(f"takes its points from the file; {option} does not apply to batch mode", "--input")


def batch(command: str, path: str, width: int, evaluate: Any, output: Output, skip_bad: bool) -> None:
    """Batch mode: points from a file or stdin through ``evaluate``, one record each to stdout."""
    from dgm_cli.batch import run_batch
    from dgm_cli.parsing import line_blocks

    fmt = output.chosen()
    fmt = {OutputFormat.rich: OutputFormat.plain, OutputFormat.quiet: OutputFormat.plain}.get(fmt, fmt)
    stream = _input_stream(path)
    try:
        summary = run_batch(line_blocks(stream), width, evaluate, sys.stdout, fmt.value, skip_bad)
    except UnicodeDecodeError:
        raise InputError(f"{path[:80]!r} is not UTF-8 text", "--input") from None
    finally:
        if path != "-":
            stream.close()
    for message in summary.skipped[:20]:
        warn(command, f"skipped {message}")
    if len(summary.skipped) > 20:
        warn(command, f"skipped {len(summary.skipped) - 20} more bad lines")


def _version(value: bool) -> None:
    if value:
        print(f"dgm {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Solve, explain and verify the core theory of deep generative models."""


# --- one grammar for options that take several values ---

# The options that take a list, by command: `--x 0 1 1/3`, `--x 0,1,1/3` and `--x 0 --x 1 --x 1/3` mean the same.
LIST_OPTIONS = {
    "flow-density": ("--x",),
    "gan-optimal": ("--x",),
    "gan-vanishing": ("--logits",),
    "vpnf-bound": ("--k", "--eps"),
    "report": ("--x", "--logits"),
}


def _is_value(token: str) -> bool:
    """A token that belongs to the list before it: anything but an option. A negative number (-5, −1, -1,-5,
    -inf) or a lone - (stdin) is a value, not an option."""
    if not token.startswith("-") or token == "-":
        return True
    rest = token[1:].lstrip()
    return rest[:1].isdigit() or rest[:1] in (".", ",") or rest[:3].lower() in ("inf", "nan")


def join_list_options(argv: list[str], options: tuple[str, ...]) -> list[str]:
    """Every value of each list option, in order, joined into one comma-separated value placed once.

    Options cannot take a variable number of values, so this runs before Click parses. Values join up to the
    next option (no command takes a positional argument), so a wrong count or a bad value is reported by the
    option's own parser, which knows the dimension: "--x: expected 3 coordinates, got 4".
    """
    values: dict[str, list[str]] = {}
    out: list[str] = []
    i = 0
    while i < len(argv):
        name, equals, inline = argv[i].partition("=")
        if argv[i] == "--":
            out += argv[i:]
            break
        if name not in options:
            out.append(argv[i])
            i += 1
            continue
        collected = values.setdefault(name, [])
        i += 1
        if equals:
            collected.append(inline)
            continue
        start = i
        while i < len(argv) and _is_value(argv[i]):
            # `--x 0, 1` arrives as "0," and "1": the separator belongs to neither value
            collected.append(argv[i].strip().strip(",") if argv[i].strip().strip(",") else argv[i])
            i += 1
        if i == start:
            collected.append("")  # `--x` and nothing: the option's parser says "empty value"
    for name, given in values.items():
        out += [name, ",".join(given)]
    return out


# Long by its options: Typer reads them from the signature, so their declarations are most of it.
@app.command("flow-density")
@output_options
def flow_density(
    x: Annotated[
        str | None,
        typer.Option(
            "--x",
            help="The point x: n values read exactly (0, -2, 0.333, 1/3, 1e-3), separated by spaces or commas, or "
            "the option repeated: `--x 0 1 0.333`, `--x 0,1,1/3`. Default: (0, 1, 1/3) for the assignment's map, "
            "the origin otherwise.",
            metavar="X1 [X2 ...]",
        ),
    ] = None,
    transform: Annotated[
        str | None,
        typer.Option(
            "--transform",
            # the help is Markdown: an example in backticks keeps its `*`
            help="The map f as components in z1 … zn separated by ';' (n from 1 to 8), e.g. "
            "`--transform \"z1; z2*exp(z1); cbrt(z3*exp(-z1) + z1**2)\"`. Numbers, `+ - * / ** ^`, parentheses "
            "and exp, log, sqrt, cbrt (real), sin, cos, tanh, sinh, arcsinh, sigmoid, softplus, abs, sign. "
            "Default: Problem 1's map.",
        ),
    ] = None,
    inverse: Annotated[
        str | None,
        typer.Option("--inverse", help="Your inverse of --transform, in x1 … xn separated by ';'; it is verified."),
    ] = None,
    base: Annotated[
        str,
        typer.Option(
            "--base",
            help="The base distribution of each coordinate, in the language of gan-optimal's --data: normal "
            "(N(0, I)), \"normal(mu, sigma)\", \"uniform(a, b)\", \"logistic(mu, s)\", \"laplace(mu, b)\" or "
            "a mixture of them; not categorical (the latent space is continuous).",
        ),
    ] = "normal",
    verify: Annotated[
        int,
        typer.Option(
            "--verify",
            help="Also check the density by Monte Carlo with this many samples of N(0, I) (0: skip).",
            min=0,
            max=100_000_000,
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo check.", min=0)] = 0,
    box: Annotated[
        str, typer.Option("--box", help="Half-width of the Monte Carlo check's box around x.")
    ] = "0.1",
    input_file: InputOption = None,
    skip_bad: SkipBadOption = False,
    *,
    output: Output,
) -> None:
    """Density of x = f(z), z ~ N(0, I), for f(z) = [z1, z2·e^z1, (z3·e^(−z1) + z1²)^(1/3)] (Problem 1), or any
    --transform.

    Prints the inverse, why f is a bijection (or a witness that it is not), both Jacobians, the exact density at x
    and its logarithm, and checks each against an independent computation. A triangular map without a
    closed-form inverse is proven one to one layer by layer and inverted by bisection, also in batch mode; any
    other map is inverted numerically at x.
    """
    refuse_with_input(input_file, **{"--x": x, "--verify": verify})
    from dgm_cli.parsing import parse_float, parse_vector

    # The numbers first, before any heavy import: a bad one is refused at once.
    half_width = parse_float(box, "--box")
    if x is not None:
        parse_vector([x], "--x")
    from dgm_cli.solvers.flow import solve

    model = None  # the assignment's map
    if transform is not None or inverse is not None or base.strip().lower() != "normal":
        from dgm_cli.distributions import parse_base
        from dgm_cli.expressions import data_symbols, parse_components, parse_transform
        from dgm_cli.solvers.flow import assignment_map, transform_model

        base_distribution = parse_base(base, "--base")
        components, z, xs = assignment_map() if transform is None else parse_transform(transform, "--transform")
        n = len(z)
        given = parse_components(inverse, data_symbols(n), "--inverse", expected=n) if inverse is not None else None
        model = transform_model(components, z, xs, base_distribution, given)
    if input_file is not None:
        from dgm_cli.solvers.flow import assignment_flow, check_batch, records

        model = model or assignment_flow()
        check_batch(model)  # before the file is read
        batch("flow-density", input_file, model.dimension, functools.partial(records, model), output, skip_bad)
        return
    if model is None:
        point = parse_vector([x if x is not None else "0,1,1/3"], "--x", length=3)
        emit(solve(point, verify=verify, seed=seed, box=half_width), output)
        return
    point = parse_vector([x if x is not None else ",".join(["0"] * model.dimension)], "--x", length=model.dimension)
    emit(solve(point, verify=verify, seed=seed, box=half_width, model=model, transform=transform), output)


# --- vpnf-bound ---


# Long by its options: Typer reads them from the signature, so their declarations are most of it.
@app.command("vpnf-bound")
@output_options
def vpnf_bound(
    k: Annotated[
        str | None,
        typer.Option(
            "--k",
            help="Slope k of the counterexample's ramp, at least 1e-150 (2, 16.78, 1/3). Default: the k that "
            "normalises it, (81 + 9·√93)/10 ≈ 16.78, derived at run time. Several values (`--k 2 3`) give one "
            "record per (k, ε) pair.",
            metavar="K [K ...]",
        ),
    ] = None,
    eps: Annotated[
        str,
        typer.Option(
            "--eps",
            help="ε in (0, h), h the normalised plateau height; or 'best' for the ε that maximises the bound. "
            "Several values (`--eps 0.05 0.1 0.2`) give one record per (k, ε) pair.",
            metavar="EPS [EPS ...]",
        ),
    ] = "0.1",
    det: Annotated[
        str | None,
        typer.Option(
            "--det", help="Also evaluate C, A and the bound for flows with this constant |det ∂f/∂z| = c > 0."
        ),
    ] = None,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Write a figure (.png, .pdf, .svg): the density with B and the largest A, and the bound against "
            "ε. Needs the plot extra.",
        ),
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option("--input", help="Many (k, ε) pairs from FILE (or - for stdin), one `k ε` per line; one record "
                     "each (--format jsonl, json, csv or plain).", metavar="FILE"),
    ] = None,
    skip_bad: SkipBadOption = False,
    *,
    output: Output,
) -> None:
    """Problem 2: flows with constant |det ∂f/∂z| are not universal. Lower bounds on KL(p‖p_θ) by Pinsker.

    Walks through parts (a)–(d) for the counterexample at slope k and threshold ε: the sets A, B, Ā = B∖A and
    C = f⁻¹(A) and their volumes, the event used in each case, the bound on δ = sup_E |P(E) − P_θ(E)| and
    KL ≥ 2δ², for every constant c and for c = 1, next to the KL that a concrete flow achieves. With several k or
    ε, or --input, one record of bounds per (k, ε) pair.
    """
    from dgm_cli.parsing import list_items, parse_eps, parse_number
    from dgm_cli.solvers.vpnf_limits import check_parameters

    k_values = [parse_number(v, "--k") for v in list_items(k, "--k")] if k is not None else [None]
    eps_values = [parse_eps(v, "--eps") for v in list_items(eps, "--eps")]
    det_value = parse_number(det, "--det") if det is not None else None
    pairs = [(k_value, eps_value) for k_value in k_values for eps_value in eps_values]
    for k_value, eps_value in pairs:  # every pair checked before any heavy import
        check_parameters(k_value, eps_value, det_value)
    if input_file is not None or len(pairs) > 1:
        refuse_with_input(input_file, **{"--det": det, "--plot": plot})
        if input_file is None and (det is not None or plot is not None):
            raise InputError("goes with one (k, ε) pair, not a list", "--det" if det is not None else "--plot")
        from dgm_cli.solvers.vpnf import records, records_of_rows

        if input_file is not None:
            batch("vpnf-bound", input_file, 2, records_of_rows, output, skip_bad)
        else:
            write_records(records(pairs), output)
        return
    target = plot_target(plot)  # a bad path, or no matplotlib, is refused before any work
    from dgm_cli.solvers.vpnf import solve

    derivation = solve(k_values[0], eps_values[0], det_value)
    if target is not None:
        from dgm_cli.render.plot import draw
        from dgm_cli.solvers.vpnf import figure

        draw("vpnf-bound", figure(derivation), target)
    emit(derivation, output)


def write_records(record: dict, output: Output) -> None:
    """Records computed in one piece (a list of parameters) in a batch format, as --input would write them."""
    from dgm_cli.batch import BatchWriter

    fmt = output.chosen()
    fmt = {OutputFormat.rich: OutputFormat.plain, OutputFormat.quiet: OutputFormat.plain}.get(fmt, fmt)
    writer = BatchWriter(sys.stdout, fmt.value)
    writer.write(record)
    writer.close()


# --- gan-optimal ---


# Long by its options: Typer reads them from the signature, so their declarations are most of it.
@app.command("gan-optimal")
@output_options
def gan_optimal(
    data: Annotated[
        str,
        typer.Option(
            "--data",
            # \\* : the help is Markdown, where a bare * starts emphasis.
            help="p_data, in the distribution language of --base too: normal(mu, sigma), uniform(a, b), "
            "logistic(mu, s), laplace(mu, b) (a name alone: its standard form, e.g. normal for normal(0, 1)), "
            "mixture(0.3\\*normal(0,1), 0.7\\*normal(3,0.5)), or categorical(p1, ..., pn) over 0, ..., n-1.",
            metavar="SPEC",
        ),
    ] = "normal(0,1)",
    gen: Annotated[
        str,
        typer.Option(
            "--gen", help="p_g, the generator's distribution, in the same language as --data.", metavar="SPEC"
        ),
    ] = "normal(2,1)",
    x: Annotated[
        str | None,
        typer.Option(
            "--x",
            help="Points at which to evaluate D*: `--x 0 1.5`, `--x 0,1.5` or `--x 0 --x 1.5`. For categorical "
            "distributions, category indices. Default: the two means and their midpoint, or every category.",
            metavar="X [X ...]",
        ),
    ] = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            help="Samples of each distribution for the Monte Carlo check of L(D*) (0: skip).",
            min=0,
            max=100_000_000,
        ),
    ] = 100_000,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the random perturbations and the Monte Carlo check.", min=0)
    ] = 0,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also draw p_data, p_g, D* and the fitted discriminator to FILE (.png, .pdf, .svg).",
            metavar="FILE",
        ),
    ] = None,
    input_file: InputOption = None,
    skip_bad: SkipBadOption = False,
    *,
    output: Output,
) -> None:
    """The optimal discriminator D* = p_data/(p_data + p_g) of a GAN, proved and verified (Problem 3).

    Proves, with SymPy, that D* minimises L(D) = −E_data[log D] − E_g[log(1 − D)] for a fixed generator, that
    L(D*) = log 4 − 2·JSD(p_data‖p_g), and checks it for the two distributions: D* at the points, L(D*) both
    ways, random perturbations of D*, and a discriminator fitted by Newton's method.
    """
    refuse_with_input(input_file, **{"--x": x, "--plot": plot})
    from dgm_cli.parsing import parse_vector

    points = parse_vector([x], "--x") if x is not None else None  # before any heavy import
    from dgm_cli.distributions import parse_distribution

    target = plot_target(plot)  # a bad path, or no matplotlib, is refused before any work
    data_distribution = parse_distribution(data, "--data")
    gen_distribution = parse_distribution(gen, "--gen")
    if input_file is not None:
        from dgm_cli.solvers.gan_optimal import check_compatible, records

        check_compatible(data_distribution, gen_distribution)  # before the file is read
        evaluate = functools.partial(records, data=data_distribution, gen=gen_distribution)
        batch("gan-optimal", input_file, 1, evaluate, output, skip_bad)
        return

    from dgm_cli.solvers.gan_optimal import figure, solve

    derivation = solve(data_distribution, gen_distribution, points, samples=samples, seed=seed)
    if target is not None:
        from dgm_cli.render.plot import draw

        draw("gan-optimal", figure(derivation), target)
    emit(derivation, output)


# --- gan-vanishing ---


# Long by its options: Typer reads them from the signature, so their declarations are most of it.
@app.command("gan-vanishing")
@output_options
def gan_vanishing(
    logits: Annotated[
        str | None,
        typer.Option(
            "--logits",
            help="The discriminator's logits h on generated samples: `--logits -1 -5 -10`, `--logits -1,-5,-10` or "
            "the option repeated; `--logits -` reads them from stdin (one or more per line, # comments). "
            "Default: -1, -5, -10, -20.",
            metavar="H [H ...]",
        ),
    ] = None,
    grad_bound: Annotated[
        str | None,
        typer.Option(
            "--grad-bound",
            help="M with ‖∇θ h(G_θ(z))‖ ≤ M: also print the bound M·E[σ(h)] on ‖∇θ L_G‖.",
            metavar="M",
        ),
    ] = None,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep",
            help="Also sweep a 1-D model, G_θ(z) = θ + z against h(x) = a(x − b), over the sharpness a: "
            "‖∇θ L‖ of both losses, exact and by finite differences, for z ~ U(−1, 1) (separable: the saturating "
            "gradient vanishes) and z ~ N(0, 1) (not separable: it does not).",
        ),
    ] = False,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Save a figure (.png, .pdf or .svg; needs the plot extra): both gradients against h, and the "
            "sweep's norms against a (so it runs the sweep).",
            metavar="FILE",
        ),
    ] = None,
    input_file: InputOption = None,
    skip_bad: SkipBadOption = False,
    *,
    output: Output,
) -> None:
    """A perfect discriminator starves the generator: ∇θ E_z[log(1 − σ(h))] → 0 as D(G(z)) → 0 (Problem 4).

    Derives d/dh log(1 − σ(h)) = −σ(h) with SymPy, the chain rule and the bound ‖∇θ L_G‖ ≤ M·E_z[σ(h)], then
    tabulates both losses' derivatives for the given logits, each checked against finite differences.
    """
    refuse_with_input(input_file, **{"--logits": logits, "--grad-bound": grad_bound, "--sweep": sweep, "--plot": plot})
    if input_file is not None:
        from dgm_cli.solvers.gan_vanishing import records

        batch("gan-vanishing", input_file, 1, records, output, skip_bad)
        return
    from dgm_cli.parsing import parse_number

    target = plot_target(plot)  # a bad path, or no matplotlib, is refused before any work
    bound = parse_number(grad_bound, "--grad-bound") if grad_bound is not None else None
    values, source = _read_logits(logits)
    from dgm_cli.solvers.gan_vanishing import solve

    given = {} if values is None else {"logits": values}
    derivation = solve(**given, grad_bound=bound, sweep=sweep or target is not None, source=source)
    if target is not None:
        from dgm_cli.render.plot import draw
        from dgm_cli.solvers.gan_vanishing import figure

        draw("gan-vanishing", figure(derivation), target)
    emit(derivation, output)


def _read_logits(logits: str | None) -> tuple[list | None, Literal["given", "default", "stdin"]]:
    """--logits as given, or stdin for `--logits -`, or None for the problem's default batch; stdin is read only
    when asked. The second value says which ("given", "stdin", "default"): the derivation records it."""
    from dgm_cli.parsing import bounded_lines, parse_logit_lines, parse_logits

    if logits is None:
        return None, "default"
    if logits.strip() == "-":
        return parse_logit_lines(bounded_lines(_input_stream("-", "--logits"), "--logits"), "--logits"), "stdin"
    if "-" in [piece.strip() for piece in logits.split(",")]:
        raise InputError("- (stdin) cannot be mixed with values", "--logits")
    return parse_logits([logits], "--logits"), "given"


# --- report ---


class ReportFormat(StrEnum):
    markdown = "markdown"
    latex = "latex"
    html = "html"
    plain = "plain"


# Long by its options: Typer reads them from the signature, so their declarations are most of it.
@app.command("report")
def report(
    x: Annotated[
        str | None,
        typer.Option("--x", help="Problem 1's point: `--x 0 1 1/3` or `--x 0,1,1/3` (default: the assignment's "
                     "0, 1, 1/3).", metavar="X1 X2 X3"),
    ] = None,
    k: Annotated[str | None, typer.Option("--k", help="Problem 2's slope k (default: the normalising k).")] = None,
    eps: Annotated[str | None, typer.Option("--eps", help="Problem 2's ε, or 'best' (default: 0.1).")] = None,
    data: Annotated[
        str | None, typer.Option("--data", help="Problem 3's p_data (see gan-optimal; default: normal(0,1)).")
    ] = None,
    gen: Annotated[
        str | None, typer.Option("--gen", help="Problem 3's p_g (see gan-optimal; default: normal(2,1)).")
    ] = None,
    logits: Annotated[
        str | None,
        typer.Option("--logits", help="Problem 4's logits: `--logits -1 -5 -10` or `--logits -1,-5,-10`; "
                     "`-` reads stdin. Default: -1, -5, -10, -20.", metavar="H [H ...]"),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="markdown, latex (a document that compiles with pdflatex), html (one "
                     "self-contained page, formulas as MathML) or plain."),
    ] = ReportFormat.markdown,
    output_file: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.", metavar="FILE")
    ] = None,
    no_checks: Annotated[
        bool, typer.Option("--no-checks", help="Leave out the appendix that lists the verification checks.")
    ] = False,
    figures: Annotated[
        bool,
        typer.Option("--figures", help="Embed the plots (needs the plot extra): inline SVG in html; PNG files beside "
                     "--output for markdown and latex."),
    ] = False,
) -> None:
    """The whole assignment solved: one worked-solution document from every solver.

    Problems 1–4 in the assignment's order, each opening with its question and closing with its answer, Problem 2
    under its parts (a)–(d); the verification checks in an appendix. Markdown by default; `--format latex` for a
    complete LaTeX document, `--format html` for a page with MathML. Every formula and number comes from the same
    solvers as the individual commands; an option not given leaves the problem as the assignment poses it.
    """
    overrides = _report_overrides(x, k, eps, data, gen, logits)  # bad input is refused before any work
    target = None if output_file is None or output_file == "-" else output_file
    if target is not None:
        from dgm_cli.files import check_writable

        check_writable(target, "--output")
    if figures:
        from dgm_cli.render.plot import require_pyplot

        require_pyplot()
        if fmt in (ReportFormat.markdown, ReportFormat.latex) and target is None:
            raise InputError("with markdown or latex, the figures are files beside the report: give --output",
                             "--figures")

    from dgm_cli.derivation import plain_text
    from dgm_cli.problems import problems
    from dgm_cli.render.report import render_report

    solved = [(problem, problem.solve(**overrides.get(problem.command, {}))) for problem in problems()]
    for _, derivation in solved:
        for notice in derivation.warnings:
            warn("report", f"{derivation.command}: {plain_text(notice.message)}")
    drawn = _report_figures(solved, fmt.value, target) if figures else {}
    sections = [(problem.heading, derivation, drawn.get(problem.command, [])) for problem, derivation in solved]
    text = render_report(sections, fmt.value, with_checks=not no_checks)
    if target is None:
        sys.stdout.write(text)
    else:
        from dgm_cli.files import write_text

        write_text(target, text, "--output")
    failed = [f"{d.command}: {plain_text(c.name)}" for _, d in solved for c in d.checks if not c.passed]
    if failed:
        raise CheckFailed("verification failed: " + "; ".join(failed))


def _report_overrides(x, k, eps, data, gen, logits) -> dict[str, dict[str, Any]]:
    """The report's options as each problem's parameters, by command; only those given (the rest: the defaults)."""
    from dgm_cli.parsing import parse_eps, parse_number, parse_vector

    overrides: dict[str, dict[str, Any]] = {}
    if x is not None:
        overrides["flow-density"] = {"x": parse_vector([x], "--x", length=3)}
    vpnf: dict[str, Any] = {"k": parse_number(k, "--k")} if k is not None else {}
    if eps is not None:
        vpnf["eps"] = parse_eps(eps, "--eps")
    if "eps" in vpnf:  # with the default ε, the solver checks the pair itself
        from dgm_cli.solvers.vpnf_limits import check_parameters

        check_parameters(vpnf.get("k"), vpnf["eps"], None)
    if vpnf:
        overrides["vpnf-bound"] = vpnf
    if data is not None or gen is not None:
        from dgm_cli.distributions import parse_distribution

        overrides["gan-optimal"] = {name: parse_distribution(text, f"--{name}")
                                    for name, text in (("data", data), ("gen", gen)) if text is not None}
    if logits is not None:
        values, source = _read_logits(logits)
        overrides["gan-vanishing"] = {"logits": values, "source": source}
    return overrides


def _report_figures(solved, fmt: str, target: str | None) -> dict:
    """The report's figures: PNG files beside the report (markdown, latex) or SVG text (html), by command."""
    import tempfile
    from pathlib import Path

    from dgm_cli.render.plot import can_draw, caption, draw
    from dgm_cli.render.walk import Figure

    out: dict = {}
    for problem, derivation in solved:
        if problem.figure is None or not can_draw(problem.command):
            continue
        data = problem.figure(derivation)
        drawing = _as_figures_option(functools.partial(draw, problem.command, data))
        if fmt == "html":
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "figure.svg"
                drawing(path)
                svg = path.read_text(encoding="utf-8")
            svg = svg[svg.index("<svg"):]  # the XML declaration and doctype do not belong inside HTML
            out[problem.command] = [Figure(caption(problem.command), "", svg)]
        else:
            assert target is not None  # markdown and latex figures need --output (refused above)
            path = Path(target).with_name(f"{Path(target).stem}-{problem.command}.png")
            drawing(path)
            out[problem.command] = [Figure(caption(problem.command), path.name)]
    return out


def _as_figures_option(draw):
    """A figure-drawing function whose errors name --figures, the option that asked for it."""

    def drawn(path):
        try:
            draw(path)
        except DgmError as error:
            error.option = "--figures"
            raise

    return drawn


def main() -> None:
    """Console-script entry point."""
    app()
