#!/usr/bin/env python3
"""A likelihood written in NumPy driving Penumbra's sampler under the shipped diffusion prior.

    PYTHONPATH=build/python python3 examples/python/custom_likelihood.py [--nvis 1500] [--steps 200]
        [--nsamples 8] [--seed 0]

The measurement operator here is a direct Fourier transform in NumPy on a subset of the demo's
visibilities (any operator a user has in NumPy works the same way): A_kj = exp(-2 pi i (u_k l_j
+ v_k m_j)). Its noise-level-aware score approximates p_sigma(y | x) = N(y; A x, S + sigma^2 A A^H)
by a diagonal covariance. Visibilities in one uv cell of the image's grid (1/(npix cell) wide, a
sample and its Hermitian conjugate counted together) are almost fully correlated under sigma^2 A A^H,
whose block for that cell has the eigenvalue sigma^2 npix^2 n_k (n_k samples in the cell); taking it
for every sample of the cell keeps the score's step size stable at every noise level:

    score(x, sigma) = Re A^H [(y - A x) / (1/w + sigma^2 npix^2 n)]

Penumbra calls score() from C++ at every sampler step (x [B, H, W] in Jy/pixel, one image per
chain), and the posterior mean is compared with the truth and with Penumbra's own likelihood
(sample_posterior) on the same visibilities.
"""
import argparse
import pathlib
import time

import numpy as np

import penumbra

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARCSEC = np.pi / (180 * 3600)


class DirectFourierLikelihood(penumbra.Likelihood):
    def __init__(self, u, v, vis, weight, npix, cell_arcsec):
        cell = cell_arcsec * ARCSEC
        l = -(np.arange(npix) - npix // 2) * cell  # pixel x = 0 is the East edge
        m = (np.arange(npix) - npix // 2) * cell
        # A [nvis, npix*npix] for images flattened row-major [y][x].
        self.A = np.exp(-2j * np.pi * (np.outer(v, m)[:, :, None] + np.outer(u, l)[:, None, :])).reshape(len(u), -1)
        self.y, self.w, self.npix, self.calls = vis, weight, npix, 0
        # Samples per uv cell, with (u, v) and (-u, -v) in the same cell.
        flip = np.where(v < 0, -1.0, 1.0)
        du = 1.0 / (npix * cell)
        cells = np.stack([np.floor(flip * u / du), np.floor(flip * v / du)], axis=1)
        _, inverse, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
        self.n = counts[inverse.ravel()].astype(np.float64)

    def score(self, x, sigma):
        self.calls += 1
        b = x.shape[0]
        r = self.y[None, :] - x.reshape(b, -1) @ self.A.T  # [B, nvis]
        r /= 1.0 / self.w[None, :] + (sigma[:, None] * self.npix) ** 2 * self.n[None, :]
        return (r @ self.A.conj()).real.reshape(x.shape)

    def energy(self, x):
        r = self.y[None, :] - x.reshape(x.shape[0], -1) @ self.A.T
        return 0.5 * np.sum(self.w * np.abs(r) ** 2, axis=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nvis", type=int, default=1500)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--nsamples", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    demo = ROOT / "data" / "demo"
    full = penumbra.read_uvtable(str(demo / "observation.txt.gz"))
    truth, info = penumbra.read_fits(str(demo / "truth.fits"))
    pick = np.random.default_rng(a.seed).choice(len(full), size=min(a.nvis, len(full)), replace=False)
    obs = penumbra.Observation(full.u[pick], full.v[pick], full.vis[pick], full.weight[pick])
    prior = penumbra.DiffusionPrior.load()
    npix, cell = prior.height, info["cell"]

    # Penumbra's own run on the same visibilities gives the prior's flux scale (the dirty-image estimate).
    ref, summary = penumbra.sample_posterior(obs, prior, npix, cell, steps=a.steps, nsamples=a.nsamples,
                                             batch=a.nsamples, seed=a.seed)
    like = DirectFourierLikelihood(obs.u, obs.v, obs.vis, obs.weight, npix, cell)
    t0 = time.perf_counter()
    samples, _ = penumbra.sample(prior, like, npix, nsamples=a.nsamples, batch=a.nsamples, steps=a.steps,
                                 seed=a.seed, flux_scale=summary["scale"], final_step="mean")
    seconds = time.perf_counter() - t0

    def rmse(x):
        return np.sqrt(np.mean((x - truth) ** 2))

    print(f"{len(obs)} visibilities, {npix}x{npix} pixels of {1e3 * cell:.0f} mas, {a.nsamples} samples, "
          f"{a.steps} steps; truth peak {truth.max():.3g} Jy/pixel")
    print(f"NumPy likelihood: {like.calls} calls from C++ in {seconds:.1f} s; "
          f"RMSE of the posterior mean {rmse(samples.mean(axis=0)):.3g} Jy/pixel")
    print(f"Penumbra's likelihood ({summary['likelihood']}): RMSE {rmse(ref.mean(axis=0)):.3g} Jy/pixel, "
          f"reduced chi2 {summary['reduced_chi2_mean']:.3f}")


if __name__ == "__main__":
    main()
