#!/usr/bin/env bash
# Sweep ε for Problem 2 at a given k and write a CSV of the bounds (every c, and c = 1), in one process.
# Usage: examples/eps-sweep.sh [K] > sweep.csv
set -euo pipefail
k=${1:-2}
dgm vpnf-bound --k "$k" --eps 0.02 0.05 0.1 0.2 0.3 0.4 --format csv 2>/dev/null
