#!/usr/bin/env bash
# Evaluate Problem 1's density on a grid of points in one batch call and keep the ten densest.
# Usage: examples/top-densities.sh [STEPS]   (default 21 steps per axis over [-1, 1]³ shifted to x2 = 1)
set -euo pipefail
steps=${1:-21}
python3 - "$steps" <<'PY' | dgm flow-density --input - --format csv | tail -n +2 | sort -t, -k7 -g -r | sed -n 1,10p  # sed reads to the end: no SIGPIPE under pipefail
import sys
n = int(sys.argv[1])
grid = [-1 + 2 * i / (n - 1) for i in range(n)]
for a in grid:
    for c in grid:
        print(f"{a:.4f} 1 {c:.4f}")
PY
