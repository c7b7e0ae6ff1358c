"""tarp, credible_interval_coverage, calibration, Classifier."""
import numpy as np
import pytest

import penumbra


def test_tarp_of_a_calibrated_posterior():
    rng = np.random.default_rng(3)
    n_sims, n_samples, dim = 200, 50, 4
    mu = rng.normal(size=(n_sims, 1, dim))
    samples = mu + rng.normal(size=(n_sims, n_samples, dim))
    truths = mu[:, 0, :] + rng.normal(size=(n_sims, dim))  # drawn like the samples: calibrated
    r = penumbra.tarp(samples.reshape(n_sims, n_samples, 2, 2), truths.reshape(n_sims, 2, 2), seed=1)
    assert r["alpha"].shape == r["ecp"].shape == (101,)
    assert r["f"].shape == (n_sims,)
    assert r["max_abs_ecp_minus_alpha"] < 2 * r["calibrated_q95"]
    overconfident = mu + 0.2 * rng.normal(size=(n_sims, n_samples, dim))
    bad = penumbra.tarp(overconfident, truths, seed=1)
    assert bad["max_abs_ecp_minus_alpha"] > r["max_abs_ecp_minus_alpha"] and bad["p_value"] < 0.01
    cov = penumbra.credible_interval_coverage(samples, truths, level=0.68)
    assert cov == pytest.approx(0.68, abs=0.05)
    with pytest.raises(ValueError, match=r"truths must have shape \[200, 4\]"):
        penumbra.tarp(samples, truths[:, :3])


def test_calibration_report():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    labels = np.array([0, 1, 1, 1])
    r = penumbra.calibration(probs, labels, bins=5)
    assert r["accuracy"] == pytest.approx(0.75)
    assert r["nll"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.7])))
    k = penumbra.calibration(np.stack([probs, probs[:, ::-1]]), labels)
    assert k["accuracy"] == pytest.approx(0.75) or k["accuracy"] >= 0
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        penumbra.calibration(probs, np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match=r"labels must be integers of shape \[n\] = \[4\]"):
        penumbra.calibration(probs, np.array([0, 1]))


def test_classifier_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nomodel"):
        penumbra.Classifier.load(str(tmp_path / "nomodel"))


def write_grey_png(path, pixels):
    import struct
    import zlib

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) +
                     chunk(b"IEND", b""))


def test_classifier_predicts_as_the_cli(tmp_path):
    import json
    import os
    import subprocess

    from conftest import BINARY_DIR

    exe = BINARY_DIR / "penumbra"
    if not exe.exists():
        pytest.skip(f"{exe} is not built")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    common = [str(exe), "--threads", "1", "--log-level", "warn"]
    subprocess.run(common + ["--seed", "3", "--out", str(tmp_path / "model"), "classify", "train", "--backbone",
                             "attention", "--data", "synthetic", "--n-synthetic", "12", "--synthetic-size", "24",
                             "--val-fraction", "0.34", "--epochs", "1", "--batch", "4", "--eval-samples", "2"],
                   check=True, capture_output=True, env=env)
    px = np.zeros((24, 24), dtype=np.uint8)
    for x in range(4, 20):
        px[9:15, x] = 255 - 10 * abs(x - 12)
    write_grey_png(tmp_path / "src.png", px)
    subprocess.run(common + ["--seed", "5", "--out", str(tmp_path / "p"), "classify", "predict", "--samples", "3",
                             "--model", str(tmp_path / "model"), str(tmp_path / "src.png")],
                   check=True, capture_output=True, env=env)
    cli = json.loads((tmp_path / "p" / "predictions.json").read_text())[0]["probabilities"]

    model = penumbra.Classifier.load(str(tmp_path / "model"))
    assert model.class_names == ["FRI", "FRII"] and model.image_size == 24 and model.bayesian
    probs = model.predict(px[None].astype(np.float32) / 255, samples=3, seed=5)  # PNG grey / 255, as the CLI reads
    assert probs.shape == (3, 1, 2)
    assert probs[:, 0, 0].mean() == pytest.approx(cli["FRI"]["mean"], rel=1e-6)
    assert probs[:, 0, 1].std(ddof=1) == pytest.approx(cli["FRII"]["std"], rel=1e-4)
    with pytest.raises(ValueError, match=r"images must have shape \[n, 24, 24\]"):
        model.predict(np.zeros((1, 32, 32)))
