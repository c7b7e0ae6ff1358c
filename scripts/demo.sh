#!/usr/bin/env bash
# The main job on the embedded default (what `make run` does): the most complete
# pipeline that exists in this version.
set -euo pipefail
BUILD_DIR=${1:-build}
"$BUILD_DIR/penumbra" --version
