#!/usr/bin/env python3
"""Overhead of the Python binding on NufftPlan.degrid/grid against the C++ call.

    PYTHONPATH=build/python python3 bench/bench_python_nufft.py [--npix 512] [--nvis 1000000]
        [--epsilon 1e-6] [--threads 1] [--repeat 10] [--cpp build/bench/bench_nufft]

The problem is bench_nufft's: M uniformly random uv points over the grid's whole uv range
(cell 1e-7 rad), a Gaussian random image, float64. Both sides report the best of --repeat
calls; with --cpp the C++ benchmark runs on the same settings in between and the overhead
is (Python - C++) / C++ of those bests. The Python call includes the argument checks (dtype,
shape, finite values), the output array's allocation (none with --out) and the GIL release.
"""
import argparse
import json
import math
import subprocess
import time

import numpy as np

import penumbra


def best_of(repeat, f):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def python_times(a):
    cell_arcsec = 1e-7 / (math.pi / 180 / 3600)
    umax = 0.5 / 1e-7
    rng = np.random.default_rng(1)
    u, v = rng.uniform(-umax, umax, a.nvis), rng.uniform(-umax, umax, a.nvis)
    image = rng.normal(size=(a.npix, a.npix))
    vis = rng.normal(size=a.nvis) + 1j * rng.normal(size=a.nvis)
    plan = penumbra.NufftPlan(u, v, a.npix, cell_arcsec, epsilon=a.epsilon, threads=a.threads)
    out_vis, out_image = plan.degrid(image), plan.grid(vis)  # warm-up: first touch of the work buffers
    if a.batch:  # one call for `batch` images: the C++ loop with one call's binding work, per image
        images, out_batch = np.stack([image] * a.batch), np.empty((a.batch, a.nvis), dtype=np.complex128)
        per_image = best_of(a.repeat, lambda: plan.degrid(images, out=out_batch)) / a.batch
        single = best_of(a.repeat, lambda: plan.degrid(image, out=out_vis))
        print(f"degrid: {1e3 * single:.2f} ms per call, {1e3 * per_image:.2f} ms per image in a batch of "
              f"{a.batch}: {100 * (single - per_image) / per_image:+.2f} % per call")
    if a.out:  # results written into the caller's arrays: no allocation per call
        return (best_of(a.repeat, lambda: plan.degrid(image, out=out_vis)),
                best_of(a.repeat, lambda: plan.grid(vis, out=out_image)))
    return best_of(a.repeat, lambda: plan.degrid(image)), best_of(a.repeat, lambda: plan.grid(vis))


def cpp_times(a):
    cmd = [a.cpp, "--npix", str(a.npix), "--nvis", str(a.nvis), "--epsilon", str(a.epsilon), "--threads",
           str(a.threads), "--repeat", str(a.repeat)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["degrid_s"], r["grid_s"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--npix", type=int, default=512)
    p.add_argument("--nvis", type=int, default=1_000_000)
    p.add_argument("--epsilon", type=float, default=1e-6)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3, help="alternating Python/C++ rounds (with --cpp)")
    p.add_argument("--cpp", help="the bench_nufft executable, to compare with")
    p.add_argument("--batch", type=int, default=0, help="also time one call for this many images")
    p.add_argument("--out", action="store_true", help="pass out= arrays (as the C++ benchmark reuses its buffers)")
    a = p.parse_args()
    penumbra.set_threads(a.threads)
    py = [python_times(a) for _ in range(a.rounds if a.cpp else 1)]
    cpp = [cpp_times(a) for _ in range(a.rounds)] if a.cpp else []
    pd, pg = min(t[0] for t in py), min(t[1] for t in py)
    print(f"python: degrid {1e3 * pd:.2f} ms ({a.nvis / pd / 1e6:.1f} M vis/s), "
          f"grid {1e3 * pg:.2f} ms ({a.nvis / pg / 1e6:.1f} M vis/s)")
    if cpp:
        cd, cg = min(t[0] for t in cpp), min(t[1] for t in cpp)
        print(f"c++:    degrid {1e3 * cd:.2f} ms, grid {1e3 * cg:.2f} ms")
        print(f"overhead: degrid {100 * (pd - cd) / cd:+.1f} %, grid {100 * (pg - cg) / cg:+.1f} %")


if __name__ == "__main__":
    main()
