// `cmake --install` gives a tree that another CMake project can use through
// find_package(Penumbra) and Penumbra::instruments, without LibTorch.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/paths.hpp"

using namespace penumbra::test;

TEST(Install, ExampleBuildsAgainstTheInstallTree) {
  auto dir = scratch_dir("install");
  std::string out;
  ASSERT_EQ(run_command("cmake --install " + std::string(PENUMBRA_BINARY_DIR) + " --prefix " + (dir / "prefix").string(),
                        &out), 0) << out;
  ASSERT_EQ(run_command("cmake -S " + std::string(PENUMBRA_SOURCE_DIR) + "/examples/uvtable_summary -B " +
                            (dir / "build").string() + " -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" +
                            (dir / "prefix").string(),
                        &out), 0) << out;
  ASSERT_EQ(run_command("cmake --build " + (dir / "build").string(), &out), 0) << out;
  // The example must not have pulled in LibTorch, and no installed header may include it.
  ASSERT_NE(run_command("ldd " + (dir / "build" / "uvtable_summary").string() + " | grep -q libtorch"), 0);
  std::string torch_headers;
  run_command("grep -rlE '#include <(torch|ATen|c10)/' " + (dir / "prefix" / "include").string(), &torch_headers);
  EXPECT_EQ(torch_headers, "") << "installed headers that include LibTorch";
  EXPECT_FALSE(std::filesystem::exists(dir / "prefix" / "include" / "penumbra" / "instruments" / "torch"));

  // Run it on a small uvtable made here: a 1 Jy point source at the phase centre.
  std::ofstream f(dir / "point.txt");
  f << "# u v Re Im weight\n";
  for (int k = 0; k < 200; ++k) f << 1000.0 * k << " " << -700.0 * k + 3 << " 1.0 0.0 1.0\n";
  f.close();
  ASSERT_EQ(run_command((dir / "build" / "uvtable_summary").string() + " " + (dir / "point.txt").string(), &out), 0)
      << out;
  EXPECT_NE(out.find("visibilities: 200"), std::string::npos) << out;
  EXPECT_NE(out.find("dirty image at the phase centre: 1 Jy/beam"), std::string::npos) << out;
}
