// penumbra dataset: galaxies, disks and mix stacks (shape, normalisation, params,
// provenance), import of an HDF5 stack, and one-line errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>

#include "src/io/hdf5_store.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

namespace dataset_cmd_test {
int count_errors(const std::string& out) {  // lines of the form "penumbra: error: ..."
  int n = 0;
  for (auto p = out.find("error:"); p != std::string::npos; p = out.find("error:", p + 1)) ++n;
  return n;
}
}  // namespace dataset_cmd_test
using dataset_cmd_test::count_errors;

TEST(DatasetCommand, GeneratesEveryKindAndImportsAStack) {
  auto dir = scratch_dir("dataset_cmd");
  std::string out;
  for (std::string kind : {"galaxies", "disks", "mix"}) {
    ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 4 --out " + (dir / kind).string() + " dataset " + kind +
                              " --n 6 --size 16",
                          &out),
              0)
        << out;
    penumbra::Hdf5Store st(dir / kind / (kind + ".h5"), penumbra::Hdf5Store::Mode::kRead);
    auto a = st.read_float("/images");
    ASSERT_EQ(a.shape, (std::vector<std::size_t>{6, 16, 16})) << kind;
    EXPECT_EQ(st.attr_string("/images", "normalisation"), "peak");
    EXPECT_EQ(st.attr_string("/images", "kind"), kind);
    EXPECT_NE(st.attr_string("/images", "source").find("dataset " + kind + " --n 6"), std::string::npos);
    for (std::size_t i = 0; i < 6; ++i) {  // peak-normalised: each image's peak in [0.5, 1]
      float pk = *std::max_element(a.data.begin() + i * 256, a.data.begin() + (i + 1) * 256);
      EXPECT_GE(pk, 0.5f) << kind << " " << i;
      EXPECT_LE(pk, 1.0f) << kind << " " << i;
    }
    auto p = st.read_float("/params");
    EXPECT_EQ(p.shape[0], 6u);
    EXPECT_EQ(p.shape[1], kind == "mix" ? 1u : 6u);
  }
  // The mix interleaves galaxies (even) and disks (odd) of the same seed stream.
  {
    penumbra::Hdf5Store m(dir / "mix" / "mix.h5", penumbra::Hdf5Store::Mode::kRead);
    penumbra::Hdf5Store g(dir / "galaxies" / "galaxies.h5", penumbra::Hdf5Store::Mode::kRead);
    penumbra::Hdf5Store d(dir / "disks" / "disks.h5", penumbra::Hdf5Store::Mode::kRead);
    auto am = m.read_float("/images"), ag = g.read_float("/images"), ad = d.read_float("/images");
    EXPECT_TRUE(std::equal(am.data.begin(), am.data.begin() + 256, ag.data.begin()));
    EXPECT_TRUE(std::equal(am.data.begin() + 256, am.data.begin() + 512, ad.data.begin() + 256));
  }
  // import: an N×H×W HDF5 array → resized, peak-normalised stack
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --out " + (dir / "imp").string() + " dataset import --input " +
                            (dir / "disks" / "disks.h5").string() + " --dataset images --size 8 --file imp.h5",
                        &out),
            0)
      << out;
  {
    penumbra::Hdf5Store st(dir / "imp" / "imp.h5", penumbra::Hdf5Store::Mode::kRead);
    auto a = st.read_float("/images");
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{6, 8, 8}));
    EXPECT_EQ(st.attr_string("/images", "normalisation"), "peak");
  }
  // Bad input: a missing import source (66), a too-small image (64), an unknown kind (64),
  // each with a one-line message.
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad1").string() + " dataset import --input " +
                            (dir / "nowhere").string(),
                        &out),
            66)
      << out;
  EXPECT_EQ(count_errors(out), 1) << out;
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad2").string() + " dataset disks --n 2 --size 4", &out),
            64)
      << out;
  EXPECT_EQ(count_errors(out), 1) << out;
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad3").string() +
                            " train-prior --generate 8 --kind spirals --size 16 --steps 1",
                        &out),
            64)
      << out;
  EXPECT_NE(out.find("spirals"), std::string::npos) << out;
}
