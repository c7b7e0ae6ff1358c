#!/usr/bin/env python3
"""Classifier studies and training under mpirun (issue 26): what K ranks promise.

  training_rank_invariance.py --penumbra BIN --mpirun MPIRUN --scratch DIR CASE [--report]

CASE:
  cross-validate  2 folds x 2 ensemble members (4 items) at K = 1, 2 and 3 (3 splits
                  the items unevenly): pooled metrics.json, predictions.csv and every
                  fold's val_probabilities.json byte for byte, cross_validation.csv
                  but for the timing column.
  ensemble        classify train --ensemble 3 at K = 1 and 2 (uneven): metrics.json
                  equal but for the timing, every member's metrics.json likewise.
  prior-training  train-prior, 12 steps of a global batch of 7 (uneven over 2 and 3
                  ranks, empty shards over 8): the same K twice gives the same
                  checkpoint bit for bit; K = 2 and 3 give K = 1's loss history and
                  weights within the documented tolerance (docs/parallel.md).
  classifier-training
                  classify train (one model: data-parallel), 3 epochs of batches of
                  5 at K = 1, 2, 3: the epochs' loss, NLL and KL of train_log.csv
                  within the tolerance, and the same K twice identical; classify
                  eval and predict as 2 ranks refused with one line.
--report prints the largest relative differences (what docs/parallel.md quotes).
Python 3 standard library only.
"""
import argparse
import csv
import json
import os
import shutil
import struct
import subprocess
import sys

A = None  # parsed arguments

# Relative tolerance of a data-parallel run against one process (docs/parallel.md:
# measured differences are below 1e-6 for these short runs; float32 reductions in
# another order differ by ~1e-7 per step and grow slowly through Adam).
TOLERANCE = 1e-5

TINY_CLASSIFIER = ["--backbone", "attention", "--data", "synthetic", "--n-synthetic", "24", "--synthetic-size", "24",
                   "--epochs", "3", "--batch", "5", "--eval-samples", "2"]


def tiny_prior(steps=12, batch=7):
    return ["train-prior", "--generate", "40", "--size", "16", "--width", "8", "--mult", "1,2", "--steps", str(steps),
            "--log-every", "1", "--batch", str(batch), "--warmup", "2", "--lr", "1e-3", "--checkpoint-every", "100"]


def penumbra(ranks, out, args):
    """Runs penumbra as `ranks` processes (0: without mpirun) into scratch/out, one thread each."""
    path = os.path.join(A.scratch, out)
    shutil.rmtree(path, ignore_errors=True)
    cmd = [A.penumbra, "--threads", "1", "--seed", "3", "--log-level", "warn", "--out", path] + args
    if ranks > 0:
        cmd = [A.mpirun, "--oversubscribe", "--allow-run-as-root", "-n", str(ranks)] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return path


def same_bytes(a, b):
    if open(a, "rb").read() != open(b, "rb").read():
        sys.exit(f"FAIL: {a} and {b} differ")


def same_json(a, b, ignore=()):
    ja, jb = (json.load(open(p)) for p in (a, b))
    for j in (ja, jb):
        for k in ignore:
            j.pop(k, None)
    if ja != jb:
        keys = sorted(k for k in set(ja) | set(jb) if ja.get(k) != jb.get(k))
        sys.exit(f"FAIL: {a} and {b} differ in {keys}")


def csv_rows(path, drop=()):
    with open(path) as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]


def relative(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def checkpoint_tensors(path):
    """The named tensors of a prior checkpoint (priors/checkpoint.hpp) as flat lists."""
    data = open(path, "rb").read()
    if data[:8] != b"PNBRPRIO":
        sys.exit(f"FAIL: {path} is not a prior checkpoint")
    at = 12
    (n,) = struct.unpack_from("<Q", data, at)
    at += 8 + n
    (count,) = struct.unpack_from("<I", data, at)
    at += 4
    out = {}
    for _ in range(count):
        (length,) = struct.unpack_from("<I", data, at)
        name = data[at + 4:at + 4 + length].decode()
        at += 4 + length
        dtype, ndim = struct.unpack_from("<BI", data, at)
        at += 5 + 8 * ndim
        (nbytes,) = struct.unpack_from("<Q", data, at)
        at += 8
        fmt = {0: "f", 1: "d", 2: "q"}[dtype]
        out[name] = struct.unpack_from(f"<{nbytes // struct.calcsize(fmt)}{fmt}", data, at)
        at += nbytes
    return out


def check_close(what, a, b, worst):
    """Records the largest relative difference of two number lists; fails beyond TOLERANCE."""
    if len(a) != len(b):
        sys.exit(f"FAIL: {what}: {len(a)} against {len(b)} values")
    d = max((relative(x, y) for x, y in zip(a, b)), default=0.0)
    worst[what] = max(worst.get(what, 0.0), d)
    if d > TOLERANCE:
        sys.exit(f"FAIL: {what}: relative difference {d:.3g} > {TOLERANCE:g}")


def check_close_norm(what, a, b, worst):
    """Records ||a - b|| / ||a|| of two weight vectors (elementwise ratios blow up near zero)."""
    d = sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5 / max(sum(x * x for x in a) ** 0.5, 1e-30)
    worst[what] = max(worst.get(what, 0.0), d)
    if d > TOLERANCE:
        sys.exit(f"FAIL: {what}: relative difference {d:.3g} > {TOLERANCE:g}")


def case_cross_validate():
    args = ["classify", "cross-validate", "--folds", "2", "--ensemble", "2"] + TINY_CLASSIFIER
    one = penumbra(0, "cv-k1", args)
    for k in (2, 3):
        many = penumbra(k, f"cv-k{k}", args)
        for name in ("metrics.json", "predictions.csv", "fold-0/val_probabilities.json",
                     "fold-1/val_probabilities.json"):
            same_bytes(os.path.join(one, name), os.path.join(many, name))
        drop = ("seconds_per_epoch",)
        if csv_rows(os.path.join(one, "cross_validation.csv"), drop) != csv_rows(
                os.path.join(many, "cross_validation.csv"), drop):
            sys.exit(f"FAIL: cross_validation.csv of K = 1 and K = {k} differ")


def case_ensemble():
    args = ["classify", "train", "--ensemble", "3", "--val-fraction", "0.25"] + TINY_CLASSIFIER
    one, two = penumbra(0, "ens-k1", args), penumbra(2, "ens-k2", args)
    same_json(os.path.join(one, "metrics.json"), os.path.join(two, "metrics.json"), ignore=("seconds_per_epoch",))
    for m in range(3):
        same_json(os.path.join(one, f"member-{m}", "metrics.json"), os.path.join(two, f"member-{m}", "metrics.json"))
        same_bytes(os.path.join(one, f"member-{m}", "config.json"), os.path.join(two, f"member-{m}", "config.json"))


def case_prior_training():
    worst = {}
    runs = {k: checkpoint_tensors(os.path.join(penumbra(k, f"prior-k{k}", tiny_prior()), "checkpoint.ckpt"))
            for k in (0, 2, 3)}
    again = checkpoint_tensors(os.path.join(penumbra(2, "prior-k2-again", tiny_prior()), "checkpoint.ckpt"))
    if again != runs[2]:
        sys.exit("FAIL: two K = 2 runs of the same seed differ")
    empty = checkpoint_tensors(os.path.join(penumbra(8, "prior-k8", tiny_prior(steps=3)), "checkpoint.ckpt"))
    if len(empty["history"]) != 9:
        sys.exit("FAIL: K = 8 (empty shards) did not train 3 steps")
    for k in (2, 3):
        check_close(f"K={k} loss history", runs[0]["history"][1::3], runs[k]["history"][1::3], worst)
        raw = sorted(n for n in runs[0] if n.startswith("raw/"))
        check_close_norm(f"K={k} raw weights (L2)", [x for n in raw for x in runs[0][n]],
                         [x for n in raw for x in runs[k][n]], worst)
    return worst


def refuses_several_ranks(args, line):
    """A subcommand that runs whole on every rank: exit 64 and one line from rank 0."""
    cmd = [A.mpirun, "--oversubscribe", "--allow-run-as-root", "-n", "2", A.penumbra, "--threads", "1"] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    errors = [x for x in p.stderr.splitlines() if x.startswith("penumbra: error")]
    if p.returncode == 0 or len(errors) != 1 or line not in errors[0]:
        sys.exit(f"FAIL: {' '.join(cmd)}: exit {p.returncode}, error lines {errors}")


def case_classifier_training():
    worst = {}
    model = os.path.join(A.scratch, "clf-k0")
    for sub in (["eval", "--model", model], ["predict", "--model", model, "nowhere.fits"]):
        refuses_several_ranks(["classify"] + sub, f"classify {sub[0]} runs as one process")
    args = ["classify", "train", "--val-fraction", "0.25"] + TINY_CLASSIFIER
    logs = {k: csv_rows(os.path.join(penumbra(k, f"clf-k{k}", args), "train_log.csv"), ("seconds",))
            for k in (0, 2, 3)}
    again = csv_rows(os.path.join(penumbra(2, "clf-k2-again", args), "train_log.csv"), ("seconds",))
    if again != logs[2]:
        sys.exit("FAIL: two K = 2 runs of the same seed differ")
    for k in (2, 3):
        for col in ("loss", "nll", "kl"):
            check_close(f"K={k} epoch {col}", [float(r[col]) for r in logs[0]], [float(r[col]) for r in logs[k]],
                        worst)
    return worst


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--penumbra", required=True)
    p.add_argument("--mpirun", required=True)
    p.add_argument("--scratch", required=True)
    p.add_argument("--report", action="store_true")
    p.add_argument("case", choices=["cross-validate", "ensemble", "prior-training", "classifier-training"])
    A = p.parse_args()
    os.makedirs(A.scratch, exist_ok=True)
    worst = {"cross-validate": case_cross_validate, "ensemble": case_ensemble, "prior-training": case_prior_training,
             "classifier-training": case_classifier_training}[A.case]()
    if A.report and worst:
        for what, d in worst.items():
            print(f"{what}: largest relative difference {d:.3g}")
    print(f"OK {A.case}")


if __name__ == "__main__":
    main()
