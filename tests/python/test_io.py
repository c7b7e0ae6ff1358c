"""Observation, read_measurement_set (against python-casacore), uvtables and FITS round trips."""
import numpy as np
import pytest

import penumbra

C = 299792458.0


def test_uvtable_observation_arrays_are_read_only_views(demo_obs):
    assert len(demo_obs) == demo_obs.u.size == demo_obs.vis.size == 46020
    assert demo_obs.u.dtype == np.float64 and demo_obs.vis.dtype == np.complex128
    assert demo_obs.u.base is not None  # a view of the library's memory, not a copy
    with pytest.raises(ValueError):
        demo_obs.u[0] = 1.0
    assert np.all(demo_obs.weight > 0)
    assert demo_obs.max_uv == pytest.approx(np.hypot(demo_obs.u, demo_obs.v).max())


def test_observation_from_arrays_round_trips_and_checks(demo_obs):
    o = penumbra.Observation(demo_obs.u, demo_obs.v, demo_obs.vis, demo_obs.weight, freq=240e9, ra_deg=10, dec_deg=-5)
    for name in ("u", "v", "vis", "weight"):
        assert np.array_equal(getattr(o, name), getattr(demo_obs, name))
    assert o.freq.tolist() == [240e9] and o.ra_deg == pytest.approx(10) and o.dec_deg == pytest.approx(-5)
    vis = demo_obs.vis.copy()
    vis[7] = np.nan
    with pytest.raises(penumbra.DataError, match="7"):
        penumbra.Observation(demo_obs.u, demo_obs.v, vis, demo_obs.weight)
    with pytest.raises(ValueError, match=r"weight must have shape \[nvis\] = \[46020\]"):
        penumbra.Observation(demo_obs.u, demo_obs.v, demo_obs.vis, demo_obs.weight[:5])


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.ms"):
        penumbra.read_measurement_set(str(tmp_path / "nothing.ms"))
    with pytest.raises(FileNotFoundError, match="nothing.txt"):
        penumbra.read_uvtable(str(tmp_path / "nothing.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3\n")
    with pytest.raises(penumbra.DataError, match="bad.txt"):
        penumbra.read_uvtable(str(bad))
    notfits = tmp_path / "not.fits"
    notfits.write_bytes(b"SIMPLE  = nonsense")
    with pytest.raises(penumbra.DataError, match="not.fits"):
        penumbra.read_fits(str(notfits))


def test_fits_round_trip(tmp_path):
    image = np.random.default_rng(2).normal(size=(24, 32))
    path = str(tmp_path / "x.fits")
    beam = {"bmaj": 0.05, "bmin": 0.03, "bpa": 30.0}
    penumbra.write_fits(path, image, "8mas", freq=230e9, bunit="Jy/pixel", ra_deg=83.6, dec_deg=22.0, beam=beam,
                        bitpix=-64)
    back, info = penumbra.read_fits(path)
    assert np.array_equal(back, image)
    assert info["cell"] == pytest.approx(0.008) and info["freq"] == 230e9 and info["bunit"] == "Jy/pixel"
    assert info["ra_deg"] == pytest.approx(83.6) and info["dec_deg"] == pytest.approx(22.0)
    assert info["beam"] == pytest.approx(beam)
    penumbra.write_fits(path, image.astype(np.float32), 0.008)
    back32, _ = penumbra.read_fits(path)
    assert np.array_equal(back32, image.astype(np.float32).astype(np.float64))
    with pytest.raises(ValueError, match="bitpix"):
        penumbra.write_fits(path, image, 0.008, bitpix=16)
    with pytest.raises(ValueError, match="cell"):
        penumbra.write_fits(path, image, -1.0)


def casacore_stokes_i(ms, field, spw):
    """Stokes I of one field and spectral window, straight from the tables."""
    tables = pytest.importorskip("casacore.tables")
    t = tables.table(str(ms), ack=False)
    dd = tables.table(str(ms / "DATA_DESCRIPTION"), ack=False)
    ddid = list(dd.getcol("SPECTRAL_WINDOW_ID")).index(spw)
    sel = t.query(f"FIELD_ID=={field} && DATA_DESC_ID=={ddid}")
    freq = tables.table(str(ms / "SPECTRAL_WINDOW"), ack=False).getcell("CHAN_FREQ", spw)
    data, flag = sel.getcol("DATA"), sel.getcol("FLAG") | sel.getcol("FLAG_ROW")[:, None, None]
    w = np.broadcast_to(sel.getcol("WEIGHT")[:, None, :], data.shape)
    uvw = sel.getcol("UVW")
    keep = ~flag[..., 0] & ~flag[..., 3] & (w[..., 0] > 0) & (w[..., 3] > 0)
    u = (uvw[:, 0:1] * freq[None, :] / C)[keep]
    v = (uvw[:, 1:2] * freq[None, :] / C)[keep]
    vis = np.conj(0.5 * (data[..., 0] + data[..., 3]))[keep]
    weight = (4.0 / (1.0 / w[..., 0] + 1.0 / w[..., 3]))[keep]
    return sel.nrows(), freq, u, v, vis, weight


def test_read_measurement_set_matches_casacore(shared_ms):
    obs = penumbra.read_measurement_set(str(shared_ms))  # field 1, spw 1: the first with unflagged rows
    nrow, freq, u, v, vis, weight = casacore_stokes_i(shared_ms, 1, 1)
    assert obs.nrow == nrow and obs.nchan == freq.size
    assert np.array_equal(obs.freq, freq)
    assert len(obs) == vis.size
    np.testing.assert_allclose(obs.u, u, rtol=1e-12)
    np.testing.assert_allclose(obs.v, v, rtol=1e-12)
    np.testing.assert_allclose(obs.vis, vis, rtol=1e-6)
    np.testing.assert_allclose(obs.weight, weight, rtol=1e-6)
    assert obs.field == "J1423-7829" and obs.telescope == "ALMA" and obs.correlations == ["XX", "XY", "YX", "YY"]
    one = penumbra.read_measurement_set(str(shared_ms), column="DATA", field=1, spw=2)
    assert one.nchan == 1
    with pytest.raises(penumbra.DataError):
        penumbra.read_measurement_set(str(shared_ms), column="CORRECTED_DATA")
    with pytest.raises(penumbra.DataError, match="flagged"):
        penumbra.read_measurement_set(str(shared_ms), field=0, spw=1)  # entirely flagged


def test_png_figure(tmp_path):
    path = tmp_path / "x.png"
    penumbra.write_png(str(path), np.random.default_rng(0).normal(size=(20, 30)), title="noise", unit="Jy/beam")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="cmap|colour|color"):
        penumbra.write_png(str(path), np.zeros((4, 4)), cmap="rainbow")
