// gz-votes files: write → read round trip (images, votes, latents, tree), the
// same file for any thread count, and one-line errors for bad files.
#include "src/datasets/vote_dataset.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "src/core/errors.hpp"
#include "src/io/hdf5_store.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace vote_dataset_test {
GzVoteOptions tiny(bool grey = false) {
  GzVoteOptions o;
  o.count = 12;
  o.galaxy.size = 16;
  o.grey = grey;
  return o;
}
std::string data_error(const std::filesystem::path& p) {
  try {
    read_vote_dataset(p);
  } catch (const DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no DataError for " << p;
  return "";
}
}  // namespace vote_dataset_test
using vote_dataset_test::data_error;
using vote_dataset_test::tiny;

TEST(VoteDataset, RoundTripMatchesTheItemsAndAnyThreadCount) {
  auto dir = test::scratch_dir("vote_dataset");
  auto tree = VoteTree::decals();
  write_vote_dataset(dir / "a.h5", tiny(), tree, 9, "test", 1);
  write_vote_dataset(dir / "b.h5", tiny(), tree, 9, "test", 3);
  auto summary = write_vote_dataset(dir / "c.h5", tiny(), tree, 9, "test", 2);
  auto a = read_vote_dataset(dir / "a.h5"), b = read_vote_dataset(dir / "b.h5");
  // The summary returned is the summary of the votes written.
  auto again = summarise_votes(a.votes, a.count, tree);
  ASSERT_EQ(summary.size(), std::size_t(tree.question_count()));
  EXPECT_EQ(summary[0].reached, 1.0);  // everyone answers the first question
  for (std::size_t q = 0; q < summary.size(); ++q) {
    EXPECT_EQ(summary[q].mean_fractions, again[q].mean_fractions);
    double sum = 0;
    for (double f : summary[q].mean_fractions) sum += f;
    EXPECT_NEAR(sum, summary[q].reached > 0 ? 1.0 : 0.0, 1e-12) << summary[q].name;
  }
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.votes, b.votes);
  ASSERT_EQ(a.count, 12);
  EXPECT_EQ(a.channels, 3);
  EXPECT_EQ(a.size, 16);
  EXPECT_EQ(a.tree.to_json(), tree.to_json());
  ASSERT_EQ(a.votes.size(), 12u * tree.answer_count());
  EXPECT_EQ(a.param_names, gz_vote_param_names());
  for (std::int64_t i = 0; i < a.count; ++i) {
    auto item = make_gz_vote_item(tiny(), tree, 9, i);
    EXPECT_TRUE(std::equal(item.image.begin(), item.image.end(), a.images.begin() + i * 3 * 256));
    EXPECT_TRUE(std::equal(item.votes.begin(), item.votes.end(), a.votes.begin() + i * tree.answer_count()));
    EXPECT_DOUBLE_EQ(item.params.back(), a.params[(i + 1) * a.param_names.size() - 1]);
  }
  // A slice.
  auto s = read_vote_dataset(dir / "a.h5", 5, 3);
  EXPECT_EQ(s.count, 3);
  EXPECT_TRUE(std::equal(s.votes.begin(), s.votes.end(), a.votes.begin() + 5 * tree.answer_count()));
  EXPECT_TRUE(std::equal(s.images.begin(), s.images.end(), a.images.begin() + 5 * 3 * 256));
  EXPECT_THROW(read_vote_dataset(dir / "a.h5", 10, 5), UsageError);
  // Grey: one channel.
  write_vote_dataset(dir / "g.h5", tiny(true), tree, 9, "test", 2);
  auto g = read_vote_dataset(dir / "g.h5");
  EXPECT_EQ(g.channels, 1);
  EXPECT_EQ(g.images.size(), 12u * 256u);
  EXPECT_EQ(g.votes, a.votes);  // the votes do not depend on how the images are rendered
}

TEST(VoteDataset, BadFilesAreOneLineDataErrors) {
  auto dir = test::scratch_dir("vote_dataset_bad");
  auto tree = VoteTree::decals();
  write_vote_dataset(dir / "ok.h5", tiny(), tree, 9, "test", 1);
  auto copy = [&](const std::string& name) {
    std::filesystem::copy_file(dir / "ok.h5", dir / name);
    return Hdf5Store(dir / name, Hdf5Store::Mode::kReadWrite);
  };
  {
    auto st = copy("neg.h5");
    auto v = st.read_int("/votes");
    v.data[3 * tree.answer_count() + 1] = -2;
    st.write("/votes", v);
  }
  EXPECT_NE(data_error(dir / "neg.h5").find("row 3 answer smooth-or-featured_featured-or-disk is -2"), std::string::npos);
  {
    auto st = copy("frac.h5");
    auto v = st.read_float("/votes");
    v.data[0] = 0.5f;
    st.write("/votes", v);
  }
  EXPECT_NE(data_error(dir / "frac.h5").find("non-negative integers"), std::string::npos);
  {
    auto st = copy("width.h5");
    Array<std::int64_t> v{std::vector<std::int64_t>(12 * 5, 1), {12, 5}};
    st.write("/votes", v);
  }
  EXPECT_NE(data_error(dir / "width.h5").find("the tree has 36 answers"), std::string::npos);
  {
    Hdf5Store st(dir / "novotes.h5", Hdf5Store::Mode::kCreate);
    st.write("/images", Array<float>{std::vector<float>(2 * 3 * 4 * 4), {2, 3, 4, 4}});
  }
  EXPECT_NE(data_error(dir / "novotes.h5").find("missing dataset /votes"), std::string::npos);
  EXPECT_THROW(read_vote_dataset(dir / "nowhere.h5"), MissingInputError);
}
