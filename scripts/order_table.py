#!/usr/bin/env python3
"""Rows of the equivariance order table (docs/validation.md, "Group-equivariant
self-attention") from `classify cross-validate` study folders.

usage: scripts/order_table.py STUDY [STUDY ...]

Per study folder: accuracy, ECE and NLL as mean ± standard error over the folds
(cross_validation.csv) and pooled over every out-of-fold image (metrics.json);
per fold the first epoch whose training accuracy as seen (train_log.csv,
train_accuracy_as_seen) reaches 0.90, "never" when none does, and the epoch
seconds as median (least): on a shared machine the least is nearest an idle core.
A fold without metrics.json is listed as unfinished.
"""
import csv
import json
import math
import os
import sys


def mean_se(values):
    if not values:
        return "–"
    m = sum(values) / len(values)
    if len(values) < 2:
        return f"{m:.3f}"
    se = math.sqrt(sum((x - m) ** 2 for x in values) / (len(values) - 1) / len(values))
    return f"{m:.3f} ± {se:.3f}"


def fold_row(fold_dir):
    rows = list(csv.DictReader(open(os.path.join(fold_dir, "train_log.csv"))))
    metrics = json.load(open(os.path.join(fold_dir, "metrics.json")))
    first = next((r["epoch"] for r in rows if float(r["train_accuracy_as_seen"]) >= 0.9), "never")
    secs = sorted(float(r["seconds"]) for r in rows)
    return metrics, first, float(rows[-1]["train_accuracy_as_seen"]), secs[len(secs) // 2], secs[0]


def study_row(study):
    folds = sorted(f for f in os.listdir(study) if f.startswith("fold-"))
    done = [f for f in folds if os.path.exists(os.path.join(study, f, "metrics.json"))]
    rows = [fold_row(os.path.join(study, f)) for f in done]
    line = [os.path.basename(os.path.normpath(study)), f"folds {len(done)}/{len(folds)}"]
    for key in ("accuracy", "ece", "nll"):
        line.append(f"{key} {mean_se([r[0][key] for r in rows])}")
    pooled_path = os.path.join(study, "metrics.json")
    if os.path.exists(pooled_path):
        p = json.load(open(pooled_path))
        line.append(f"pooled accuracy {p['accuracy']:.3f} ± {p['accuracy_standard_error']:.3f} "
                    f"ECE {p['ece']:.3f} NLL {p['nll']:.3f}")
    line.append("train acc >= 0.9 first: " + " ".join(str(r[1]) for r in rows))
    line.append(f"train acc last epoch {mean_se([r[2] for r in rows])}")
    line.append("s/epoch " + " ".join(f"{r[3]:.1f} ({r[4]:.1f})" for r in rows))
    return " | ".join(line)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for study in sys.argv[1:]:
        print(study_row(study))


if __name__ == "__main__":
    main()
