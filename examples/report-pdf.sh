#!/usr/bin/env bash
# The worked solution of the whole assignment as LaTeX, compiled to PDF where pdflatex exists.
# Usage: examples/report-pdf.sh [OUTDIR]
set -euo pipefail
out=${1:-.}
dgm report --format latex --output "$out/solution.tex" 2>/dev/null
if command -v pdflatex >/dev/null; then
  (cd "$out" && pdflatex -interaction=nonstopmode -halt-on-error solution.tex >/dev/null)
  echo "wrote $out/solution.pdf"
else
  echo "wrote $out/solution.tex (pdflatex not found: skipped the PDF)"
fi
