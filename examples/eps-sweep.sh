#!/usr/bin/env bash
# Sweep ε for Problem 2 at a given k and write a CSV of the KL lower bounds (every c, and c = 1).
# Usage: examples/eps-sweep.sh [K] > sweep.csv
set -euo pipefail
k=${1:-2}
echo "eps,kl_lower_bound,kl_lower_bound_vp"
for eps in 0.02 0.05 0.1 0.2 0.3 0.4; do
  dgm vpnf-bound --k "$k" --eps "$eps" --quiet 2>/dev/null \
    | awk -F'\t' -v eps="$eps" '$1 == "kl_lower_bound" {a = $2} $1 == "kl_lower_bound_vp" {b = $2} END {print eps "," a "," b}'
done
