"""NufftPlan, dirty_image and GaussianLikelihood against direct NumPy sums."""
import subprocess
import threading
import time

import numpy as np
import pytest

import penumbra

from conftest import BINARY_DIR

ARCSEC = np.pi / (180 * 3600)


def direct_degrid(image, u, v, cell_arcsec):
    """V_k = sum_j x_j exp(-2 pi i (u_k l_j + v_k m_j)), l = -(x - N/2) cell, m = (y - N/2) cell."""
    n = image.shape[0]
    cell = cell_arcsec * ARCSEC
    l = -(np.arange(n) - n // 2) * cell
    m = (np.arange(n) - n // 2) * cell
    phase_x = np.exp(-2j * np.pi * np.outer(u, l))  # [k, x]
    phase_y = np.exp(-2j * np.pi * np.outer(v, m))  # [k, y]
    return np.einsum("yx,kx,ky->k", image, phase_x, phase_y)


def direct_grid(vis, u, v, n, cell_arcsec):
    cell = cell_arcsec * ARCSEC
    l = -(np.arange(n) - n // 2) * cell
    m = (np.arange(n) - n // 2) * cell
    phase_x = np.exp(2j * np.pi * np.outer(u, l))
    phase_y = np.exp(2j * np.pi * np.outer(v, m))
    return np.einsum("k,kx,ky->yx", vis, phase_x, phase_y).real


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(4)
    n, cell, nvis = 32, 0.01, 500
    umax = 0.45 / (cell * ARCSEC)
    u, v = rng.uniform(-umax, umax, nvis), rng.uniform(-umax, umax, nvis)
    image = rng.normal(size=(n, n))
    vis = rng.normal(size=nvis) + 1j * rng.normal(size=nvis)
    return n, cell, u, v, image, vis


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_nufft_matches_the_direct_transform(problem):
    n, cell, u, v, image, vis = problem
    plan = penumbra.NufftPlan(u, v, n, cell, epsilon=1e-8)
    out = plan.degrid(image)
    assert out.dtype == np.complex128 and out.shape == (len(u),)
    assert rel(out, direct_degrid(image, u, v, cell)) < 1e-7
    assert rel(plan.grid(vis), direct_grid(vis, u, v, n, cell)) < 1e-7
    # An off-centre point source: the sign convention of the library (East = -x).
    point = np.zeros((n, n))
    point[n // 2 + 3, n // 2 - 5] = 1.0
    assert rel(plan.degrid(point), direct_degrid(point, u, v, cell)) < 1e-7


def test_nufft_float32_and_batches(problem):
    n, cell, u, v, image, vis = problem
    plan = penumbra.NufftPlan(u, v, n, "10mas", epsilon=1e-5, dtype=np.float32)
    assert plan.dtype == np.float32
    batch = np.stack([image, 2 * image]).astype(np.float32)
    out = plan.degrid(batch)
    assert out.dtype == np.complex64 and out.shape == (2, len(u))
    ref = direct_degrid(image, u, v, cell)
    assert rel(out[0], ref) < 1e-4 and rel(out[1], 2 * ref) < 1e-4
    back = plan.grid(out)
    assert back.dtype == np.float32 and back.shape == (2, n, n)


def test_arrays_are_converted_when_safe(problem):
    n, cell, u, v, image, _ = problem
    plan = penumbra.NufftPlan(u, v, n, cell)
    ref = plan.degrid(image)
    assert np.array_equal(plan.degrid(np.asfortranarray(image)), ref)  # memory order
    assert np.array_equal(plan.degrid(image.tolist()), ref)  # nested lists
    ints = np.ones((n, n), dtype=np.int32)
    assert np.allclose(plan.degrid(ints), plan.degrid(np.ones((n, n))))
    assert np.allclose(plan.degrid(image.astype(np.float32)), ref, rtol=1e-6, atol=1e-4)


def test_bad_arrays_name_the_argument_and_the_shape(problem):
    n, cell, u, v, image, vis = problem
    plan = penumbra.NufftPlan(u, v, n, cell)
    with pytest.raises(ValueError, match=r"image must have shape \[32, 32\] or \[batch, 32, 32\], got \[16, 64\]"):
        plan.degrid(np.zeros((16, 64)))
    with pytest.raises(ValueError, match="image must be real"):
        plan.degrid(image + 0j)
    bad = image.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="image must be finite.*index 100"):
        plan.degrid(bad)
    bad_vis = vis.copy()
    bad_vis[7] = complex(0, np.inf)
    with pytest.raises(ValueError, match="vis must be finite.*index 7"):
        plan.grid(bad_vis)
    with pytest.raises(ValueError, match=r"vis must have shape \[500\]"):
        plan.grid(vis[:10])
    with pytest.raises(ValueError, match="image must be real .* got dtype <U6"):
        plan.degrid("pixels")
    with pytest.raises(ValueError, match=r"v must have shape \[nvis\] = \[500\]"):
        penumbra.NufftPlan(u, v[:3], n, cell)
    with pytest.raises(ValueError, match="resolves|fit"):
        penumbra.NufftPlan(u * 4, v, n, cell)  # baselines beyond what the cell resolves
    with pytest.raises(ValueError, match="epsilon"):
        penumbra.NufftPlan(u, v, n, cell, epsilon=1e-7, dtype="float32")
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        penumbra.NufftPlan(u, v, n, cell, dtype=np.int16)


def test_dirty_image_is_the_normalised_adjoint(demo_obs):
    n, cell = 64, 0.01
    dirty, psf, beam = penumbra.dirty_image(demo_obs, n, cell)
    assert dirty.shape == psf.shape == (n, n)
    assert psf[n // 2, n // 2] == pytest.approx(1.0, abs=1e-6)
    w = demo_obs.weight
    plan = penumbra.NufftPlan(demo_obs.u, demo_obs.v, n, cell)
    expected = plan.grid(w * demo_obs.vis) / w.sum()
    assert rel(dirty, expected) < 1e-5
    assert 0.02 < beam["bmin"] <= beam["bmaj"] < 0.06  # arcsec: the demo's ~35 mas beam
    uniform, _, ubeam = penumbra.dirty_image(demo_obs, n, "5mas", weighting="briggs", robust=0.5, taper="30mas")
    assert uniform.shape == (n, n) and ubeam["bmaj"] > 0
    with pytest.raises(ValueError, match="weighting"):
        penumbra.dirty_image(demo_obs, n, cell, weighting="superuniform")


def test_gaussian_likelihood_and_its_gradient(demo_obs):
    n, cell = 64, 0.01
    like = penumbra.GaussianLikelihood(demo_obs, n, cell, epsilon=1e-8)
    plan = penumbra.NufftPlan(demo_obs.u, demo_obs.v, n, cell, epsilon=1e-8)
    x = np.random.default_rng(1).normal(scale=1e-3, size=(n, n))
    r = plan.degrid(x) - demo_obs.vis
    w = demo_obs.weight
    assert like.log_likelihood(x) == pytest.approx(-0.5 * np.sum(w * np.abs(r) ** 2), rel=1e-7)
    assert rel(like.gradient(x), plan.grid(-w * r)) < 1e-6
    batch = np.stack([x, 0 * x])
    ll = like.log_likelihood(batch)
    assert ll.shape == (2,) and ll[0] == pytest.approx(like.log_likelihood(x))
    single = penumbra.GaussianLikelihood(demo_obs, n, cell, epsilon=1e-5, dtype=np.float32)
    assert single.gradient(x).dtype == np.float32


def test_long_calls_release_the_gil(problem):
    n, cell, u, v, image, _ = problem
    rng = np.random.default_rng(0)
    umax = 0.45 / (cell * ARCSEC)
    big_u, big_v = rng.uniform(-umax, umax, 200_000), rng.uniform(-umax, umax, 200_000)
    plan = penumbra.NufftPlan(big_u, big_v, 256, cell, epsilon=1e-6)
    images = rng.normal(size=(4, 256, 256))
    t0 = time.perf_counter()
    plan.degrid(images)
    one_call = time.perf_counter() - t0
    repeats = max(1, int(0.3 / max(one_call, 1e-3)))
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    worker = threading.Thread(target=count)
    worker.start()
    time.sleep(0.05)
    start = counter[0]
    plan.degrid(np.concatenate([images] * repeats))
    during = counter[0] - start
    stop.set()
    worker.join()
    # Without the release the counter could not move while the NUFFT runs.
    assert during > 1000, f"the counting thread advanced {during} times during the call"


def test_dirty_image_is_the_cli_image(tmp_path, demo_dir, demo_obs):
    exe = BINARY_DIR / "penumbra"
    if not exe.exists():
        pytest.skip(f"{exe} is not built")
    subprocess.run([str(exe), "--log-level", "warn", "--out", str(tmp_path), "image",
                    str(demo_dir / "observation.txt.gz"), "--size", "64", "--scale", "8mas", "--weighting", "briggs",
                    "--robust", "1.5"], check=True, capture_output=True)
    cli, info = penumbra.read_fits(str(tmp_path / "dirty.fits"))
    dirty, _, beam = penumbra.dirty_image(demo_obs, 64, "8mas", weighting="briggs", robust=1.5)
    np.testing.assert_allclose(dirty, cli, rtol=0, atol=1e-6 * np.abs(dirty).max())  # FITS stores float32
    assert info["beam"] == pytest.approx(beam, rel=1e-5)


def test_results_written_into_a_callers_array(problem):
    n, cell, u, v, image, vis = problem
    plan = penumbra.NufftPlan(u, v, n, cell)
    out = np.empty(len(u), dtype=np.complex128)
    assert plan.degrid(image, out=out) is not None
    assert np.array_equal(out, plan.degrid(image))
    img = np.empty((n, n))
    plan.grid(vis, out=img)
    assert np.array_equal(img, plan.grid(vis))
    with pytest.raises(ValueError, match=r"out must be a writeable C-contiguous complex128 array of shape \[500\]"):
        plan.degrid(image, out=np.empty(len(u), dtype=np.complex64))
    with pytest.raises(ValueError, match=r"shape \[32, 32\]"):
        plan.grid(vis, out=np.empty((n, n)).T[:, :16])
