#!/usr/bin/env python3
"""How a cross-validated deep ensemble's accuracy grows with its size
(docs/validation.md, "Ensembles: how many members, and the errors they share").

Reads RUN/fold-*/val_probabilities.json of a `penumbra classify cross-validate --ensemble M`
folder (each holds every member's validation probabilities, members × images × classes)
and prints, pooled over the folds:
  * the accuracy of the ensemble of the first k members, k = 1..M (a fresh run with
    --ensemble k has exactly these members: member seeds do not depend on M);
  * each member's own accuracy;
  * how many members get each of the full ensemble's errors wrong: errors that every
    member shares are the model's bias, which more members cannot average away.

    /usr/bin/python3 scripts/ensemble_members.py runs/cls11/ens10
"""
import glob
import json
import os
import sys

import numpy as np


def main(run):
    probs, labels = [], []
    files = sorted(glob.glob(os.path.join(run, "fold-*", "val_probabilities.json")))
    if not files:
        sys.exit(f"{run}: no fold-*/val_probabilities.json (not a finished cross-validate folder)")
    for f in files:
        d = json.load(open(f))
        n = len(d["labels"])
        probs.append(np.array(d["probabilities"]).reshape(d["samples"], n, d["classes"]))
        labels.append(np.array(d["labels"]))
    if len({p.shape[0] for p in probs}) != 1:
        sys.exit(f"{run}: folds hold different numbers of members")
    P, L = np.concatenate(probs, axis=1), np.concatenate(labels)
    M = P.shape[0]
    print(f"{len(files)} folds, {len(L)} images, {M} members")
    for k in range(1, M + 1):
        wrong = P[:k].mean(0).argmax(1) != L
        print(f"first {k:2d} members: accuracy {1 - wrong.mean():.4f} ({wrong.sum()} errors)")
    print("single members:", " ".join(f"{(P[i].argmax(1) == L).mean():.3f}" for i in range(M)))
    members_wrong = (P.argmax(2) != L).sum(0)
    errors = P.mean(0).argmax(1) != L
    print("the ensemble's errors by how many members get them wrong (0..M):",
          np.bincount(members_wrong[errors], minlength=M + 1).tolist())
    print(f"images wrong in at least 80 % of the members: {(members_wrong >= 0.8 * M).sum()} of {len(L)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ensemble_members.py RUN (a classify cross-validate folder)")
    main(sys.argv[1])
