"""Every script in examples/ runs, so none goes stale (steps needing an absent tool skip themselves)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    completed = subprocess.run(
        ["bash", str(EXAMPLES / name), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def test_every_example_is_tested():
    tested = {"top-densities.sh", "eps-sweep.sh", "logits-pipeline.sh", "report-pdf.sh"}
    assert {p.name for p in EXAMPLES.glob("*.sh")} == tested


def test_top_densities_keeps_the_ten_densest_in_order(tmp_path):
    rows = list(csv.reader(io.StringIO(run_example("top-densities.sh", "7", cwd=tmp_path))))
    assert len(rows) == 10
    densities = [float(r[7]) for r in rows]
    assert densities == sorted(densities, reverse=True)
    assert all(float(r[1]) == 1.0 for r in rows)


def test_eps_sweep_writes_a_csv_with_one_row_per_eps(tmp_path):
    table = list(csv.DictReader(io.StringIO(run_example("eps-sweep.sh", "2", cwd=tmp_path))))
    assert [row["eps"] for row in table] == ["0.02", "0.05", "0.1", "0.2", "0.3", "0.4"]
    assert float(table[2]["kl_lower_bound_vp"]) == pytest.approx(2 * 0.1**2)  # c = 1, A empty: KL ≥ 2ε²
    assert all(float(row["kl_lower_bound"]) >= 0 for row in table)


def test_logits_pipeline_prints_both_mean_gradients(tmp_path):
    lines = dict(line.split("\t") for line in run_example("logits-pipeline.sh", cwd=tmp_path).splitlines())
    assert set(lines) == {"mean_grad_saturating", "mean_grad_nonsaturating"}
    assert float(lines["mean_grad_saturating"]) + float(lines["mean_grad_nonsaturating"]) == pytest.approx(-1)


def test_report_pdf_writes_the_latex_and_compiles_it_where_pdflatex_exists(tmp_path):
    run_example("report-pdf.sh", str(tmp_path), cwd=tmp_path)
    assert (tmp_path / "solution.tex").read_text(encoding="ascii").startswith(r"\documentclass")
    if shutil.which("pdflatex"):
        assert (tmp_path / "solution.pdf").stat().st_size > 10_000
