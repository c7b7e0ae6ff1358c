#!/usr/bin/env python3
"""What a `penumbra coverage` study's miscalibration is made of (docs/validation.md, "Coverage").

Reads RUN/simulations/sim_*.h5 and RUN/coverage.json and prints, in prior units
(Jy/pixel ÷ each simulation's scale_jy_per_pixel):
  * the truths' peaks (min, median, max; fraction outside the prior's training range);
  * per pixel class — background (truth < 1e-6 prior units) and source — the median over
    simulations of the truth's squared distance to the posterior mean and of the
    samples' mean squared distance to it (a calibrated posterior has them equal, up to
    the factor (K+1)/K), and the mean |sample| on the background;
  * the histogram of the truth's TARP rank among the K samples under both
    normalisations (uniform when calibrated).

    /usr/bin/python3 scripts/coverage_breakdown.py runs/cov-pdisk-gpu [--peak-range 0.5,1]
"""
import argparse
import glob
import json
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--peak-range", default="0.5,1", help="the prior's training peak range, prior units")
    ap.add_argument("--background-below", type=float, default=1e-6,
                    help="truth pixels below this (prior units) count as background")
    args = ap.parse_args()
    import h5py

    files = sorted(glob.glob(os.path.join(args.run, "simulations", "sim_*.h5")))
    if not files:
        sys.exit(f"{args.run}: no simulations/sim_*.h5 (not a coverage run folder?)")
    lo, hi = (float(v) for v in args.peak_range.split(","))
    peaks, bg_frac, t_bg, s_bg, t_src, s_src, bg_abs = [], [], [], [], [], [], []
    for fn in files:
        with h5py.File(fn, "r") as f:
            scale = float(f["samples"].attrs["scale_jy_per_pixel"])
            t = f["truth"][:].astype(np.float64) / scale
            s = f["samples"][:].astype(np.float64) / scale
        m = s.mean(0)
        bg = t < args.background_below
        peaks.append(t.max())
        bg_frac.append(bg.mean())
        for mask, tl, sl in ((bg, t_bg, s_bg), (~bg, t_src, s_src)):
            if mask.any():
                tl.append(np.sum((t - m)[mask] ** 2))
                sl.append(np.mean([np.sum((x - m)[mask] ** 2) for x in s]))
        if bg.any():
            bg_abs.append(np.abs(s[:, bg]).mean())
    peaks = np.array(peaks)
    k = s.shape[0]
    print(f"{len(files)} simulations, K = {k}")
    print(f"truth peak (prior units): min {peaks.min():.3g}, median {np.median(peaks):.3g}, max {peaks.max():.3g}; "
          f"outside [{lo:g}, {hi:g}]: {np.mean((peaks < lo * (1 - 1e-9)) | (peaks > hi * (1 + 1e-9))):.2f}")
    print(f"background (truth < {args.background_below:g}): median fraction of pixels {np.median(bg_frac):.2f}")
    for name, tl, sl in (("background", t_bg, s_bg), ("source", t_src, s_src)):
        if tl:
            print(f"{name}: median |truth − mean|² {np.median(tl):.4g}, median mean |sample − mean|² {np.median(sl):.4g}, "
                  f"ratio {np.median(tl) / np.median(sl):.2f}")
    if bg_abs:
        print(f"mean |sample| on the background: {np.median(bg_abs):.3g} prior units (median over simulations)")
    cov = os.path.join(args.run, "coverage.json")
    if os.path.exists(cov):
        j = json.load(open(cov))
        for key in ("tarp_f", "tarp_f_global"):
            if key in j:
                ranks = np.floor(np.asarray(j[key]) * (k + 1)).astype(int)
                print(f"{key} rank histogram 0..{k}: {np.bincount(ranks, minlength=k + 1).tolist()}")


if __name__ == "__main__":
    main()
