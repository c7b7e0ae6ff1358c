#include "instruments/nufft_timing.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace penumbra;

// The benchmark loop runs the plan as it is (the outputs are the plan's own),
// reports every round, and keeps the smallest times.
TEST(NufftTiming, BestOfTheRoundsAndThePlansOwnOutput) {
  ImageGrid g{32, 32, 2e-7};
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uv(-0.9 * g.max_uv(), 0.9 * g.max_uv());
  std::normal_distribution<double> n01;
  std::vector<double> u(500), v(500), image(g.size()), back(g.size()), expect_back(g.size());
  for (std::size_t k = 0; k < u.size(); ++k) u[k] = uv(rng), v[k] = uv(rng);
  for (double& x : image) x = n01(rng);
  std::vector<std::complex<double>> y(u.size()), vis(u.size()), expect_vis(u.size());
  for (auto& c : y) c = {n01(rng), n01(rng)};
  NufftPlan<double> plan(u, v, g, 1e-6, 1);
  std::vector<NufftTimes> rounds;
  NufftTimes best = time_nufft<double>(plan, image, vis, y, back, 3,
                                       [&](int r, const NufftTimes& t) {
                                         EXPECT_EQ(r, static_cast<int>(rounds.size()));
                                         rounds.push_back(t);
                                       });
  ASSERT_EQ(rounds.size(), 3u);
  double min_degrid = 1e300, min_grid_cpu = 1e300;
  for (const auto& t : rounds) {
    EXPECT_GE(t.degrid_s, 0);
    EXPECT_GE(t.grid_cpu_s, 0);
    min_degrid = std::min(min_degrid, t.degrid_s);
    min_grid_cpu = std::min(min_grid_cpu, t.grid_cpu_s);
  }
  EXPECT_EQ(best.degrid_s, min_degrid);
  EXPECT_EQ(best.grid_cpu_s, min_grid_cpu);
  plan.degrid(image, expect_vis);
  plan.grid(y, expect_back);
  EXPECT_EQ(vis, expect_vis);
  EXPECT_EQ(back, expect_back);
}
