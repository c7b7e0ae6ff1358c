#!/usr/bin/env bash
# Regenerates data/demo/: the demo observation that `penumbra simulate` makes
# with its defaults (an AS 209-like disk at 240 GHz, ALMA-like long-baseline
# coverage; docs/simulate.md) and the seed recorded in data/README.md.
#
#   scripts/make_demo_data.sh [BUILD_DIR]      (default: build)
#
# Committed: the Stokes-I uvtable (gzip), the truth image (FITS and PNG) and the
# summary; the MeasurementSet only when it is under 5 MB (it is not: ≈ 8 MB, so
# it is left out and `penumbra simulate --out DIR` remakes it in seconds).
set -euo pipefail
BUILD_DIR=${1:-build}
SEED=${PENUMBRA_DEMO_SEED:-20170924}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/data/demo"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BUILD_DIR/penumbra" --seed "$SEED" --threads 1 simulate --out "$TMP/run"

mkdir -p "$OUT"
cp "$TMP/run/observation.txt.gz" "$TMP/run/truth.fits" "$TMP/run/truth.png" "$TMP/run/summary.json" "$OUT/"
ms_bytes=$(du -sb "$TMP/run/observation.ms" | cut -f1)
if [ "$ms_bytes" -lt 5000000 ]; then
  rm -rf "$OUT/observation.ms"
  cp -r "$TMP/run/observation.ms" "$OUT/"
else
  echo "observation.ms is $ms_bytes bytes (≥ 5 MB): not copied; remake it with penumbra --seed $SEED simulate --out DIR"
fi
# The summary's timing fields differ from run to run; everything else is fixed by the seed.
echo "data/demo written:"
ls -l "$OUT"
