#!/usr/bin/env python3
"""Image a MeasurementSet (or uvtable) from Python: dirty image, PSF and beam, written as FITS,
and plotted with matplotlib when it is installed (else as PNG figures by the library).

    PYTHONPATH=build/python python3 examples/python/image_ms.py [INPUT] [--npix 256] [--cell 0.01]
        [--weighting natural|uniform|briggs] [--robust 0] [--out dirty]

INPUT: a MeasurementSet folder or a uvtable file (default: the demo observation, data/demo).
"""
import argparse
import os
import pathlib

import numpy as np

import penumbra

ROOT = pathlib.Path(__file__).resolve().parents[2]


def read(path):
    if os.path.isdir(path):
        return penumbra.read_measurement_set(path)  # column=, field=, spw= select like the CLI
    return penumbra.read_uvtable(path)


def plot(path, dirty, psf, cell, beam, title):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the library's own figure writer instead
        for img, suffix, unit in ((dirty, "", "Jy/beam"), (psf, "_psf", "")):
            out = path.replace(".png", f"{suffix}.png")
            penumbra.write_png(out, img, title=f"{title}{suffix or ' dirty'}", unit=unit)
            print(f"wrote {out} (matplotlib is not installed: Debian python3-matplotlib)")
        return
    n = dirty.shape[0]
    # Pixel x = 0 is the East edge: RA offsets decrease to the right, as on the sky.
    half = n / 2 * cell
    extent = [half, -half, -half, half]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, img, name in ((axes[0], dirty, "dirty image [Jy/beam]"), (axes[1], psf, "PSF")):
        im = ax.imshow(img, origin="lower", extent=extent, cmap="inferno")
        ax.set_xlabel("RA offset [arcsec]")
        ax.set_ylabel("Dec offset [arcsec]")
        ax.set_title(name)
        fig.colorbar(im, ax=ax)
    fig.suptitle(f"{title}: beam {1e3 * beam['bmaj']:.1f} x {1e3 * beam['bmin']:.1f} mas, PA {beam['bpa']:.0f} deg")
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input", nargs="?", default=str(ROOT / "data" / "demo" / "observation.txt.gz"))
    p.add_argument("--npix", type=int, default=256)
    p.add_argument("--cell", default="0.005", help="pixel size: arcsec, or with a unit ('5mas')")
    p.add_argument("--weighting", default="natural")
    p.add_argument("--robust", type=float, default=0.0)
    p.add_argument("--out", default="dirty", help="output prefix")
    a = p.parse_args()

    obs = read(a.input)
    print(obs)
    dirty, psf, beam = penumbra.dirty_image(obs, a.npix, a.cell, weighting=a.weighting, robust=a.robust)
    peak = np.unravel_index(np.argmax(dirty), dirty.shape)
    print(f"peak {dirty.max():.4g} Jy/beam at pixel (x={peak[1]}, y={peak[0]}), rms {dirty.std():.3g} Jy/beam")
    penumbra.write_fits(f"{a.out}.fits", dirty, a.cell, freq=obs.mean_freq, ra_deg=obs.ra_deg,
                        dec_deg=obs.dec_deg, beam=beam)
    penumbra.write_fits(f"{a.out}_psf.fits", psf, a.cell, freq=obs.mean_freq, ra_deg=obs.ra_deg,
                        dec_deg=obs.dec_deg, bunit="")
    print(f"wrote {a.out}.fits and {a.out}_psf.fits")
    _, info = penumbra.read_fits(f"{a.out}.fits")
    plot(f"{a.out}.png", dirty, psf, info["cell"], beam, os.path.basename(a.input))


if __name__ == "__main__":
    main()
