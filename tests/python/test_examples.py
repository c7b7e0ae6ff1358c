"""examples/python run end to end (small settings) and print what they promise."""
import os
import subprocess
import sys

import pytest

from conftest import BINARY_DIR, SOURCE_DIR

EXAMPLES = SOURCE_DIR / "examples" / "python"


def run(name, *args, cwd):
    env = dict(os.environ, PYTHONPATH=str(BINARY_DIR / "python"), OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_image_ms(tmp_path):
    out = run("image_ms.py", "--npix", "64", "--cell", "10mas", "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert "peak" in out and (tmp_path / "d.fits").exists() and (tmp_path / "d_psf.fits").exists()
    assert (tmp_path / "d.png").exists()  # matplotlib's figure, or the library's


def test_posterior_demo_with_tarp(tmp_path):
    out = run("posterior_demo.py", "--steps", "20", "--nsamples", "2", "--sims", "3", cwd=tmp_path)
    assert "RMSE of the mean" in out and "TARP over 3 simulations" in out


def test_custom_likelihood(tmp_path):
    out = run("custom_likelihood.py", "--nvis", "200", "--steps", "20", "--nsamples", "2", cwd=tmp_path)
    assert "NumPy likelihood: 20 calls from C++" in out
