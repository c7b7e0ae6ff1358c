"""Penumbra from Python: the C++ library's instrument, priors, samplers and diagnostics on NumPy arrays.

Every function wraps the library (penumbra._penumbra); nothing is implemented twice.
Units: u, v in wavelengths; visibilities in Jy (V = sum I exp(-2 pi i (u l + v m)));
images row-major [y][x] in Jy/pixel (posterior samples) or Jy/beam (dirty images),
pixel x = 0 at the East edge, phase centre at pixel (npix/2, npix/2); pixel sizes
(cell) and tapers in arcsec or as strings with a unit ('8mas'); beams in arcsec and
degrees; frequencies in Hz.

Errors: bad arguments raise ValueError, malformed data penumbra.DataError, missing
files FileNotFoundError, each with the library's one-line message.
"""
from ._penumbra import (  # noqa: F401
    __version__,
    Classifier,
    DataError,
    DiffusionPrior,
    GaussianLikelihood,
    NufftPlan,
    Observation,
    Prior,
    calibration,
    credible_interval_coverage,
    dirty_image,
    read_fits,
    read_measurement_set,
    read_uvtable,
    sample,
    sample_posterior,
    set_log_level,
    set_threads,
    tarp,
    threads,
    write_fits,
    write_png,
)


class Likelihood:
    """Base of a likelihood written in Python, for penumbra.sample().

    Penumbra's sampler calls these from C++ (holding the GIL only for the call):
      score(x, sigma) -> grad_x log p_sigma(y | x), an array of x's shape
      energy(x)       -> -log p(y | x) up to a constant, shape [B] (only samplers with an
                         accept step, mala and hmc, call it)
    x is [B, H, W] float64 in Jy/pixel (one image per chain); sigma is [B] float64,
    the noise level of each chain in Jy/pixel (0: the exact likelihood). A
    noise-level-aware likelihood adds sigma^2 to its data variance.
    """

    def score(self, x, sigma):
        raise NotImplementedError

    def energy(self, x):
        raise NotImplementedError(f"{type(self).__name__}.energy(x): this sampler needs -log p(y | x)")


def GaussianPrior(mean, std):
    """i.i.d. Gaussian pixels N(mean, std^2) in Jy/pixel (same as Prior.gaussian)."""
    return Prior.gaussian(mean, std)


def LaplacePrior(loc, scale):
    """i.i.d. Laplace pixels in Jy/pixel (same as Prior.laplace)."""
    return Prior.laplace(loc, scale)


__all__ = [
    "Classifier", "DataError", "DiffusionPrior", "GaussianLikelihood", "GaussianPrior", "LaplacePrior",
    "Likelihood", "NufftPlan", "Observation", "Prior", "calibration", "credible_interval_coverage",
    "dirty_image", "read_fits", "read_measurement_set", "read_uvtable", "sample", "sample_posterior",
    "set_log_level", "set_threads", "tarp", "threads", "write_fits", "write_png",
]
