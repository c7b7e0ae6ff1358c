#!/usr/bin/env python3
"""The CLI under mpirun (issue 26): results that do not depend on the rank count.

  rank_invariance.py --penumbra BIN --mpirun MPIRUN --scratch DIR CASE

CASE:
  coverage   a 5-simulation Gaussian-prior study at K = 1, 2 and (interrupted at
             K = 3, resumed at K = 2): coverage.csv and pixel_coverage.csv byte for
             byte, coverage.json equal but for seconds and ranks, every simulation's
             datasets equal.
  sample     5 batches of the demo under an analytic prior at K = 1, 2, 3 (the
             K = 3 run stopped after one batch per rank, resumed at K = 2): every
             dataset of samples.h5 and of the checkpoints, every FITS image and its
             header (but DATE) and summary.json (but the timings) equal.
  bad-input  as 2 ranks: --threads and --workers oversubscribing the node, two
             different builds, a command that runs as one process only; as 1 rank
             bound to one core: --threads 2. Exit 64 and one "penumbra: error" line,
             from rank 0.
  killed     a rank killed mid-study ends the job (non-zero exit, no hang), and
             `coverage --resume` as one rank finishes it with the numbers of an
             uninterrupted study.
Exit 77 (skipped) when h5py/numpy/astropy are missing. Python 3, h5py, numpy, astropy.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

try:
    import h5py
    import numpy as np
    from astropy.io import fits
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e} (install python3-h5py python3-numpy python3-astropy)")
    sys.exit(77)

A = None  # parsed arguments

COVERAGE = ["coverage", "--size", "8", "--scale", "80mas", "--sky", "gaussian-prior", "--prior", "gaussian:0,1e-3",
            "--sampler", "mala", "--steps", "100", "--likelihood", "exact", "--nsamples", "16", "--batch", "16",
            "--integration", "3600s", "--noise-rms", "0.05", "--bootstrap", "20"]
SAMPLE = ["sample", "--prior", "gaussian:0,1e-4", "--size", "64", "--nsamples", "10", "--batch", "2",
          "--sampler", "mala", "--steps", "30", "--likelihood", "exact"]


def penumbra(ranks, out, args, check=True, extra_mpirun=(), timeout=600, threads=1):
    """Runs penumbra as `ranks` processes (0: without mpirun; seed 5) into scratch/out."""
    cmd = [A.penumbra, "--threads", str(threads), "--seed", "5", "--log-level", "warn", "--out", os.path.join(A.scratch, out)]
    cmd += args
    if ranks > 0:
        cmd = [A.mpirun, "--oversubscribe", "--allow-run-as-root", *extra_mpirun, "-n", str(ranks)] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def same_h5(a, b):
    da, db = datasets(a), datasets(b)
    if sorted(da) != sorted(db) or not all(np.array_equal(da[k], db[k]) for k in da):
        sys.exit(f"FAIL: datasets of {a} and {b} differ")


def same_bytes(a, b):
    if open(a, "rb").read() != open(b, "rb").read():
        sys.exit(f"FAIL: {a} and {b} differ")


def same_json(a, b, ignore):
    ja, jb = (json.load(open(p)) for p in (a, b))
    diff = {k: (ja.get(k), jb.get(k)) for k in set(ja) | set(jb) if k not in ignore and ja.get(k) != jb.get(k)}
    if diff:
        sys.exit(f"FAIL: {a} and {b} differ in {diff}")


def same_fits(a, b):
    with fits.open(a) as x, fits.open(b) as y:
        hx = {k: v for k, v in x[0].header.items() if k != "DATE"}
        hy = {k: v for k, v in y[0].header.items() if k != "DATE"}
        if hx != hy or not np.array_equal(x[0].data, y[0].data):
            sys.exit(f"FAIL: {a} and {b} differ")


def same_coverage(ref, other, n):
    r, o = (os.path.join(A.scratch, d) for d in (ref, other))
    for f in ("coverage.csv", "pixel_coverage.csv"):
        same_bytes(os.path.join(r, f), os.path.join(o, f))
    same_json(os.path.join(r, "coverage.json"), os.path.join(o, "coverage.json"),
              {"seconds", "ranks", "simulated_now", "resumed"})
    for j in range(n):
        same_h5(os.path.join(r, "simulations", f"sim_{j:05}.h5"), os.path.join(o, "simulations", f"sim_{j:05}.h5"))
    print(f"coverage {other}: identical to {ref}")


def case_coverage():
    penumbra(0, "cov1", COVERAGE + ["--n", "5"])
    penumbra(2, "cov2", COVERAGE + ["--n", "5"])
    same_coverage("cov1", "cov2", 5)
    penumbra(3, "cov32", COVERAGE + ["--n", "2"])  # an earlier, smaller study at K = 3 ...
    penumbra(2, "cov32", COVERAGE + ["--n", "5", "--resume"])  # ... extended at K = 2
    same_coverage("cov1", "cov32", 5)
    resumed = json.load(open(os.path.join(A.scratch, "cov32", "coverage.json")))
    assert resumed["resumed"] == 2 and resumed["simulated_now"] == 3 and resumed["ranks"] == 2, resumed


def same_sample(ref, other):
    r, o = (os.path.join(A.scratch, d) for d in (ref, other))
    same_h5(os.path.join(r, "samples.h5"), os.path.join(o, "samples.h5"))
    for b in range(5):
        same_h5(os.path.join(r, "batches", f"batch_{b:05}.h5"), os.path.join(o, "batches", f"batch_{b:05}.h5"))
    for f in ("mean.fits", "std.fits", "q16.fits", "q50.fits", "q84.fits", "dirty.fits", "residual.fits"):
        same_fits(os.path.join(r, f), os.path.join(o, f))
    for f in ("chi2_uv.csv", "sample_state.json"):
        same_bytes(os.path.join(r, f), os.path.join(o, f))
    same_json(os.path.join(r, "summary.json"), os.path.join(o, "summary.json"),
              {"seconds_sampling", "seconds_per_sample", "resumed_after_batches", "solver_iterations_per_batch",
               "timing"})  # wall times and the calls each rank made
    print(f"sample {other}: identical to {ref}")


def case_sample():
    os.environ.setdefault("PENUMBRA_DATA_DIR", os.path.join(A.source, "data"))
    penumbra(0, "s1", SAMPLE)
    penumbra(2, "s2", SAMPLE)
    same_sample("s1", "s2")
    penumbra(3, "s32", SAMPLE + ["--stop-after", "1"])  # 3 of 5 batches, one per rank
    assert not os.path.exists(os.path.join(A.scratch, "s32", "samples.h5"))
    penumbra(2, "s32", SAMPLE + ["--resume"])
    same_sample("s1", "s32")
    assert json.load(open(os.path.join(A.scratch, "s32", "summary.json")))["resumed_after_batches"] == 3


def expect_one_line(p, needle, what):
    lines = [l for l in (p.stdout + p.stderr).splitlines() if l.startswith("penumbra:")]
    if p.returncode != 64 or len(lines) != 1 or needle not in lines[0]:
        sys.exit(f"FAIL: {what}: exit {p.returncode}, penumbra lines {lines}\n{p.stdout}\n{p.stderr}")
    print(f"{what}: exit 64, {lines[0]}")


def case_bad_input():
    strict = ["-x", "PENUMBRA_OVERSUBSCRIBE=0"]  # refuse although the test machine needs --oversubscribe
    p = penumbra(2, "bad", ["version"], check=False, extra_mpirun=strict, threads=100000)
    expect_one_line(p, "--threads 100000 per rank", "--threads oversubscribing the node")
    p = penumbra(2, "bad", COVERAGE + ["--n", "2", "--workers", "100000"], check=False, extra_mpirun=strict)
    expect_one_line(p, "--workers 100000 per rank", "--workers with several ranks")
    p = penumbra(1, "bad", COVERAGE + ["--n", "2"], check=False, extra_mpirun=strict + ["--bind-to", "core"], threads=2)
    expect_one_line(p, "--threads 2 per rank but the launcher bound rank 0 to 1 core(s)", "--threads beyond the bound cores")
    p = penumbra(2, "bad", ["info", os.path.join(A.source, "data", "demo", "observation.txt.gz")], check=False)
    expect_one_line(p, "info runs as one process", "a one-process command under mpirun")
    other = os.path.join(A.scratch, "penumbra-other-build")
    shutil.copy(A.penumbra, other)
    with open(other, "ab") as f:
        f.write(b"\0")  # runs the same, hashes differently: another build
    cmd = [A.mpirun, "--oversubscribe", "--allow-run-as-root", "-n", "1", A.penumbra, "version", ":", "-n", "1",
           other, "version"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    expect_one_line(p, "ranks run different builds", "mismatched builds")


def rank_pids(mpirun_pid):
    """pid of each rank under this mpirun, from the ranks' environments."""
    pids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            env = open(f"/proc/{d}/environ", "rb").read().split(b"\0")
            stat = open(f"/proc/{d}/stat").read().split()
        except OSError:
            continue
        if int(stat[3]) != mpirun_pid:
            continue
        for e in env:
            if e.startswith(b"OMPI_COMM_WORLD_RANK="):
                pids[int(e.split(b"=")[1])] = int(d)
    return pids


def case_killed():
    study = COVERAGE + ["--n", "16"]
    study[study.index("--steps") + 1] = "400"
    penumbra(0, "kref", study)
    out = os.path.join(A.scratch, "killed")
    cmd = [A.mpirun, "--oversubscribe", "--allow-run-as-root", "-n", "2", A.penumbra, "--threads", "1", "--seed", "5",
           "--log-level", "warn", "--out", out] + study
    job = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sims = os.path.join(out, "simulations")
    deadline = time.time() + 120
    while time.time() < deadline and not (os.path.isdir(sims) and any(f.endswith(".h5") for f in os.listdir(sims))):
        if job.poll() is not None:
            sys.exit(f"FAIL: the job ended before its first simulation\n{job.stdout.read()}")
        time.sleep(0.05)
    pids = rank_pids(job.pid)
    try:
        os.kill(pids[1], signal.SIGKILL)
    except (KeyError, ProcessLookupError):
        job.kill()
        sys.exit(f"FAIL: rank 1 of the job not found, or already finished ({pids})")
    try:
        log, _ = job.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        job.kill()
        sys.exit("FAIL: the job did not end within 60 s of a rank being killed")
    if job.returncode == 0:
        sys.exit(f"FAIL: the job exited 0 after a rank was killed\n{log}")
    finished = len([f for f in os.listdir(sims) if f.endswith(".h5")])
    said = [l for l in log.splitlines() if l.startswith("penumbra: error: stopped") or "exited on signal" in l]
    if not said:
        sys.exit(f"FAIL: no line says why the job ended\n{log}")
    print(f"killed rank 1: job ended with exit {job.returncode}, {finished} of 16 simulations on disk; {said[0]}")
    penumbra(0, "killed", study + ["--resume"])
    same_coverage("kref", "killed", 16)


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--penumbra", required=True)
    ap.add_argument("--mpirun", required=True)
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("case", choices=["coverage", "sample", "bad-input", "killed"])
    A = ap.parse_args()
    A.scratch = os.path.join(A.scratch, A.case)
    shutil.rmtree(A.scratch, ignore_errors=True)
    os.makedirs(A.scratch)
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    {"coverage": case_coverage, "sample": case_sample, "bad-input": case_bad_input, "killed": case_killed}[A.case]()


if __name__ == "__main__":
    main()
