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


# --- vpnf-bound ---


@app.command("vpnf-bound")
def vpnf_bound(
    k: Annotated[
        str | None,
        typer.Option(
            "--k",
            help="Slope k of the counterexample's ramp (positive; 2, 16.78, 1/3). "
            "Default: the k that normalises it, (81 + 9·√93)/10 ≈ 16.78, derived at run time.",
        ),
    ] = None,
    eps: Annotated[
        str,
        typer.Option("--eps", help="ε in (0, h), h the normalised plateau height; or 'best' for the ε that maximises the bound."),
    ] = "0.1",
    det: Annotated[
        str | None,
        typer.Option("--det", help="Also evaluate C, A and the bound for flows with this constant |det ∂f/∂z| = c > 0."),
    ] = None,
    plot: Annotated[
        str | None,
        typer.Option("--plot", help="Write a figure (.png, .pdf, .svg): the density with B and the largest A, and the bound against ε. Needs the plot extra."),
    ] = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Problem 2: flows with constant |det ∂f/∂z| are not universal. Lower bounds on KL(p‖p_θ) by Pinsker.

    Walks through parts (a)–(d) for the counterexample at slope k and threshold ε: the sets A, B, Ā = B∖A and
    C = f⁻¹(A) and their volumes, the event used in each case, the bound on δ = sup_E |P(E) − P_θ(E)| and
    KL ≥ 2δ², for every constant c and for c = 1, next to the KL that a concrete flow achieves.
    """
    from dgm_cli.parsing import parse_number
    from dgm_cli.solvers.vpnf import parse_eps
    from dgm_cli.solvers.vpnf import vpnf_bound as solve

    k_value = parse_number(k, "--k") if k is not None else None
    eps_value = parse_eps(eps)
    det_value = parse_number(det, "--det") if det is not None else None
    target = None
    if plot is not None:
        from dgm_cli.render.plot import check_plot_path, require_pyplot

        target = check_plot_path(plot)
        require_pyplot()
    derivation = solve(k_value, eps_value, det_value)
    if target is not None:
        from dgm_cli.render.plot_vpnf import plot_vpnf
        from dgm_cli.solvers.vpnf import plot_data

        plot_vpnf(plot_data(derivation), target)
    emit(derivation, fmt, as_json)


def main() -> None:
    """Console-script entry point."""
    app()
