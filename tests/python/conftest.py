"""Shared fixtures of the Python module's tests: the module from the build tree,
the demo observation, and the repository's paths."""
import os
import pathlib
import sys

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("PENUMBRA_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BINARY_DIR = pathlib.Path(os.environ.get("PENUMBRA_BINARY_DIR", SOURCE_DIR / "build"))
if str(BINARY_DIR / "python") not in sys.path:
    sys.path.insert(0, str(BINARY_DIR / "python"))

penumbra = pytest.importorskip("penumbra", reason="the module is not built (PENUMBRA_PYTHON, pybind11-dev)")
penumbra.set_threads(1)


@pytest.fixture(scope="session")
def demo_dir():
    return SOURCE_DIR / "data" / "demo"


@pytest.fixture(scope="session")
def demo_obs(demo_dir):
    return penumbra.read_uvtable(str(demo_dir / "observation.txt.gz"))


@pytest.fixture(scope="session")
def shared_ms(tmp_path_factory):
    """The casacore test MS of ../shared/data, unpacked (skipped when absent)."""
    tgz = SOURCE_DIR.parent / "shared" / "data" / "ms" / "mssel_test_small.ms.tgz"
    if not tgz.exists():
        pytest.skip(f"{tgz} is absent (the shared data of the project)")
    import subprocess

    out = tmp_path_factory.mktemp("ms")
    subprocess.run(["tar", "xzf", str(tgz), "-C", str(out)], check=True)  # as the C++ tests unpack it
    return out / "mssel_test_small.ms"
