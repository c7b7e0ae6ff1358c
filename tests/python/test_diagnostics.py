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
