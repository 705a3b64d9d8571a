"""Inputs for the hostile-input fuzz, what a trustworthy command must do with them, and a pool that runs them.

- Generators: numbers beyond float64, huge and tiny constants inside --transform, nesting deep but inside the
  grammar's limits, awkward --input files (a BOM, CR and CRLF line ends, a 2 MB line, NUL bytes, values beyond
  float64), and the extreme points and parameters of each command, report included.
- ``problems(case, outcome)``: everything wrong with one run, as sentences (an empty list when it is clean).
- ``CasePool``: runs cases in-process with Typer's CliRunner, but inside forked worker processes, so that a case
  that hangs or eats memory is killed at its time limit and reported, instead of stalling the test run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

# --------------------------------------------------------------------------- values

#: Numbers at and beyond float64's edges. The grammar reads them exactly (exponents within ±400, at most
#: 400 digits), so they reach the solvers, which must answer, say ±∞ and why, or refuse in one line.
BEYOND_FLOAT64 = [
    "1e309", "1e400", "-1e400", "1e-400", "-1e-400", "9" * 400, "-" + "9" * 400, "9.99e307", "-9.99e307",
    "5e-324", "-5e-324", "-1e17", "1e17", "1e308", "-1e308", "1.7976931348623157e308", "2.2250738585072014e-308",
    "1e-300", "1e-160", "1e300", "-0.0", "0",
]
MODERATE = ["0", "1", "-1", "0.5", "-0.5", "0.1", "0.25", "2", "-2", "1/3", "3", "-3", "10", "-100", "700", "-745"]

#: --transform maps with constants float64 cannot hold, or that overflow inside the map.
EXTREME_TRANSFORMS = [
    "exp(1e9)*z1", "1e400*z1", "1e-400*z1", "log(1e300)*z1", "exp(710)*z1", "exp(709)*z1", "exp(-745)*z1",
    "exp(-1e9)*z1", "z1 + 1e400", "z1/1e-400", "1e308*z1 + 1e308", "5e-324*z1", "z1*9.99e307", "tanh(1e9*z1)",
    "sinh(1e300*z1)", "exp(1e-400*z1)", "cbrt(z1)*1e-300", "z1**3 + 1e-300*z1", "arcsinh(1e400*z1)",
    "sigmoid(1e17*z1)", "softplus(z1)*1e308", "exp(z1)", "tanh(z1)", "sigmoid(z1)", "arcsinh(z1)", "sign(z1)",
    "cbrt(cbrt(z1))", "exp(1e20)", "z1; 1e400*z2", "1e-400*z1; z2", "exp(710)*z1; z2*exp(z1)",
    "z1; z2*exp(1000*z1)", "z3; (sign(z2/z1))**3; (exp(z1))**3", "z1; z2*exp(z1); cbrt(z3*exp(-z1) + z1**2)",
    "z1; z2*exp(1e3*z1); cbrt(z3*exp(-1e3*z1) + 1e300*z1**2)",
]
NESTABLE = ["sinh", "cbrt", "tanh", "arcsinh", "sigmoid", "softplus", "exp"]
MAX_NESTING = 20  # the grammar allows 50 levels and 2000 tokens; 20 functions deep stays well inside both

POINTS_1D = ["0", "0.5", "-0.5", "0.1", "0.25", "1", "-1", "1e-300", "5e-324", "1e300", "1e400", "-1e400", "1e17",
             "-1e17", "1e-400", "0.999999999999", "700"]

#: Problem 1's map at extreme points x (x1 decides e^(±x1); x3 small makes the density's factor 3 x3^2 tiny).
FLOW_POINTS = [
    ("1e4", "1", "1"), ("-1e4", "1", "1"), ("1e5", "1", "1"), ("-1e5", "-2", "-3"), ("0", "1", "1e-300"),
    ("0", "1", "1e-160"), ("0", "1", "0"), ("700", "1e300", "1"), ("0", "1", "1e309"), ("0", "1", "1e400"),
    ("-1e7", "0", "1"), ("9.99e307", "-6e-10", "-6e-9"), ("-1e17", "1e-400", "-0.0003"), ("-100", "1e-40", "1"),
    ("0", "1", "5e-324"), ("1e-400", "1e-400", "1e-400"), ("-745", "1", "1"), ("710", "1", "1"),
]
BASES = ["normal(0,1e-400)", "uniform(-1e308,1e308)", "normal(1e300,1)", "laplace(0,1e-300)", "logistic(0,1e300)",
         "uniform(-1e-300,1e-300)", "normal(0,5e-324)", "normal(-1e17,1)", "uniform(0,1e400)", "normal"]
BOXES = ["1e400", "1e-400", "5", "10", "1e308", "5e-324", "1e-300", "0.1", "1e17"]

VPNF_VALUES = ["1e-400", "1e308", "1e-300", "5e-324", "1e-100", "1e100", "1e400", "9" * 400, "1e-17", "16.78", "2",
               "0.1", "0.8999999999999999", "0.9", "1/3"]

GAN_SPECS = [
    "normal(1e6,1)", "normal(1e9,1)", "normal(-1e9,1e-3)", "normal(0,1e-300)", "normal(1e300,1)", "normal(0,1e9)",
    "uniform(-1e308,1e308)", "uniform(0,1e-300)", "laplace(1e17,1)", "laplace(0,1e-400)",
    "mixture(0.5*normal(0,1), 0.5*normal(1e9,1))", "mixture(1e-300*normal(0,1), 1*normal(3,1))",
    "categorical(1e-300,1)", "categorical(5e-324,0.5,0.5)", "normal(0,1)", "normal(2,1)",
]
GAN_POINTS = ["1e17", "-1e20", "1e400", "-1e400", "5e-324", "1e-400", "9.99e307", "1e308", "0", "1e6", "1e9"]
LOGITS = ["1e400", "-1e400", "1e308,-1e308", "5e-324", "-1e17", "1e17", "1e-400", "9" * 400, "-" + "9" * 400,
          "-745,-746,-1e5", "709,710,1e5", "-1,-5,-10,-20", "0,-0.0", "1e300,-1e300,0"]

FORMATS = ["plain", "json", "jsonl", "csv", "markdown", "latex", "html", "quiet", "rich"]
BATCH_FORMATS = ["jsonl", "json", "csv", "plain"]
REPORT_FORMATS = ["markdown", "latex", "html", "plain"]

# --------------------------------------------------------------------------- --input files


def _lines(rows: list[list[str]], end: str = "\n") -> str:
    return "".join(" ".join(row) + end for row in rows)


def input_files(folder: Path) -> dict[int, list[Path]]:
    """Awkward --input files, by the number of values a line should hold (3 for flow-density, 1 for the GAN
    commands): a UTF-8 BOM, CR-only and CRLF line ends, a 2 MB line, NUL bytes, numbers beyond float64, text
    that is not UTF-8."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[int, list[Path]] = {}
    for width in (1, 3):
        good = [["0", "1", "1"][:width], ["0.5", "2", "0.25"][:width], ["-1", "1", "1/3"][:width]]
        beyond = [[value] * width for value in ("1e400", "-1e400", "1e309", "1e-400", "9" * 400, "9.99e307")]
        contents: dict[str, bytes] = {
            "bom": ("\ufeff" + _lines(good)).encode(),
            "bom-only": "\ufeff".encode(),
            "cr-only": _lines(good, "\r").encode(),
            "crlf": _lines(good, "\r\n").encode(),
            "mixed-ends": (_lines(good[:1], "\r") + _lines(good[1:2], "\r\n") + _lines(good[2:])).encode(),
            "long-line": (("1 " * 1_048_576) + "\n" + _lines(good)).encode(),  # a 2 MB line, then good lines
            "long-token": (_lines(good[:1]) + "9" * 2_000_000 + "\n").encode(),
            "nul": (_lines(good[:1]) + "0\x001\x00 1\n" + "\x00" * 64 + "\n").encode(),
            "beyond-float64": _lines(good[:1] + beyond).encode(),
            "beyond-float64-mixed": _lines([["1e-400", "1e400", "5e-324"][:width], ["-1e17", "1e-300", "0"][:width]]).encode(),
            "not-utf8": b"\xff\xfe" + _lines(good).encode("latin-1") + b"\xe9\n",
            "utf16": _lines(good).encode("utf-16"),
            "comments-and-blanks": ("# x\n\n   \n" + _lines(good) + "# end").encode(),
            "no-final-newline": _lines(good).rstrip("\n").encode(),
        }
        paths = []
        for name, data in contents.items():
            path = folder / f"{name}-w{width}.txt"
            path.write_bytes(data)
            paths.append(path)
        files[width] = paths
    return files


# --------------------------------------------------------------------------- command lines


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    stdin: str | None = ""

    def shown(self) -> list[str]:
        """The argv with long values cut short, for a readable failure message."""
        return [a if len(a) < 80 else a[:40] + f"…({len(a)} chars)" for a in self.argv]


def nested_transform(rng: random.Random) -> str:
    """Functions nested 5 to 20 deep around a variable, sometimes in extra parentheses or scaled."""
    depth = rng.randint(5, MAX_NESTING)
    functions = [rng.choice(NESTABLE) for _ in range(depth)]
    if rng.random() < 0.5:  # one function all the way down, as in sinh(sinh(...(z1)...))
        functions = [functions[0]] * depth
    inner = "z1"
    for name in functions:
        inner = f"{name}({inner})"
    if rng.random() < 0.3:
        inner = "(" * 10 + inner + ")" * 10
    if rng.random() < 0.3:
        inner = f"{rng.choice(['2', '-1', '1e-300', '1e300', '0.5'])}*{inner}"
    if rng.random() < 0.25:
        return f"{inner}; z2"
    return inner


def grammar_edge_transforms() -> list[str]:
    """Right under the grammar's limits: 49 levels of parentheses, 1999 tokens."""
    return ["(" * 49 + "z1" + ")" * 49, "z1" + "+z1" * 999, "sinh(" * 20 + "(" * 25 + "z1" + ")" * 45]


def _format_options(rng: random.Random, choices: list[str] = FORMATS) -> list[str]:
    roll = rng.random()
    if roll < 0.35:
        return []
    if roll < 0.45:
        return ["--json"]
    if roll < 0.5:
        return ["--quiet"]
    return ["--format", rng.choice(choices)]


def _flow_case(rng: random.Random) -> list[str]:
    argv = ["flow-density"]
    roll = rng.random()
    if roll < 0.45:
        point = rng.choice(FLOW_POINTS) if rng.random() < 0.6 else tuple(rng.choice(BEYOND_FLOAT64 + MODERATE) for _ in range(3))
        argv += ["--x", *point] if rng.random() < 0.8 else ["--x", ",".join(point)]
    else:
        transform = rng.choice(EXTREME_TRANSFORMS + grammar_edge_transforms()) if rng.random() < 0.5 else nested_transform(rng)
        argv += ["--transform", transform]
        dimension = transform.count(";") + 1
        if rng.random() < 0.8:
            argv += ["--x", *(rng.choice(POINTS_1D) for _ in range(dimension))]
    if rng.random() < 0.2:
        argv += ["--base", rng.choice(BASES)]
    if rng.random() < 0.15:
        argv += ["--box", rng.choice(BOXES)]
        if rng.random() < 0.5:
            argv += ["--verify", rng.choice(["10", "100", "1000"])]
    return argv + _format_options(rng)


def _vpnf_case(rng: random.Random) -> list[str]:
    argv = ["vpnf-bound"]
    for option in rng.sample(["--det", "--k", "--eps"], k=rng.randint(1, 3)):
        pool = VPNF_VALUES + (["best"] if option == "--eps" else [])
        argv += [option, rng.choice(pool)]
    return argv + _format_options(rng)


def _gan_optimal_case(rng: random.Random) -> list[str]:
    argv = ["gan-optimal"]
    if rng.random() < 0.7:
        argv += ["--gen", rng.choice(GAN_SPECS)]
    if rng.random() < 0.3:
        argv += ["--data", rng.choice(GAN_SPECS)]
    if rng.random() < 0.5:
        argv += ["--x", rng.choice(GAN_POINTS)]
        if rng.random() < 0.3:
            argv += ["--x", rng.choice(GAN_POINTS)]
    argv += ["--samples", rng.choice(["0", "1000", "10000"])]
    return argv + _format_options(rng)


def _gan_vanishing_case(rng: random.Random) -> list[str]:
    argv = ["gan-vanishing", "--logits", rng.choice(LOGITS)]
    if rng.random() < 0.3:
        argv += ["--grad-bound", rng.choice(BEYOND_FLOAT64)]
    if rng.random() < 0.1:
        argv.append("--sweep")
    return argv + _format_options(rng)


def _batch_case(rng: random.Random, files: dict[int, list[Path]]) -> Case:
    command, width = rng.choice([("flow-density", 3), ("gan-vanishing", 1), ("gan-optimal", 1)])
    path = rng.choice(files[width])
    argv = [command]
    if command == "gan-optimal" and rng.random() < 0.5:
        argv += ["--gen", rng.choice(GAN_SPECS)]
    stdin = ""
    if rng.random() < 0.25 and path.stat().st_size < 10_000:
        argv += ["--input", "-"]
        stdin = path.read_bytes().decode("utf-8", errors="replace")  # CliRunner hands stdin over as UTF-8 text
    else:
        argv += ["--input", str(path)]
    if rng.random() < 0.3:
        argv.append("--skip-bad")
    if rng.random() < 0.8:
        argv += ["--format", rng.choice(BATCH_FORMATS)]
    return Case(tuple(argv), stdin)


def _report_case(rng: random.Random) -> list[str]:
    argv = ["report"]
    if rng.random() < 0.7:
        point = rng.choice(FLOW_POINTS) if rng.random() < 0.7 else tuple(rng.choice(BEYOND_FLOAT64) for _ in range(3))
        argv += ["--x", ",".join(point)]
    if rng.random() < 0.4:
        argv += ["--k", rng.choice(VPNF_VALUES)]
    if rng.random() < 0.4:
        argv += ["--eps", rng.choice(VPNF_VALUES + ["best"])]
    if rng.random() < 0.2:
        argv += ["--logits", rng.choice(LOGITS)]
    if rng.random() < 0.5:
        argv += ["--format", rng.choice(REPORT_FORMATS)]
    return argv


#: The families of the extreme-value fuzz and their shares of the runs. A report runs all four solvers, so its
#: share is small.
FAMILIES = {"flow-density": 0.38, "vpnf-bound": 0.12, "gan-optimal": 0.14, "gan-vanishing": 0.14, "batch": 0.18,
            "report": 0.04}


def extreme_cases(family: str, count: int, seed: int, files: dict[int, list[Path]]) -> list[Case]:
    """``count`` command lines of one family, the same ones for the same seed."""
    rng = random.Random(f"{seed}:{family}")
    makers = {"flow-density": _flow_case, "vpnf-bound": _vpnf_case, "gan-optimal": _gan_optimal_case,
              "gan-vanishing": _gan_vanishing_case, "report": _report_case}
    if family == "batch":
        return [_batch_case(rng, files) for _ in range(count)]
    return [Case(tuple(makers[family](rng))) for _ in range(count)]


# --------------------------------------------------------------------------- what a clean run looks like

ALLOWED_EXIT_CODES = (0, 1, 2, 130)
NAN_TOKEN = re.compile(r"\bnan\b", re.IGNORECASE)
LONG_NUMBER = re.compile(r"\d{41,}")  # a message's numbers are short (3 significant digits), never 300 digits


@dataclass
class Outcome:
    exit_code: int | None  # None: killed at the time limit, or the worker died
    stdout: str = ""
    stderr: str = ""
    elapsed: float = 0.0  # wall-clock seconds
    failure: str | None = None  # why there is no exit code
    cpu: float = 0.0  # CPU seconds of the case


def strict_json(text: str):
    """Parse JSON, refusing the bare NaN/Infinity tokens that Python's json accepts by default."""

    def refuse(token: str):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def output_format(argv: tuple[str, ...] | list[str]) -> str | None:
    """The format a command line asks for, as the CLI decides it: --json, then --quiet, then the last --format."""
    if argv and argv[0] == "report":
        return None
    if "--json" in argv:
        return "json"
    if "--quiet" in argv or "-q" in argv:
        return "plain" if "--input" in argv else "quiet"
    chosen = None
    for i, arg in enumerate(argv[:-1]):
        if arg in ("--format", "-f"):
            chosen = argv[i + 1].strip().lower()
    return chosen


def _json_problems(case: Case, outcome: Outcome) -> list[str]:
    fmt = output_format(case.argv)
    if fmt not in ("json", "jsonl") or outcome.exit_code not in (0, 1, 2):
        return []
    batch = "--input" in case.argv
    text = outcome.stdout
    if outcome.exit_code == 2 and not batch:
        return []
    if not text.strip():
        return [] if outcome.exit_code == 2 or batch else ["no JSON on stdout"]
    try:
        if fmt == "jsonl" or (batch and fmt == "json" and outcome.exit_code == 2):
            if fmt == "json":
                return []  # an array cut short by a bad line: nothing to parse whole
            for line in text.splitlines(keepends=True):
                if line.strip() and line.endswith("\n"):
                    strict_json(line)
        else:
            strict_json(text)
    except ValueError as error:
        return [f"stdout is not strict JSON ({str(error)[:120]})"]
    return []


def problems(case: Case, outcome: Outcome, time_limit: float) -> list[str]:
    """What a trustworthy CLI must not do: any of these is a finding."""
    if outcome.exit_code is None:
        return [outcome.failure or "no exit code"]
    found = []
    code, out, err = outcome.exit_code, outcome.stdout, outcome.stderr
    if code not in ALLOWED_EXIT_CODES:
        found.append(f"exit code {code}")
    if "Traceback" in out + err:
        found.append("a traceback")
    if "internal error" in err:
        found.append("an internal error")
    if code == 1 and "verification failed" not in err:
        found.append("exit 1 without 'verification failed' on stderr")
    if NAN_TOKEN.search(out):
        found.append("a NaN token on stdout")
    made_up = [m.group() for m in LONG_NUMBER.finditer(err) if not any(m.group() in arg for arg in case.argv)]
    if made_up:  # (an echo of the user's own long number is left alone here)
        found.append(f"a number of {len(made_up[0])} digits in a message on stderr")
    if code == 2:
        if len(err.strip().splitlines()) != 1:
            found.append(f"exit 2 with {len(err.strip().splitlines())} lines on stderr, not one")
        if out and "--input" not in case.argv:
            found.append("exit 2 after writing to stdout")
    found += _json_problems(case, outcome)
    if outcome.cpu > time_limit:
        found.append(f"took {outcome.cpu:.1f} s of CPU, over the {time_limit:.0f} s limit")
    return found


def describe(case: Case, outcome: Outcome, found: list[str]) -> str:
    last_error = outcome.stderr.strip().splitlines()[-1][:300] if outcome.stderr.strip() else ""
    return f"{'; '.join(found)} ({outcome.cpu:.1f} s CPU): argv={case.shown()!r} exit={outcome.exit_code} stderr: {last_error!r}"


# --------------------------------------------------------------------------- running cases

MAX_CAPTURED = 8_000_000  # characters of stdout sent back from a worker (a 2 MB line can be echoed in a message)
POLL_SECONDS = 0.1


def _worker(connection, memory_limit: int) -> None:
    """Run cases in-process with CliRunner until told to stop; one reply per case."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (ValueError, OSError):
        pass
    os.environ.pop("DGM_DEBUG", None)
    from typer.testing import CliRunner

    from dgm_cli.cli import app

    runner = CliRunner()
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        index, argv, stdin = job
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            result = runner.invoke(app, list(argv), input=stdin)
            stderr = result.stderr
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                stderr += f"\nTraceback: {type(result.exception).__name__}: {result.exception}"  # escaped the CLI
            reply = (index, result.exit_code, result.stdout[:MAX_CAPTURED], stderr[:MAX_CAPTURED], None)
        except BaseException as error:  # noqa: BLE001 - reported as the case's failure
            reply = (index, None, "", "", f"the runner raised {type(error).__name__}: {str(error)[:200]}")
        connection.send((*reply, time.perf_counter() - start, time.process_time() - start_cpu))


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, every thread) a process has used so far; None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class _Slot:
    process: multiprocessing.Process
    connection: object
    job: tuple | None = None
    started: float = 0.0
    started_cpu: float | None = None


@dataclass
class CasePool:
    """Forked workers that run CLI cases in-process; a case past its time limit is killed and reported.

    The limit is on the case's CPU time (``time_limit`` seconds), so that a loaded machine does not turn a
    slow case into a "hang"; a case that idles is stopped by the wall clock at ``wall_factor`` times the limit.
    Workers come from a fork server that has imported the package (never from the test process itself, whose
    polars thread pool a forked child could not use), so a worker and its replacement after a kill start warm;
    each worker runs its cases one after another, as the in-process fuzz always did.
    """

    workers: int = 2
    time_limit: float = 10.0
    wall_factor: float = 6.0
    memory_limit: int = 4 << 30
    slots: list[_Slot] = field(default_factory=list)

    def __post_init__(self) -> None:
        # forkserver, not fork: a child forked from a parent whose polars (batch mode) has started its thread
        # pool would wait forever on that pool's locks
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if self.context.get_start_method() == "forkserver":  # workers start warm: the server imported the package
            self.context.set_forkserver_preload(["dgm_cli.cli", "dgm_cli.solvers.flow", "dgm_cli.solvers.vpnf",
                                                 "dgm_cli.solvers.gan_optimal", "dgm_cli.solvers.gan_vanishing"])
        self.slots = [self._spawn() for _ in range(self.workers)]

    def _spawn(self) -> _Slot:
        ours, theirs = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(theirs, self.memory_limit), daemon=True)
        process.start()
        theirs.close()
        return _Slot(process, ours)

    def _replace(self, slot: _Slot) -> _Slot:
        if slot.process.is_alive():
            slot.process.kill()  # a worker of ours, by its own handle
        slot.process.join(5)
        slot.connection.close()
        return self._spawn()

    def _overdue(self, slot: _Slot) -> tuple[str, float] | None:
        """Why the slot's case must be stopped, and the CPU seconds it used; None while it may go on."""
        wall = time.monotonic() - slot.started
        cpu_now = _cpu_seconds(slot.process.pid)
        cpu = cpu_now - slot.started_cpu if slot.started_cpu is not None and cpu_now is not None else wall
        if cpu >= self.time_limit:
            return f"used {self.time_limit:.0f} s of CPU without ending (killed after {wall:.0f} s)", cpu
        if wall >= self.time_limit * self.wall_factor:
            return f"did not end within {wall:.0f} s (killed)", cpu
        return None

    def run(self, cases: list[Case]) -> list[Outcome]:
        """Every case's outcome, in the order of ``cases``."""
        outcomes: list[Outcome | None] = [None] * len(cases)
        pending = deque(enumerate(cases))
        while pending or any(slot.job is not None for slot in self.slots):
            for slot in self.slots:
                if slot.job is None and pending:
                    index, case = pending.popleft()
                    slot.job, slot.started = (index, case), time.monotonic()
                    slot.started_cpu = _cpu_seconds(slot.process.pid)
                    slot.connection.send((index, case.argv, case.stdin))
            busy = [slot for slot in self.slots if slot.job is not None]
            ready = wait([slot.connection for slot in busy], timeout=POLL_SECONDS)
            for position, slot in enumerate(self.slots):
                if slot.job is None:
                    continue
                index, _ = slot.job
                if slot.connection in ready:
                    try:
                        _, code, out, err, failure, elapsed, cpu = slot.connection.recv()
                    except (EOFError, OSError):
                        slot.process.join(1)
                        outcomes[index] = Outcome(None, elapsed=time.monotonic() - slot.started,
                                                  failure=f"the worker process died (exit code {slot.process.exitcode})")
                        self.slots[position] = self._replace(slot)
                        continue
                    outcomes[index] = Outcome(code, out, err, elapsed, failure, cpu)
                    slot.job = None
                    continue
                overdue = self._overdue(slot)
                if overdue:
                    elapsed = time.monotonic() - slot.started
                    outcomes[index] = Outcome(None, elapsed=elapsed, failure=overdue[0], cpu=overdue[1])
                    self.slots[position] = self._replace(slot)
        return outcomes  # type: ignore[return-value]

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot.connection.send(None)
            except (OSError, ValueError):
                pass
        for slot in self.slots:
            slot.process.join(5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(5)
            slot.connection.close()
        self.slots = []
