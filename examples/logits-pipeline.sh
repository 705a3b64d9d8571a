#!/usr/bin/env bash
# Problem 4 in a pipeline: logits on stdin, the mean gradients of both generator losses out.
set -euo pipefail
printf '%s\n' -1 -5 -10 -20 -50 | dgm gan-vanishing --logits - --quiet 2>/dev/null | grep '^mean_grad'
