// Loading an image catalogue for the classifiers: the 400 Galaxy Zoo DECaLS
// ring images (424² JPEG) decoded, cropped and resized to S×S, by threads.
//   build/bench/bench_classifier_catalogue [--benchmark_min_time=2]
// Run from the project root (the catalogue is ../shared/data/galaxyzoo_rings/
// catalog.csv) or set PENUMBRA_RINGS_CSV.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "src/datasets/image_catalogue.hpp"

namespace {

using namespace penumbra;

std::filesystem::path rings_csv() {
  const char* env = std::getenv("PENUMBRA_RINGS_CSV");
  return env ? env : "../shared/data/galaxyzoo_rings/catalog.csv";
}

// Args: output side S, channels, threads.
void BM_LoadRingsCatalogue(benchmark::State& state) {
  if (!std::filesystem::exists(rings_csv())) {
    state.SkipWithError("no ../shared/data/galaxyzoo_rings/catalog.csv (set PENUMBRA_RINGS_CSV)");
    return;
  }
  CatalogueOptions opt;
  opt.size = static_cast<int>(state.range(0));
  opt.channels = static_cast<int>(state.range(1));
  opt.threads = static_cast<int>(state.range(2));
  opt.label_column = "ring";
  opt.vote_columns = {"*_fraction"};
  std::int64_t n = 0;
  for (auto _ : state) {
    auto c = load_catalogue(rings_csv(), opt);
    n += c.count;
    benchmark::DoNotOptimize(c.images.data());
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_LoadRingsCatalogue)
    ->ArgNames({"size", "channels", "threads"})
    ->Args({64, 3, 1})
    ->Args({64, 3, 2})
    ->Args({64, 1, 2})
    ->Args({128, 3, 1})
    ->Args({128, 3, 2})
    ->Args({424, 3, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
