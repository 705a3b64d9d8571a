"""Batch mode: many points in, one record per point out, streamed in bounded memory."""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from conftest import strict_json
from dgm_cli import batch
from dgm_cli.solvers.flow import solve as flow_density

POINTS = "0 1 0.333\n# a comment\n\n0,1,1/3\n-1 2 -0.5   # trailing comment\n0 1 0\n"


def test_jsonl_rows_match_the_single_point_derivation(run):
    result = run(["flow-density", "--input", "-", "--format", "jsonl"], input=POINTS)
    assert result.exit_code == 0, result.stderr
    rows = [strict_json(line) for line in result.stdout.splitlines()]
    assert [row["x"] for row in rows] == [[0, 1, 0.333], [0, 1, 1 / 3], [-1, 2, -0.5], [0, 1, 0]]
    for row, point in zip(rows[:3], [(0, 1, "333/1000"), (0, 1, "1/3"), (-1, 2, "-1/2")]):
        exact = flow_density([Fraction(c) for c in point]).result  # the exact (SymPy/mpmath) route
        assert row["log_density"] == pytest.approx(exact["log_density"], rel=1e-13)
        assert row["density"] == pytest.approx(exact["density"], rel=1e-13)
        assert row["z"] == pytest.approx(exact["z"], rel=1e-13, abs=1e-15)
    assert rows[3]["log_density"] == "-Infinity" and rows[3]["density"] == 0


def test_csv_has_a_header_and_one_row_per_point(run):
    result = run(["flow-density", "--input", "-", "--format", "csv"], input=POINTS)
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == ["x1", "x2", "x3", "z1", "z2", "z3", "log_density", "density"]
    assert len(table) == 4
    assert float(table[3]["log_density"]) == -math.inf
    assert float(table[1]["density"]) == pytest.approx(0.0128281441594734, rel=1e-14)


def test_json_array_is_strict(run):
    result = run(["flow-density", "--input", "-", "--json"], input=POINTS)
    assert len(strict_json(result.stdout)) == 4


def test_a_bad_line_stops_with_its_number_after_writing_earlier_rows(run):
    result = run(["flow-density", "--input", "-", "-f", "jsonl"], input="0 1 1\n0 1 2\n0 abc 1\n0 1 3\n")
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 2  # the rows before the bad line stay written
    assert result.stderr.strip() == "dgm flow-density: error: --input: line 3: 'abc' is not a number (expected forms like 2, -0.5, 1e-3, 1/3)"


@pytest.mark.parametrize("bad", ["nan 1 1", "0 inf 1", "1 2", "1 2 3 4", "1e999 0 0", "0x10 0 0"])
def test_skip_bad_skips_and_reports(run, bad):
    result = run(["flow-density", "--input", "-", "-f", "jsonl", "--skip-bad"], input=f"0 1 1\n{bad}\n0 1 2\n")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
    assert "line 2" in result.stderr


def test_error_line_numbers_and_rows_survive_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_LINES", 4)
    blocks = [[f"0 1 {i + 1}"] for i in range(10)] + [["bad", "0 1 1"]]  # blocks of lines, as line_blocks reads
    out = io.StringIO()
    seen = []

    def evaluate(points):
        seen.append(len(points))
        return {"x": points}

    with pytest.raises(Exception) as caught:
        batch.run_batch(blocks, 3, evaluate, out, "csv", skip_bad=False)
    assert "line 11" in str(caught.value)
    assert len(out.getvalue().splitlines()) == 1 + 10  # header and all ten good rows
    assert max(seen) <= 4


def test_batch_streams_rather_than_reading_everything_first(monkeypatch):
    """The first records are written while most of the input has not yet been read."""
    monkeypatch.setattr(batch, "CHUNK_LINES", 1000)
    consumed = {"lines": 0}
    written_at = []

    def blocks():
        for i in range(20_000):
            consumed["lines"] += 1
            yield [f"{i} 0 1"]

    class Spy(io.StringIO):
        def write(self, text):
            written_at.append(consumed["lines"])
            return super().write(text)

    batch.run_batch(blocks(), 3, lambda p: {"x": p}, Spy(), "jsonl", skip_bad=False)
    assert written_at[0] <= 1000
    assert len(written_at) >= 20


def test_ten_million_lines_in_bounded_memory():
    """Ten million points through the installed CLI, streamed: every row out, peak memory under 300 MB."""
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(\"yes '0.25 1.5 0.75' | head -n 10000000 | \" + sys.executable + "
        "\" -m dgm_cli flow-density --input - -f csv | wc -l\", shell=True, capture_output=True, text=True)\n"
        "print(p.stdout.strip(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=500)
    lines, peak_kb = map(int, completed.stdout.split())
    assert lines == 10_000_001
    assert peak_kb < 300 * 1024


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "plain"])
def test_every_value_round_trips_bit_for_bit(run, tmp_path, fmt):
    """The batch writer's decimals read back to the very float64s computed (polars' shortest round-trip form)."""
    from dgm_cli.solvers.flow import assignment_flow, density_records

    rng = np.random.default_rng(7)
    points = np.column_stack([rng.normal(scale=3, size=2000), rng.lognormal(size=2000), rng.uniform(0.01, 3, 2000)])
    path = tmp_path / "points.txt"
    np.savetxt(path, points, fmt="%.17g")
    expected = density_records(assignment_flow(), points)
    result = run(["flow-density", "--input", str(path), "--format", fmt])
    assert result.exit_code == 0, result.stderr
    if fmt in ("jsonl", "json"):
        rows = [strict_json(line) for line in result.stdout.splitlines()] if fmt == "jsonl" else strict_json(result.stdout)
        got = {key: np.array([row[key] for row in rows], dtype=np.float64) for key in expected}
    else:
        table = np.loadtxt(io.StringIO(result.stdout), delimiter="," if fmt == "csv" else "\t", skiprows=1, ndmin=2)
        got = {"x": table[:, 0:3], "z": table[:, 3:6], "log_density": table[:, 6], "density": table[:, 7]}
    for key, values in expected.items():
        bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.int64)  # the writer prints -0.0 as 0.0
        assert np.array_equal(bits, (got[key] + 0.0).view(np.int64)), key


def test_gan_vanishing_batch_matches_scipy_and_mpmath(run):
    """Per-logit records against scipy.special.expit and a 50-digit mpmath log(1 − σ(h))."""
    import mpmath
    from scipy.special import expit

    logits = [-1000, -40, -1, 0, 3, 800]
    result = run(["gan-vanishing", "--input", "-", "-f", "jsonl"], input="\n".join(map(str, logits)) + "\n")
    assert result.exit_code == 0, result.stderr
    rows = [strict_json(line) for line in result.stdout.splitlines()]
    assert [row["logit"] for row in rows] == logits
    mpmath.mp.dps = 50
    for h, row in zip(logits, rows):
        assert row["sigmoid"] == pytest.approx(expit(h), rel=1e-15, abs=1e-300)
        assert row["grad_saturating"] == pytest.approx(-expit(h), rel=1e-15, abs=1e-300)
        assert row["grad_nonsaturating"] == pytest.approx(-expit(-h), rel=1e-15, abs=1e-300)
        exact = float(-mpmath.log1p(mpmath.exp(h)))
        assert row["log_one_minus_d"] == pytest.approx(exact, rel=1e-14, abs=1e-300)


def test_gan_optimal_batch_matches_the_scipy_ratio(run):
    """D* at many points against p/(p + q) from scipy.stats densities; undefined D* is flagged, never NaN."""
    from scipy import stats

    xs = [-3, 0, 0.5, 1.5, 4]
    result = run(["gan-optimal", "--data", "normal(0,1)", "--gen", "laplace(2,0.5)", "--input", "-", "-f", "jsonl"],
                 input="\n".join(map(str, xs)) + "\n")
    assert result.exit_code == 0, result.stderr
    rows = [strict_json(line) for line in result.stdout.splitlines()]
    for x, row in zip(xs, rows):
        p, q = stats.norm(0, 1).pdf(x), stats.laplace(2, 0.5).pdf(x)
        assert row["d_star"] == pytest.approx(p / (p + q), rel=1e-12)
        assert row["defined"] == 1
    outside = run(["gan-optimal", "--data", "uniform(0,1)", "--gen", "uniform(0,2)", "--input", "-", "-f", "jsonl"], input="3\n")
    row = strict_json(outside.stdout)
    assert row["defined"] == 0 and row["log_p_data"] == "-Infinity"
