"""Speed of dgm, measured side by side with baselines in one run: `python benchmarks/run.py`.

Builds its own inputs in a temporary folder, repeats each measurement, and
prints medians of CPU time (user + system) and ratios. Uses only the project's dependencies (plus torch's
distributions for an optional comparison when torch happens to be installed).

  --quick       fewer repetitions and smaller files (a smoke run, about a minute)
  --memory-lines N   points for the peak-memory run (default 10,000,000)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PYTHON = sys.executable

# A one-command Typer app: the floor for any Typer CLI's start-up.
MINIMAL_TYPER_APP = textwrap.dedent(
    """
    import typer
    app = typer.Typer()
    @app.command()
    def hello(name: str = "world") -> None:
        print(name)
    app()
    """
)

# The obvious hand-written script a user would write for batch densities.
BASELINE_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from scipy.stats import multivariate_normal
    x = np.loadtxt(sys.argv[1], ndmin=2)
    z = np.column_stack([x[:, 0], x[:, 1] * np.exp(-x[:, 0]), (x[:, 2] ** 3 - x[:, 0] ** 2) * np.exp(x[:, 0])])
    log_p = multivariate_normal(mean=np.zeros(3)).logpdf(z) + np.log(3 * x[:, 2] ** 2)
    np.savetxt(sys.argv[2], np.column_stack([x, z, log_p, np.exp(log_p)]), delimiter=",")
    """
)


# Arguments that stand for a command's defaults where it would otherwise read stdin.
# Each command as the issue measures it (stdout to /dev/null), with its target against `import sympy, numpy`.
COMMAND_TARGETS = {
    "flow-density": (["--x", "0", "1", "0.333", "--json"], 1.5),
    "gan-vanishing": (["--logits", "-1,-5", "--json"], 1.5),
    "gan-optimal": (["--json"], 2.0),
    "vpnf-bound": (["--json"], 2.0),
    "report": (["--format", "markdown"], 3.0),
}


# The commands run as an installed dgm does: with its bytecode written (pip compiles it on install; a
# PYTHONDONTWRITEBYTECODE in the caller's environment would make every run compile dgm's sources again) and
# with a disk cache of its own (dgm_cli.cache), warmed by one run of each command before measuring.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def cpu_times(argv: list[str], repeat: int, expected: int = 0, **kwargs) -> list[float]:
    """CPU seconds (user + system) of each run: on a shared machine, less disturbed by load than wall time."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        completed = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **{"env": ENV, **kwargs}
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if completed.returncode != expected:
            raise SystemExit(f"benchmark command failed: {' '.join(argv)}\n{completed.stderr.decode()[-2000:]}")
    return times


def interleaved_samples(
    commands: dict[str, list[str]], repeat: int, expected: dict[str, int] | None = None
) -> dict[str, list[float]]:
    """CPU time of each run, the commands taking turns so that machine load hits them alike; one warm-up run each."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():
        cpu_times(argv, 1, (expected or {}).get(name, 0))
    for _ in range(repeat):
        for name, argv in commands.items():
            samples[name] += cpu_times(argv, 1, (expected or {}).get(name, 0))
    return samples


def interleaved(commands: dict[str, list[str]], repeat: int, expected: dict[str, int] | None = None) -> dict[str, float]:
    """Medians of CPU time, the commands taking turns (see interleaved_samples)."""
    samples = interleaved_samples(commands, repeat, expected)
    return {name: statistics.median(values) for name, values in samples.items()}


def ratio_range(numerator: list[float], denominator: list[float]) -> str:
    """The spread of the run-by-run ratios (each run against its neighbour in the alternation)."""
    ratios = [a / b for a, b in zip(numerator, denominator)]
    return f"{min(ratios):.2f}–{max(ratios):.2f}"


def heavy_modules_after_help() -> list[str]:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom dgm_cli.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "print(','.join(m for m in ('sympy', 'numpy', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return [m for m in out.split(",") if m]


def peak_memory_kb(argv: list[str]) -> int:
    code = (
        "import resource, subprocess, sys\n"
        f"subprocess.run({argv!r}, stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    return int(subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, env=ENV).stdout)


def write_points(path: Path, count: int, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    with open(path, "w") as handle:
        for start in range(0, count, 1_000_000):
            block = rng.normal(size=(min(1_000_000, count - start), 3))
            np.savetxt(handle, block, fmt="%.6f")


def core_throughput(points: int, repeat: int) -> dict[str, float]:
    """Points per second of the vectorised log-density, ours against SciPy's (and torch's, if present)."""
    import numpy as np
    from scipy.stats import multivariate_normal

    from dgm_cli.solvers.flow import assignment_flow

    model = assignment_flow()
    x = np.random.default_rng(2).normal(size=(points, 3))
    normal = multivariate_normal(mean=np.zeros(3))

    def ours():
        return model.log_density_at(x)[1]

    def scipy_baseline():
        z = np.column_stack([x[:, 0], x[:, 1] * np.exp(-x[:, 0]), (x[:, 2] ** 3 - x[:, 0] ** 2) * np.exp(x[:, 0])])
        return normal.logpdf(z) + np.log(3 * x[:, 2] ** 2)

    np.testing.assert_allclose(ours(), scipy_baseline(), rtol=1e-10)  # the race is between equal answers
    candidates = {"dgm core": ours, "scipy.stats baseline": scipy_baseline}
    try:
        import torch

        normal_t = torch.distributions.Independent(torch.distributions.Normal(torch.zeros(3, dtype=torch.float64), 1.0), 1)
        xt = torch.from_numpy(x)

        def torch_baseline():
            z = torch.stack([xt[:, 0], xt[:, 1] * torch.exp(-xt[:, 0]), (xt[:, 2] ** 3 - xt[:, 0] ** 2) * torch.exp(xt[:, 0])], 1)
            return normal_t.log_prob(z) + torch.log(3 * xt[:, 2] ** 2)

        candidates["torch.distributions"] = torch_baseline
    except ImportError:
        pass
    rates = {}
    for name, function in candidates.items():
        function()  # warm up
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        rates[name] = points / statistics.median(times)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--memory-lines", type=int, default=None)
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    batch_lines = 200_000 if args.quick else 2_000_000
    memory_lines = args.memory_lines or (1_000_000 if args.quick else 10_000_000)
    dgm = [PYTHON, "-m", "dgm_cli"]
    rows: list[tuple[str, str, str, str]] = []  # (measurement, figure, baseline, ratio and target)

    heavy = heavy_modules_after_help()
    rows.append(("`dgm --help` heavy imports", ", ".join(heavy) or "none", "", "target: none" + (" — FAIL" if heavy else " — ok")))

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        ENV["DGM_CACHE_DIR"] = str(tmp_path / "cache")  # the benchmark's own, warmed by the first runs
        minimal = tmp_path / "minimal_app.py"
        minimal.write_text(MINIMAL_TYPER_APP)
        startup = interleaved(
            {"help": [*dgm, "--help"], "version": [*dgm, "--version"], "minimal": [PYTHON, str(minimal), "--help"]},
            repeat,
        )
        for name in ("help", "version"):
            ratio = startup[name] / startup["minimal"]
            rows.append((f"`dgm --{name}`", f"{startup[name] * 1000:.0f} ms", f"one-command Typer app {startup['minimal'] * 1000:.0f} ms",
                         f"{ratio:.2f}× (target ≤ 1.5×){' — FAIL' if ratio > 1.5 else ' — ok'}"))

        # Bad input is refused before the heavy imports: each refusal against `dgm --help`, taking turns.
        bad = {"flow-density --x a b c": ["flow-density", "--x", "a", "b", "c"],
               "vpnf-bound --eps 0.9": ["vpnf-bound", "--eps", "0.9"],
               "gan-optimal --x abc": ["gan-optimal", "--x", "abc"],
               "gan-vanishing --logits abc": ["gan-vanishing", "--logits", "abc"]}
        refusals = interleaved({"help": [*dgm, "--help"], **{name: [*dgm, *argv] for name, argv in bad.items()}},
                               repeat, expected={name: 2 for name in bad})
        worst = max(bad, key=lambda name: refusals[name])
        ratio = refusals[worst] / refusals["help"]
        rows.append((f"bad input refused (slowest: `dgm {worst}`)", f"{refusals[worst] * 1000:.0f} ms",
                     f"`dgm --help` {refusals['help'] * 1000:.0f} ms",
                     f"{ratio:.2f}× (target ≤ 1.5×){' — FAIL' if ratio > 1.5 else ' — ok'}"))

        floor_argv = [PYTHON, "-c", "import sympy, numpy"]
        from dgm_cli.cli import app  # the commands that exist, with their default arguments
        from typer.main import get_command

        for name in sorted(get_command(app).commands):
            args_, target = COMMAND_TARGETS[name]
            # Each command takes turns with the floor, so that a busy moment hits both alike.
            pair = interleaved_samples({"command": [*dgm, name, *args_], "floor": floor_argv}, repeat)
            median, floor = statistics.median(pair["command"]), statistics.median(pair["floor"])
            ratio = median / floor
            shown = " ".join(["dgm", name, *(a for a in args_ if a != "--json")])
            rows.append((f"`{shown}`", f"{median * 1000:.0f} ms", f"`import sympy, numpy` {floor * 1000:.0f} ms",
                         f"{ratio:.2f}× (runs {ratio_range(pair['command'], pair['floor'])}; target ≤ {target}×)"
                         f"{' — FAIL' if ratio > target else ' — ok'}"))

        # The first run on a machine computes the input-independent symbolic results that later runs read
        # from the disk cache: `dgm report` with an empty cache each time (no target; for the record).
        cold_runs = []
        for attempt in range(max(3, repeat // 2)):
            cold_env = {**ENV, "DGM_CACHE_DIR": str(tmp_path / f"cold-cache-{attempt}")}
            cold_runs += cpu_times([*dgm, "report", "--format", "markdown"], 1, env=cold_env)
        floor = statistics.median(cpu_times(floor_argv, max(3, repeat // 2)))
        rows.append(("`dgm report`, first run (empty disk cache)", f"{statistics.median(cold_runs) * 1000:.0f} ms",
                     f"`import sympy, numpy` {floor * 1000:.0f} ms", f"{statistics.median(cold_runs) / floor:.2f}× (no target)"))

        baseline_script = tmp_path / "baseline.py"
        baseline_script.write_text(BASELINE_SCRIPT)
        for lines, target, formats in ((batch_lines, 3.0, ("csv", "jsonl")), (batch_lines // 10, 1.0, ("csv",))):
            points = tmp_path / f"points-{lines}.txt"
            write_points(points, lines)
            runs = {fmt: [*dgm, "flow-density", "--input", str(points), "--format", fmt] for fmt in formats}
            runs["baseline"] = [PYTHON, str(baseline_script), str(points), str(tmp_path / "baseline.csv")]
            batch = interleaved(runs, max(3, repeat // 2))
            for fmt in formats:
                ratio = batch["baseline"] / batch[fmt]
                rows.append((f"batch, {lines:,} points → {fmt}", f"{lines / batch[fmt]:,.0f} points/s",
                             f"loadtxt + scipy.stats + savetxt {lines / batch['baseline']:,.0f} points/s",
                             f"{ratio:.2f}× (target ≥ {target:g}×){' — FAIL' if ratio < target else ' — ok'}"))

        big = tmp_path / "big.txt"
        write_points(big, memory_lines, seed=1)
        peak = peak_memory_kb([*dgm, "flow-density", "--input", str(big), "--format", "csv"]) / 1024
        rows.append((f"batch peak memory, {memory_lines:,} points", f"{peak:.0f} MB", "", f"target < 300 MB{' — FAIL' if peak >= 300 else ' — ok'}"))

    rates = core_throughput(200_000 if args.quick else 2_000_000, repeat)
    ours = rates.pop("dgm core")
    for name, rate in rates.items():
        target = " (target ≥ 2×)" + (" — FAIL" if ours / rate < 2 else " — ok") if name.startswith("scipy") else ""
        rows.append(("core log-density", f"{ours / 1e6:.1f} M points/s", f"{name} {rate / 1e6:.1f} M points/s", f"{ours / rate:.2f}×{target}"))

    print(f"dgm benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} cores, medians of {repeat} runs\n")
    print("| measurement | figure | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
