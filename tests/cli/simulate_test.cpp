// End-to-end tests of `penumbra simulate` through the built CLI: tiny
// configurations (a few antennas, a few integrations) that run in about a second,
// the demo defaults, reproducibility, the noise model, bad input, and (when WSClean
// can start) the MS sign convention checked by an independent imager.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "src/core/observation.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/uvtable.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/wsclean.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

// Four 12 m antennas within 300 m at ALMA: |uv| ≤ 240 kλ at 240 GHz.
std::filesystem::path tiny_layout(const std::filesystem::path& dir) {
  auto p = dir / "tiny.cfg";
  std::ofstream f(p);
  f << "# observatory=ALMA\n# coordsys=LOC (local tangent plane)\n"
       "0 0 0 12 T0\n120 35 0.5 12 T1\n-60 180 1 12 T2\n210 -140 -0.5 12 T3\n";
  return p;
}

// Options of a tiny run: 4 antennas, 4 integrations of 6 min over ±0.25 h, a 32²
// truth image of 0.2″ cells, the AS 209-like disk scaled to 2.2″ (or `disk` options).
std::string tiny_args(const std::filesystem::path& dir, const std::string& track = "--ha-start -0.25h --ha-end 0.25h --integration 360s",
                      const std::string& disk = "--disk-radius 2.2asec") {
  return "simulate --layout " + tiny_layout(dir).string() + " " + track + " --size 32 --scale 0.2asec " + disk;
}

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Direct Fourier transform of an ImageGrid image at (u, v) in λ, internal sign convention.
std::complex<double> dft(const FitsImage& img, double u, double v) {
  std::complex<double> s = 0;
  for (int y = 0; y < img.grid.ny; ++y)
    for (int x = 0; x < img.grid.nx; ++x) {
      double p = img.pixels[static_cast<std::size_t>(y) * img.grid.nx + x];
      if (p == 0) continue;
      double ph = -2 * kPi * (u * img.grid.l(x) + v * img.grid.m(y));
      s += p * std::complex<double>(std::cos(ph), std::sin(ph));
    }
  return s;
}

TEST(Simulate, TinyObservationWritesEverythingAndTheMsReadsBack) {
  auto dir = scratch_dir("simulate_tiny");
  std::string out;
  int rc = run_command(penumbra_bin() + " --seed 3 " + tiny_args(dir) + " --out " + (dir / "run").string(), &out);
  ASSERT_EQ(rc, 0) << out;
  for (const char* f : {"observation.ms", "observation.txt.gz", "truth.fits", "truth.png", "summary.json", "run.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
  auto s = read_json(dir / "run" / "summary.json");
  EXPECT_EQ(s["antennas"], 4);
  EXPECT_EQ(s["baselines"], 6);
  EXPECT_EQ(s["integrations"], 4);  // 0.5 h of hour angle = 1795 s of UTC = 4 × 360 s
  EXPECT_EQ(s["rows"], 24);
  EXPECT_EQ(s["visibilities"], 24);
  EXPECT_EQ(s["seed"], 3);
  EXPECT_LE(s["uv_max_klambda"].get<double>(), s["image"]["max_uv_resolved_klambda"].get<double>());
  EXPECT_GT(s["uv_min_klambda"].get<double>(), 0.0);
  EXPECT_EQ(s["noise"]["source"], "radiometer");

  Observation obs = read_measurement_set(dir / "run" / "observation.ms");
  EXPECT_EQ(obs.nrow, 24u);
  EXPECT_EQ(obs.nchan, 1u);
  ASSERT_EQ(obs.ncorr, 2u);
  EXPECT_EQ(obs.corr, (std::vector<int>{int(Corr::XX), int(Corr::YY)}));
  EXPECT_NEAR(obs.freq[0], 240e9, 1);
  EXPECT_EQ(obs.antenna_xyz.size(), 12u);
  ASSERT_EQ(obs.antenna1.size(), 24u);
  EXPECT_EQ(obs.antenna1[0], 0);
  EXPECT_EQ(obs.antenna2[0], 1);
  EXPECT_EQ(obs.antenna1[5], 2);
  EXPECT_EQ(obs.antenna2[5], 3);
  EXPECT_NEAR(obs.interval, 360.0, 1e-9);
  EXPECT_NEAR(obs.time[6] - obs.time[0], 360.0, 1e-6);
  // AS 209's direction.
  EXPECT_NEAR(obs.ra / kDeg, 252.31375, 1e-4);
  EXPECT_NEAR(obs.dec / kDeg, -14.369056, 1e-5);
  // UVW = antenna2 − antenna1: |uvw| equals the physical baseline length (a rotation).
  for (std::size_t r = 0; r < obs.nrow; ++r) {
    const double* a = &obs.antenna_xyz[3 * obs.antenna1[r]];
    const double* b = &obs.antenna_xyz[3 * obs.antenna2[r]];
    EXPECT_NEAR(std::hypot(obs.uvw[3 * r], obs.uvw[3 * r + 1], obs.uvw[3 * r + 2]),
                std::hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]), 1e-6);
  }
  // Stokes-I weight = 1 / (rms of one Stokes-I visibility)².
  double sigma_i = s["noise"]["rms_stokes_i_jy"];
  VisibilitySet vis = obs.stokes_i();
  EXPECT_EQ(vis.size(), 24u);
  EXPECT_NEAR(vis.weight[0] * sigma_i * sigma_i, 1.0, 1e-5);
  EXPECT_NEAR(obs.weight[0] * std::pow(s["noise"]["rms_per_correlation_jy"].get<double>(), 2), 1.0, 1e-5);

  // The uvtable holds the same Stokes-I visibilities.
  Observation tab = read_uvtable(dir / "run" / "observation.txt.gz");
  VisibilitySet tv = tab.stokes_i();
  ASSERT_EQ(tv.size(), vis.size());
  for (std::size_t k = 0; k < tv.size(); ++k) {
    EXPECT_NEAR(tv.u[k], vis.u[k], 1e-6 * std::abs(vis.u[k]) + 1e-9);
    EXPECT_NEAR(std::abs(tv.vis[k] - vis.vis[k]), 0.0, 1e-6);
  }

  FitsImage truth = read_fits_image(dir / "run" / "truth.fits");
  EXPECT_EQ(truth.grid.nx, 32);
  EXPECT_NEAR(truth.grid.cell, 0.2 * kArcsec, 1e-15);
  double sum = 0;
  for (double p : truth.pixels) sum += p;
  EXPECT_NEAR(sum, 0.3, 1e-9);
}

TEST(Simulate, NoiseFreeModelEqualsTheDftOfTheTruthImage) {
  auto dir = scratch_dir("simulate_dft");
  std::string out;
  int rc = run_command(penumbra_bin() + " " + tiny_args(dir) +
                           " --nchan 3 --chan-width 2GHz --disk-inclination 50deg --disk-pa 30deg --noise-rms 0 --out " +
                           (dir / "run").string(),
                       &out);
  ASSERT_EQ(rc, 0) << out;
  Observation obs = read_measurement_set(dir / "run" / "observation.ms");
  FitsImage truth = read_fits_image(dir / "run" / "truth.fits");
  ASSERT_EQ(obs.nchan, 3u);
  EXPECT_NEAR(obs.freq[2] - obs.freq[0], 4e9, 1);
  double num = 0, den = 0;
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      auto ref = dft(truth, obs.u_lambda(r, ch), obs.v_lambda(r, ch));
      for (std::size_t c = 0; c < obs.ncorr; ++c) {
        auto got = std::complex<double>(obs.vis[obs.index(r, ch, c)]);
        num += std::norm(got - ref);
        den += std::norm(ref);
      }
    }
  // Stored as complex<float>: agreement to single precision.
  EXPECT_LT(std::sqrt(num / den), 1e-6);
  // Noise-free: unit weights, stated in the summary.
  EXPECT_EQ(obs.weight[0], 1.0f);
  EXPECT_EQ(read_json(dir / "run" / "summary.json")["noise"]["rms_stokes_i_jy"], 0.0);
}

TEST(Simulate, NufftModelVisibilitiesMatchTheDft) {
  // The NUFFT path (ε = 1e-8) that `auto` takes above 4·10⁹ visibility × pixel products,
  // forced here on a small problem; a FITS sky of point sources, several channels.
  auto dir = scratch_dir("simulate_nufft");
  FitsImage sky;
  sky.grid.nx = sky.grid.ny = 64;
  sky.grid.cell = 0.2 * kArcsec;
  sky.grid.ra = 1.0;
  sky.grid.dec = -0.5;
  sky.bunit = "Jy/pixel";
  sky.pixels.assign(64 * 64, 0.0);
  sky.pixels[32 * 64 + 32] = 1.0;
  sky.pixels[10 * 64 + 50] = 0.5;
  sky.pixels[60 * 64 + 3] = -0.25;
  sky.pixels[25 * 64 + 24] = 0.125;
  write_fits_image(dir / "points.fits", sky);
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " simulate --layout " + tiny_layout(dir).string() + " --sky " +
                            (dir / "points.fits").string() +
                            " --ha-start -4h --ha-end 4h --integration 300s --nchan 4 --chan-width 2GHz"
                            " --noise-rms 0 --no-ms --uvtable vis.txt --model-method nufft --out " +
                            (dir / "run").string(),
                        &out),
            0)
      << out;
  auto s = read_json(dir / "run" / "summary.json");
  EXPECT_EQ(s["model_visibilities"]["method"], "nufft(1e-8)");
  EXPECT_NEAR(s["ra_deg"].get<double>(), 1.0 / kDeg, 1e-9);  // the FITS sky's direction
  VisibilitySet vis = read_uvtable(dir / "run" / "vis.txt").stokes_i();
  ASSERT_GT(vis.size(), 1000u);
  FitsImage truth = read_fits_image(dir / "run" / "truth.fits");
  double num = 0, den = 0;
  for (std::size_t k = 0; k < vis.size(); ++k) {
    auto ref = dft(truth, vis.u[k], vis.v[k]);
    num += std::norm(vis.vis[k] - ref);
    den += std::norm(ref);
  }
  EXPECT_LT(std::sqrt(num / den), 1e-6);  // ε = 1e-8, then complex64 storage
  EXPECT_EQ(run_command(penumbra_bin() + " simulate --model-method fft --out " + (dir / "bad").string()), 64);
}

TEST(Simulate, NoiseHasTheStatedRms) {
  auto dir = scratch_dir("simulate_noise");
  std::string args = tiny_args(dir, "--ha-start -3h --ha-end 3h --integration 30s") + " --nchan 8";
  ASSERT_EQ(run_command(penumbra_bin() + " " + args + " --noise-rms 0 --no-ms --uvtable clean.txt --out " +
                        (dir / "a").string()),
            0);
  ASSERT_EQ(run_command(penumbra_bin() + " " + args + " --noise-rms 20mJy --no-ms --uvtable noisy.txt --out " +
                        (dir / "b").string()),
            0);
  EXPECT_FALSE(std::filesystem::exists(dir / "b" / "observation.ms"));
  VisibilitySet clean = read_uvtable(dir / "a" / "clean.txt").stokes_i();
  VisibilitySet noisy = read_uvtable(dir / "b" / "noisy.txt").stokes_i();
  ASSERT_EQ(clean.size(), noisy.size());
  ASSERT_GT(clean.size(), 10000u);
  double re = 0, im = 0;
  for (std::size_t k = 0; k < clean.size(); ++k) {
    re += std::pow(noisy.vis[k].real() - clean.vis[k].real(), 2);
    im += std::pow(noisy.vis[k].imag() - clean.vis[k].imag(), 2);
  }
  EXPECT_NEAR(std::sqrt(re / clean.size()), 0.02, 0.02 * 0.03);
  EXPECT_NEAR(std::sqrt(im / clean.size()), 0.02, 0.02 * 0.03);
  EXPECT_NEAR(noisy.weight[0], 1.0 / (0.02 * 0.02), 1e-6 / (0.02 * 0.02));
}

TEST(Simulate, SameSeedSameOutput) {
  auto dir = scratch_dir("simulate_seed");
  // A random disk draws its own radius: --disk-radius with it is a usage error.
  EXPECT_EQ(run_command(penumbra_bin() + " " + tiny_args(dir) + " --disk-preset random --out " +
                        (dir / "bad").string()),
            64);
  auto go2 = [&](const std::string& seed, const std::string& name) {
    return run_command(penumbra_bin() + " --seed " + seed + " " +
                       tiny_args(dir, "--ha-start -0.25h --ha-end 0.25h --integration 360s", "--disk-preset random") +
                       " --out " + (dir / name).string());
  };
  ASSERT_EQ(go2("5", "a"), 0);
  ASSERT_EQ(go2("5", "b"), 0);
  ASSERT_EQ(go2("6", "c"), 0);
  EXPECT_EQ(slurp(dir / "a" / "observation.txt.gz"), slurp(dir / "b" / "observation.txt.gz"));
  EXPECT_EQ(read_fits_image(dir / "a" / "truth.fits").pixels, read_fits_image(dir / "b" / "truth.fits").pixels);
  EXPECT_NE(slurp(dir / "a" / "observation.txt.gz"), slurp(dir / "c" / "observation.txt.gz"));
  EXPECT_NE(read_fits_image(dir / "a" / "truth.fits").pixels, read_fits_image(dir / "c" / "truth.fits").pixels);
  auto ma = read_measurement_set(dir / "a" / "observation.ms");
  auto mb = read_measurement_set(dir / "b" / "observation.ms");
  EXPECT_EQ(ma.vis, mb.vis);
  EXPECT_EQ(ma.uvw, mb.uvw);
}

TEST(Simulate, DefaultsAreTheDemo) {
  auto dir = scratch_dir("simulate_demo");
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " simulate --no-ms --out " + (dir / "run").string(), &out), 0) << out;
  auto s = read_json(dir / "run" / "summary.json");
  EXPECT_EQ(s["layout"], "alma-long");
  EXPECT_EQ(s["antennas"], 40);
  EXPECT_EQ(s["baselines"], 780);
  EXPECT_NEAR(s["max_baseline_m"].get<double>(), 12600.0, 1.0);
  EXPECT_NEAR(s["frequency_hz"][0].get<double>(), 240e9, 1);
  EXPECT_EQ(s["image"]["size"][0], 64);
  EXPECT_NEAR(s["image"]["cell_mas"].get<double>(), 10.0, 1e-9);
  // The 64² truth grid resolves every baseline, and the count stays modest.
  EXPECT_LE(s["uv_max_klambda"].get<double>(), s["image"]["max_uv_resolved_klambda"].get<double>());
  EXPECT_GT(s["uv_max_klambda"].get<double>(), 8000.0);
  EXPECT_GE(s["visibilities"].get<int>(), 20000);
  EXPECT_LE(s["visibilities"].get<int>(), 100000);
  EXPECT_NEAR(s["sky"]["flux_jy"].get<double>(), 0.3, 1e-12);
  EXPECT_GT(s["noise"]["rms_stokes_i_jy"].get<double>(), 0.0);
}

TEST(Simulate, BadInputIsOneLineAndTheRightExitCode) {
  auto dir = scratch_dir("simulate_bad");
  std::string out;
  auto expect = [&](const std::string& args, int code, const std::string& needle) {
    int rc = run_command(penumbra_bin() + " simulate " + args + " --out " + (dir / "run").string(), &out);
    EXPECT_EQ(rc, code) << args << "\n" << out;
    EXPECT_NE(out.find(needle), std::string::npos) << args << "\n" << out;
    EXPECT_NE(out.find("penumbra: error:"), std::string::npos) << out;
  };
  expect("--layout " + (dir / "absent.cfg").string(), 66, "absent.cfg");
  expect("--layout no-such-layout", 66, "no-such-layout");
  {
    std::ofstream f(dir / "broken.txt");
    f << "0 0\n10 twenty\n";
  }
  expect("--layout " + (dir / "broken.txt").string(), 65, "broken.txt:2");
  expect("--noise-rms -1mJy", 64, "--noise-rms");
  // The demo's 12.6 km baselines need ≤ 10.2 mas cells; 20 mas is too coarse.
  expect("--no-ms --scale 20mas --disk-radius 0.5asec", 64, "--scale");
  expect("--disk-radius 1asec", 64, "does not fit");
  expect("--ha-start 1h --ha-end -1h", 64, "hour-angle");
  expect("--dec 95deg", 64, "--dec");
  expect("--sky " + (dir / "absent.fits").string(), 66, "absent.fits");
  expect("--sky " + (dir / "absent.fits").string() + " --size 32", 64, "--size");
  expect("--freq 240 --nchan 0", 64, "--nchan");
}

// WSClean, following CASA, must see a point source of the simulated MS where the
// truth image has it (the MS sign convention of REFERENCE.md §1).
TEST(Simulate, WscleanImagesAnOffCentrePointSourceWhereTheTruthHasIt) {
  auto prefix = wsclean_launcher();
  if (!prefix) GTEST_SKIP() << "wsclean is not installed or cannot start";
  auto dir = scratch_dir("simulate_wsclean");
  // A point source East and North of the phase centre: pixel (x, y) = (20, 45) of 64² × 0.1″.
  FitsImage sky;
  sky.grid.nx = sky.grid.ny = 64;
  sky.grid.cell = 0.1 * kArcsec;
  sky.grid.ra = 252.31375 * kDeg;
  sky.grid.dec = -14.369056 * kDeg;
  sky.bunit = "Jy/pixel";
  sky.pixels.assign(64 * 64, 0.0);
  sky.pixels[45 * 64 + 20] = 1.0;
  write_fits_image(dir / "point.fits", sky);
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " simulate --layout " + tiny_layout(dir).string() +
                            " --sky " + (dir / "point.fits").string() +
                            " --ha-start -2h --ha-end 2h --integration 600s --noise-rms 0 --out " + (dir / "run").string(),
                        &out),
            0)
      << out;
  ASSERT_EQ(run_command("cd " + dir.string() + " && " + *prefix +
                            "wsclean -quiet -j 1 -size 64 64 -scale 0.1asec -niter 0 -weight natural -name ws " +
                            (dir / "run" / "observation.ms").string(),
                        &out),
            0)
      << out;
  FitsImage d = read_fits_image(dir / "ws-dirty.fits");
  ASSERT_EQ(d.grid.nx, 64);
  std::size_t best = 0;
  for (std::size_t k = 0; k < d.pixels.size(); ++k)
    if (d.pixels[k] > d.pixels[best]) best = k;
  EXPECT_EQ(best % 64, 20u) << "peak at (" << best % 64 << ", " << best / 64 << ")";
  EXPECT_EQ(best / 64, 45u) << "peak at (" << best % 64 << ", " << best / 64 << ")";
  EXPECT_NEAR(d.pixels[best], 1.0, 0.02);  // natural weighting, a 1 Jy point source
}

}  // namespace
