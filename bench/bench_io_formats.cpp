// Throughput of the result writers: HDF5 sample stacks (append / streaming
// read), FITS images and PNG figures. Files go to $TMPDIR (default /tmp).
//   build/bench_io_formats --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/png.hpp"

namespace {

namespace fs = std::filesystem;
using namespace penumbra;

fs::path scratch(const std::string& name) {
  const char* t = std::getenv("TMPDIR");
  fs::path dir = fs::path(t ? t : "/tmp") / "penumbra-bench-io";
  fs::create_directories(dir);
  return dir / name;
}

std::vector<float> sample_batch(int n, int batch) {
  std::vector<float> v(static_cast<std::size_t>(n) * n * batch);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(std::sin(0.001 * k));
  return v;
}

// Appending batches of n×n float32 posterior samples to a stack.
void BM_Hdf5AppendSamples(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0)), batch = 16;
  auto data = sample_batch(n, batch);
  auto file = scratch("append.h5");
  Hdf5Store s(file, Hdf5Store::Mode::kCreate);
  s.create_stack("/samples", {static_cast<std::size_t>(n), static_cast<std::size_t>(n)}, "Jy/pixel");
  for (auto _ : state) s.append("/samples", data.data(), batch);
  s.flush();
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size() * sizeof(float)));
}
BENCHMARK(BM_Hdf5AppendSamples)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

// Streaming a training set back in mini-batches of 32.
void BM_Hdf5ReadRows(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0)), total = 1024, batch = 32;
  auto file = scratch("read.h5");
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.create_stack("/x", {static_cast<std::size_t>(n), static_cast<std::size_t>(n)});
    auto data = sample_batch(n, total);
    s.append("/x", data.data(), total);
  }
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  std::size_t first = 0;
  for (auto _ : state) {
    auto a = s.read_rows("/x", first, batch);
    benchmark::DoNotOptimize(a.data.data());
    first = (first + batch) % total;
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(batch) * n * n * 4);
}
BENCHMARK(BM_Hdf5ReadRows)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

FitsImage fits_image(int n) {
  FitsImage img;
  img.grid = ImageGrid{n, n, 3e-3 * kArcsec, 1.0, -0.5};
  img.pixels.resize(img.grid.size());
  for (std::size_t k = 0; k < img.pixels.size(); ++k) img.pixels[k] = std::sin(0.01 * k);
  img.freq_hz = 240e9;
  return img;
}

void BM_FitsWrite(benchmark::State& state) {
  FitsImage img = fits_image(static_cast<int>(state.range(0)));
  auto file = scratch("img.fits");
  for (auto _ : state) write_fits_image(file, img);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(img.pixels.size() * 4));
}
BENCHMARK(BM_FitsWrite)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_FitsRead(benchmark::State& state) {
  FitsImage img = fits_image(static_cast<int>(state.range(0)));
  auto file = scratch("img_read.fits");
  write_fits_image(file, img);
  for (auto _ : state) benchmark::DoNotOptimize(read_fits_image(file).pixels.data());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(img.pixels.size() * 4));
}
BENCHMARK(BM_FitsRead)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_PngImage(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ImagePanel p;
  p.nx = p.ny = n;
  p.pixels.resize(static_cast<std::size_t>(n) * n);
  for (std::size_t k = 0; k < p.pixels.size(); ++k) p.pixels[k] = std::sin(0.01 * k);
  p.title = "posterior mean";
  p.colorbar_label = "Jy/pixel";
  auto file = scratch("img.png");
  for (auto _ : state) write_image_png(file, p);
}
BENCHMARK(BM_PngImage)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_PngLinePlot(benchmark::State& state) {
  std::vector<Series> series(3);
  for (int k = 0; k < 10000; ++k)
    for (int s = 0; s < 3; ++s) {
      series[s].x.push_back(k);
      series[s].y.push_back(std::exp(-1e-3 * k * (s + 1)));
    }
  LinePlot plot;
  plot.logy = true;
  auto file = scratch("lines.png");
  for (auto _ : state) write_line_plot_png(file, series, plot);
}
BENCHMARK(BM_PngLinePlot)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
