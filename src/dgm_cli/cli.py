"""The Typer app: one thin function per command that parses options, calls a solver and renders.

No mathematics here, and no heavy import at module level: ``dgm --help`` must
not pay for SymPy, NumPy or SciPy.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from dgm_cli import __version__
from dgm_cli.errors import CheckFailed, DgmError

# Typer 0.26 and later bundles its own Click (pyproject asks for it); its usage
# errors are Click exceptions, which we print as one line instead of a panel.
from typer._click.exceptions import ClickException

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _debug() -> bool:
    return os.environ.get("DGM_DEBUG", "") not in ("", "0")


def _error_line(command: str | None, message: str) -> None:
    prefix = f"dgm {command}" if command else "dgm"
    print(f"{prefix}: error: {message}", file=sys.stderr)


class _OneLineErrors(TyperGroup):
    """Every failure becomes one line on stderr and an exit code; a traceback only with DGM_DEBUG=1."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        command = next((a for a in argv if a in self.commands), None)
        try:
            rv = super().main(args=argv, prog_name=prog_name or "dgm", complete_var=complete_var, standalone_mode=False, **extra)
        except DgmError as error:
            if _debug():
                raise
            _error_line(command, error.user_message())
            code = error.exit_code
        except ClickException as error:
            if _debug():
                raise
            _error_line(command, error.format_message().replace("\n", " "))
            code = error.exit_code
        except (typer.Abort, KeyboardInterrupt):
            _error_line(command, "interrupted")
            code = 130
        except BrokenPipeError:
            # The reader went away (`dgm ... | head`): not an error of ours.
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush at exit
            code = EXIT_OK
        except Exception as error:  # noqa: BLE001 - the last line of defence against a traceback
            if _debug():
                raise
            _error_line(command, f"internal error ({type(error).__name__}: {error}); set DGM_DEBUG=1 for a traceback")
            code = EXIT_CHECK_FAILED
        else:
            code = rv if isinstance(rv, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


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


class OutputFormat(str, Enum):
    rich = "rich"
    plain = "plain"
    json = "json"


FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format. Default: rich on a terminal, plain text in a pipe or file.",
        case_sensitive=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]


def _choose_format(fmt: OutputFormat | None, as_json: bool) -> OutputFormat:
    if as_json:
        return OutputFormat.json
    if fmt is not None:
        return fmt
    if sys.stdout.isatty() and os.environ.get("TERM") != "dumb":
        return OutputFormat.rich
    return OutputFormat.plain


def _stdout_is_unicode() -> bool:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


def emit(derivation: Any, fmt: OutputFormat | None, as_json: bool) -> None:
    """Render to stdout, warnings to stderr; exit 1 when a verification failed."""
    chosen = _choose_format(fmt, as_json)
    for warning in derivation.warnings:
        print(f"dgm {derivation.command}: warning: {warning}", file=sys.stderr)
    if chosen is OutputFormat.json:
        from dgm_cli.render.jsonout import render_json

        sys.stdout.write(render_json(derivation))
    elif chosen is OutputFormat.plain:
        from dgm_cli.render.plain import render_plain

        sys.stdout.write(render_plain(derivation, unicode=_stdout_is_unicode()))
    else:
        from rich.console import Console

        from dgm_cli.render.terminal import print_rich

        print_rich(derivation, Console(highlight=False))
    sys.stdout.flush()
    failed = [c.name for c in derivation.checks if not c.passed]
    if failed:
        raise CheckFailed("verification failed: " + "; ".join(failed))


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


@app.command("flow-density")
def flow_density(
    x: Annotated[
        tuple[str, str, str],
        typer.Option(
            "--x",
            help="The point x = (x1, x2, x3), three values read exactly: 0, -2, 0.333, 1/3, 1e-3.",
            metavar="X1 X2 X3",
        ),
    ] = ("0", "1", "1/3"),
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
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Density of x = f(z), z ~ N(0, I), for f(z) = [z1, z2·e^z1, (z3·e^(−z1) + z1²)^(1/3)] (Problem 1).

    Prints the inverse, why f is a bijection, both Jacobians, the exact density at x and its logarithm, and
    checks each against an independent computation.
    """
    from dgm_cli.parsing import parse_number, parse_vector
    from dgm_cli.solvers.flow import flow_density as solve

    point = parse_vector(list(x), "--x", length=3)
    half_width = float(parse_number(box, "--box"))
    emit(solve(point, verify=verify, seed=seed, box=half_width), fmt, as_json)


# --- gan-optimal ---


@app.command("gan-optimal")
def gan_optimal(
    data: Annotated[
        str,
        typer.Option(
            "--data",
            # \\* : the help is Markdown, where a bare * starts emphasis.
            help="p_data: normal(mu, sigma), uniform(a, b), laplace(mu, b), "
            "mixture(0.3\\*normal(0,1), 0.7\\*normal(3,0.5)) or categorical(p1, ..., pn) over 0, ..., n-1.",
            metavar="SPEC",
        ),
    ] = "normal(0,1)",
    gen: Annotated[
        str,
        typer.Option("--gen", help="p_g, the generator's distribution, in the same language as --data.", metavar="SPEC"),
    ] = "normal(2,1)",
    x: Annotated[
        list[str] | None,
        typer.Option(
            "--x",
            help="A point at which to evaluate D*; repeat the option or separate values with commas (--x 0 --x 1.5, "
            "--x 0,1.5). For categorical distributions, category indices. Default: the two means and their "
            "midpoint, or every category.",
            metavar="X",
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
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """The optimal discriminator D* = p_data/(p_data + p_g) of a GAN, proved and verified (Problem 3).

    Proves, with SymPy, that D* minimises L(D) = −E_data[log D] − E_g[log(1 − D)] for a fixed generator, that
    L(D*) = log 4 − 2·JSD(p_data‖p_g), and checks it for the two distributions: D* at the points, L(D*) both
    ways, random perturbations of D*, and a discriminator fitted with scipy.optimize.
    """
    from dgm_cli.distributions import parse_distribution
    from dgm_cli.parsing import parse_vector

    target = None
    if plot is not None:  # refuse a bad path, or a missing matplotlib, before any work
        from dgm_cli.render.plot import check_plot_path, require_pyplot

        target = check_plot_path(plot)
        require_pyplot()
    data_distribution = parse_distribution(data, "--data")
    gen_distribution = parse_distribution(gen, "--gen")
    points = parse_vector(list(x), "--x") if x else None

    from dgm_cli.solvers.gan_optimal import figure_data
    from dgm_cli.solvers.gan_optimal import gan_optimal as solve

    derivation = solve(data_distribution, gen_distribution, points, samples=samples, seed=seed)
    if target is not None:
        from dgm_cli.render.plot_gan_optimal import plot_gan_optimal

        plot_gan_optimal(figure_data(data_distribution, gen_distribution, points), target)
    emit(derivation, fmt, as_json)


def main() -> None:
    """Console-script entry point."""
    app()
