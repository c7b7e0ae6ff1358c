"""Priors, sample_posterior (the CLI's samples for the same seed), and a likelihood written in Python."""
import os
import subprocess

import numpy as np
import pytest

import penumbra

from conftest import BINARY_DIR, SOURCE_DIR


def test_analytic_prior_scores():
    p = penumbra.Prior.gaussian(0.0, 2.0)
    assert p.scale == 2.0 and p.name == "gaussian"  # sampled in units of STD
    x = np.random.default_rng(0).normal(size=(3, 8, 8))
    s = p.score(x, np.array([0.0, 0.5, 1.0]))
    expected = -x / (1.0 + np.array([0.0, 0.25, 1.0]))[:, None, None]
    np.testing.assert_allclose(s, expected, rtol=1e-12)
    assert p.score(x[0], 0.5).shape == (8, 8)
    assert p.log_prob(x).shape == (3,)
    assert penumbra.Prior("laplace:0,0.01").scale == 0.01
    assert penumbra.Prior.spectrum(1e-4, 3.0, 16).height == 16
    with pytest.raises(ValueError, match="unknown prior 'cauchy'"):
        penumbra.Prior("cauchy:1,2")
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        p.score(x, -1.0)


def test_diffusion_prior_loads_scores_and_samples():
    prior = penumbra.DiffusionPrior.load(str(SOURCE_DIR / "data" / "prior" / "default.ckpt"))
    assert prior.height == prior.width == 64
    x = np.zeros((2, 64, 64), dtype=np.float32)
    s = prior.score(x, np.array([1.0, 0.5]))
    assert s.shape == (2, 64, 64) and np.all(np.isfinite(s))
    draws = prior.sample(2, steps=5, seed=1)
    assert draws.shape == (2, 64, 64) and draws.dtype == np.float32
    assert np.array_equal(draws, prior.sample(2, steps=5, seed=1))
    with pytest.raises(ValueError, match=r"x must have shape \[64, 64\]"):
        prior.score(np.zeros((32, 32)), 1.0)
    with pytest.raises(FileNotFoundError, match="missing.ckpt"):
        penumbra.DiffusionPrior.load("missing.ckpt")


def run_cli(args, out):
    exe = BINARY_DIR / "penumbra"
    if not exe.exists():
        pytest.skip(f"{exe} is not built")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [str(exe), "--threads", "1", "--log-level", "warn", "--seed", "3", "--out", str(out)] + args
    subprocess.run(cmd, check=True, env=env, capture_output=True, cwd=SOURCE_DIR)


def test_same_seed_gives_the_cli_samples(tmp_path, demo_dir, demo_obs):
    h5py = pytest.importorskip("h5py")
    ckpt = str(SOURCE_DIR / "data" / "prior" / "default.ckpt")
    args = ["--steps", "12", "--nsamples", "3", "--batch", "2", "--scale", "0.01"]
    run_cli(["sample", str(demo_dir / "observation.txt.gz"), "--prior", ckpt] + args, tmp_path / "run")
    with h5py.File(tmp_path / "run" / "samples.h5") as f:
        cli = f["samples"][:]
    calls = []
    samples, summary = penumbra.sample_posterior(demo_obs, penumbra.DiffusionPrior.load(ckpt), cell=0.01, steps=12,
                                                 nsamples=3, batch=2, seed=3,
                                                 progress=lambda done, n: calls.append((done, n)))
    assert samples.shape == (3, 64, 64) and samples.dtype == np.float64
    assert np.array_equal(samples.astype(cli.dtype), cli)  # the CLI stores float32
    assert calls == [(2, 3), (3, 3)]
    assert summary["reduced_chi2"].shape == (3,) and summary["scale"] > 0
    assert "pc" in summary["describe"]


def test_prior_samples_are_the_clis(tmp_path):
    h5py = pytest.importorskip("h5py")
    ckpt = str(SOURCE_DIR / "data" / "prior" / "default.ckpt")
    run_cli(["prior-sample", "--prior", ckpt, "--n", "3", "--batch", "2", "--steps", "6"], tmp_path / "run")
    with h5py.File(tmp_path / "run" / "samples.h5") as f:
        cli = f["samples"][:]
    ours = penumbra.DiffusionPrior.load(ckpt).sample(3, steps=6, seed=3, batch=2)
    assert np.array_equal(ours, cli)


def test_an_exception_in_the_progress_callback_stops_the_run(demo_obs):
    class Stop(Exception):
        pass

    def stop(done, n):
        raise Stop(f"{done} of {n}")

    with pytest.raises(Stop, match="1 of 3"):
        penumbra.sample_posterior(demo_obs, "gaussian:0,0.001", 16, 0.01, steps=3, nsamples=3, batch=1, progress=stop)


def test_sample_posterior_checks_its_settings(demo_obs):
    with pytest.raises(ValueError, match="steps must be >= 1, got 0"):
        penumbra.sample_posterior(demo_obs, "gaussian:0,0.001", 16, 0.01, steps=0)
    with pytest.raises(ValueError, match="unknown setting 'stepz'"):
        penumbra.sample_posterior(demo_obs, "gaussian:0,0.001", 16, 0.01, stepz=3)
    with pytest.raises(ValueError, match="sampler must be"):
        penumbra.sample_posterior(demo_obs, "gaussian:0,0.001", 16, 0.01, sampler="gibbs")
    with pytest.raises(ValueError, match="npix is required"):
        penumbra.sample_posterior(demo_obs, "gaussian:0,0.001", cell=0.01)
    with pytest.raises(ValueError, match="resolves|fit"):
        penumbra.sample_posterior(demo_obs, "gaussian:0,0.001", 16, 0.05)


class PixelNoise(penumbra.Likelihood):
    """y = x + n, n ~ N(0, s^2) per pixel: p_sigma(y | x) = N(y; x, (s^2 + sigma^2) I)."""

    def __init__(self, y, s):
        self.y, self.s, self.calls = y, s, 0

    def score(self, x, sigma):
        self.calls += 1
        return (self.y - x) / (self.s**2 + sigma[:, None, None] ** 2)

    def energy(self, x):
        return 0.5 * np.sum((x - self.y) ** 2, axis=(1, 2)) / self.s**2


def test_python_likelihood_drives_the_sampler():
    # Prior N(0, 1), data y = x + N(0, 0.5^2): posterior N(y/(1 + 0.25), 0.2) per pixel.
    y = np.random.default_rng(5).normal(size=(8, 8))
    like = PixelNoise(y, 0.5)
    samples, summary = penumbra.sample(penumbra.Prior.gaussian(0.0, 1.0), like, npix=8, nsamples=64, batch=64,
                                       steps=200, seed=2, sampler="pc")
    assert samples.shape == (64, 8, 8) and like.calls > 50
    assert "python:PixelNoise" in summary["describe"]
    mean_error = samples.mean(axis=0) - y / 1.25
    assert np.abs(mean_error).mean() < 0.1
    assert np.sqrt(samples.var(axis=0).mean()) == pytest.approx(np.sqrt(0.2), rel=0.15)


def test_mcmc_samplers_use_the_python_energy():
    y = np.random.default_rng(6).normal(size=(4, 4))
    samples, summary = penumbra.sample(penumbra.Prior.gaussian(0.0, 1.0), PixelNoise(y, 0.5), npix=4, nsamples=4,
                                       batch=4, steps=30, seed=1, sampler="mala")
    assert samples.shape == (4, 4, 4) and np.all(np.isfinite(samples))

    class ScoreOnly(penumbra.Likelihood):
        def score(self, x, sigma):
            return -x

    with pytest.raises(NotImplementedError, match="ScoreOnly.energy"):
        penumbra.sample(penumbra.Prior.gaussian(0.0, 1.0), ScoreOnly(), npix=4, nsamples=1, batch=1, steps=5,
                        sampler="mala")


def test_errors_in_a_python_likelihood_reach_the_caller():
    class Broken(penumbra.Likelihood):
        def score(self, x, sigma):
            raise ZeroDivisionError("inside the likelihood")

    with pytest.raises(ZeroDivisionError, match="inside the likelihood"):
        penumbra.sample(penumbra.Prior.gaussian(0.0, 1.0), Broken(), npix=4, nsamples=1, batch=1, steps=5)

    class WrongShape(penumbra.Likelihood):
        def score(self, x, sigma):
            return x[:, :2, :2]

    with pytest.raises(ValueError, match=r"likelihood.score\(x, sigma\) must have shape \[1, 4, 4\]"):
        penumbra.sample(penumbra.Prior.gaussian(0.0, 1.0), WrongShape(), npix=4, nsamples=1, batch=1, steps=5)
