#!/usr/bin/env bash
# The main job on the embedded default (what `make run` does): posterior samples
# of the demo observation in data/demo/ (an AS 209-like disk, ALMA-like
# long-baseline coverage at 240 GHz, made by `penumbra simulate`; see
# data/README.md) under the shipped protoplanetary-disk prior (data/prior/disks.ckpt:
# the prior of the class of sky the demo is). Prints the RMSE of the posterior mean
# against the truth, the mean reduced χ² and the fraction of truth pixels inside the
# 68 % and 95 % credible intervals; every output (FITS, HDF5, PNG, summary.json) is
# in runs/demo/. docs/sampling.md, "When to trust the uncertainty", has what these
# numbers are with each shipped prior.
set -euo pipefail
BUILD_DIR=${1:-build}
OUT=${PENUMBRA_DEMO_OUT:-runs/demo}
rm -rf "$OUT"
"$BUILD_DIR/penumbra" --seed 1 --out "$OUT" sample --prior data/prior/disks.ckpt
echo
echo "Results in $OUT (summary.json, mean.fits, std.fits, panel.png, samples.h5)"
