#!/usr/bin/env bash
# Installs the Debian packages Penumbra needs (only the missing ones), then
# configures and builds into build/. Safe to run again: it does nothing twice.
#   scripts/setup.sh            everything (the CLI, the tests, the benchmarks)
#   scripts/setup.sh TARGET...  only those targets and what they need (make run: penumbra)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev libopenblas0-openmp
  # wsclean (the independent imager of the cross-check tests) refuses OpenMP
  # OpenBLAS; the tests run it against the pthread build via LD_LIBRARY_PATH.
  libopenblas0-pthread
  libfftw3-dev libeigen3-dev libboost-math-dev libhdf5-dev
  casacore-dev casacore-data
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libcfitsio-dev libpng-dev libjpeg62-turbo-dev libbz2-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # multi-process runs (src/parallel, docs/parallel.md) and their mpirun tests
  openmpi-bin libopenmpi-dev
  # cross-checks in the tests: an independent imager and Python readers
  wsclean python3-casacore python3-astropy python3-h5py python3-numpy
  # the Python module (python/) and its tests
  pybind11-dev python3-dev python3-pytest
  # penumbra tags: lemmas and word relations (the C library and its database)
  wordnet-dev wordnet-base
  # scripts/train_prior_torch.py (the GPU trainer) is checked against penumbra on the CPU
  python3-torch
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch keeps the OpenMP OpenBLAS (3× faster training than reference BLAS);
# installing the pthread build would otherwise make it the system default.
if [ -d /usr/lib/x86_64-linux-gnu/openblas-openmp ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    target=/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib
    current=$(update-alternatives --query "$lib-x86_64-linux-gnu" 2>/dev/null | sed -n 's/^Value: //p')
    [ "$current" = "$target" ] || $SUDO update-alternatives --set "$lib-x86_64-linux-gnu" "$target" >/dev/null
  done
fi

BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}"
