// The label-volume study: its cells, the unlabelled pools (exact imbalance
// ratios, no validation image in any pool), the summary's gains and
// correlation, and a tiny study on synthetic images that resumes cell by cell.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "src/pipelines/label_volume_study.hpp"
#include "tests/support/error_message.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

LabelledImages no_subset(const std::string&) { return {}; }

int count_class(const LabelledImages& im, int c) { return static_cast<int>(std::count(im.labels.begin(), im.labels.end(), c)); }

LabelVolumeCellResult made_cell(int labels, const std::string& method, const std::string& pool, int fold, double acc,
                                double frechet) {
  LabelVolumeCellResult r;
  r.cell = {labels, method, pool, fold};
  r.labelled = static_cast<std::size_t>(labels);
  r.accuracy = acc;
  if (method == "fixmatch") r.frechet = FrechetEstimate{frechet, frechet, frechet - 1, frechet + 1, 0.5, 0.9, 10};
  return r;
}

}  // namespace

TEST(LabelVolumeStudy, CellsSupervisedFirstWithStableNames) {
  LabelVolumeOptions o;
  o.labels = {50, 0};
  o.pools = {"rest", "imbalanced:1:4"};
  o.folds = 3;
  const auto cells = label_volume_cells(o);
  ASSERT_EQ(cells.size(), 2u * 3 + 2u * 2 * 3);
  EXPECT_EQ(cells[0].name(), "n0050-supervised-fold0");
  EXPECT_EQ(cells[3].name(), "nall-supervised-fold0");
  EXPECT_EQ(cells[6].name(), "n0050-fixmatch-rest-fold0");
  EXPECT_EQ(cells[9].name(), "n0050-fixmatch-imbalanced_1_4-fold0");
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(cells[i].method, "supervised");
  o.methods = {"fixmatch"};
  EXPECT_EQ(label_volume_cells(o).size(), 12u);
}

TEST(LabelVolumeStudy, PoolSpecsAndBadOptionsAreOneLine) {
  const auto p = parse_unlabelled_pool("imbalanced:1:4");
  EXPECT_EQ(p.kind, UnlabelledPoolSpec::Kind::kImbalanced);
  EXPECT_EQ(p.fri, 1);
  EXPECT_EQ(p.frii, 4);
  EXPECT_EQ(parse_unlabelled_pool("shifted:degraded").kind, UnlabelledPoolSpec::Kind::kDegraded);
  const auto usage = [](const std::function<void()>& f) { return test::message_of<UsageError>(f); };
  EXPECT_NE(usage([] { parse_unlabelled_pool("imbalanced:0:4"); }).find("whole A, B ≥ 1"), std::string::npos);
  EXPECT_NE(usage([] { parse_unlabelled_pool("lake"); }).find("unlabelled pool 'lake' unknown"), std::string::npos);
  LabelVolumeOptions o;
  ClassifierDataOptions d;
  d.data = "mirabest:/nowhere";
  o.pools = {"uncertain", "confident"};
  EXPECT_EQ(usage([&] { validate(o, d); }),
            "unlabelled pool 'confident' overlaps the validation fold (drawn from subset 'confident')");
  d.data = "synthetic";
  o.pools = {"hybrid"};
  EXPECT_NE(usage([&] { validate(o, d); }).find("needs MiraBest data"), std::string::npos);
  o.pools = {"rest"};
  o.methods = {"fixmatch"};
  EXPECT_NE(usage([&] { validate(o, d); }).find("Fréchet encoder"), std::string::npos);
  o.methods = {"supervised", "bogus"};
  EXPECT_NE(usage([&] { validate(o, d); }).find("methods"), std::string::npos);
}

TEST(LabelVolumeStudy, ImbalancedPoolsHaveExactRatiosAndNoPoolHoldsAValidationImage) {
  PoolSources s;
  s.unused = generate_radio_galaxies(40, 11, {.size = 16});   // 20 FRI, 20 FRII
  s.uncertain = generate_radio_galaxies(20, 12, {.size = 16});
  s.hybrid = generate_radio_galaxies(6, 13, {.size = 16});
  LabelVolumeOptions o;
  for (auto [a, b] : {std::pair{1, 4}, {4, 1}, {1, 1}, {2, 3}}) {
    const auto pool = build_unlabelled_pool(parse_unlabelled_pool(fmt::format("imbalanced:{}:{}", a, b)), s, o,
                                            no_subset, 3);
    const int fri = count_class(pool, 0), frii = count_class(pool, 1);
    EXPECT_EQ(fri * b, frii * a) << a << ":" << b;
    EXPECT_GT(fri, 0);
    EXPECT_EQ(static_cast<int>(pool.size()), fri + frii);
  }
  o.pool_size = 10;
  const auto capped = build_unlabelled_pool(parse_unlabelled_pool("imbalanced:1:4"), s, o, no_subset, 3);
  EXPECT_EQ(count_class(capped, 0), 2);
  EXPECT_EQ(count_class(capped, 1), 8);
  EXPECT_EQ(build_unlabelled_pool(parse_unlabelled_pool("rest"), s, o, no_subset, 3).size(), 10u);
  o.pool_size = 0;
  const auto rest = build_unlabelled_pool(parse_unlabelled_pool("rest"), s, o, no_subset, 3);
  EXPECT_EQ(rest.size(), 66u);
  const auto degraded = build_unlabelled_pool(parse_unlabelled_pool("degraded"), s, o, no_subset, 3);
  EXPECT_EQ(degraded.size(), 66u);
  EXPECT_NE(degraded.pixels, rest.pixels);
  // A pool that shares an image with the validation fold is refused.
  const auto val = s.uncertain.subset({3, 4});
  EXPECT_NO_THROW(require_disjoint(s.unused, val, "rest"));
  EXPECT_EQ(test::message_of<DataError>([&] { require_disjoint(rest, val, "rest"); }),
            "unlabelled pool 'rest' shares 2 image(s) with the validation fold");
}

TEST(LabelVolumeStudy, SummaryPairsTheGainPerFoldAndCorrelatesItWithTheFrechetDistance) {
  std::vector<LabelVolumeCellResult> cells;
  for (int f = 0; f < 2; ++f) {
    cells.push_back(made_cell(10, "supervised", "", f, 0.7 + 0.1 * f, 0));
    cells.push_back(made_cell(10, "fixmatch", "a", f, 0.8 + 0.1 * f, 1.0));      // gain 0.1
    cells.push_back(made_cell(10, "fixmatch", "b", f, 0.75 + 0.1 * f, 2.0));     // gain 0.05
    cells.push_back(made_cell(10, "fixmatch", "c", f, 0.7 + 0.1 * f + (f ? 0.02 : -0.02), 3.0));  // gain 0 ± 0.02
  }
  const auto s = summarise_label_volume(cells);
  ASSERT_EQ(s["ssl_gain"].size(), 3u);
  const auto& a = s["ssl_gain"][0];
  EXPECT_EQ(a["pool"], "a");
  EXPECT_NEAR(a["accuracy_gain"].get<double>(), 0.1, 1e-12);
  EXPECT_NEAR(a["accuracy_gain_se"].get<double>(), 0.0, 1e-12);
  EXPECT_NEAR(s["ssl_gain"][2]["accuracy_gain_se"].get<double>(), 0.02, 1e-12);
  EXPECT_NEAR(a["frechet_lower"].get<double>(), 0.0, 1e-12);
  const auto& r = s["gain_vs_frechet"][0];
  EXPECT_EQ(r["pools"], 3);
  EXPECT_NEAR(r["r_pools"].get<double>(), -1.0, 1e-9);  // gains 0.1, 0.05, 0 at d² 1, 2, 3
  EXPECT_EQ(r["cells"], 6);
  EXPECT_LT(r["r_cells"].get<double>(), -0.9);
  EXPECT_EQ(s["curves"].size(), 4u);
}

TEST(LabelVolumeStudy, TinySyntheticStudyWritesItsTablesAndResumesCellByCell) {
  const auto root = test::scratch_dir("label_volume_study");
  ClassifierDataOptions d;
  d.n_synthetic = 24;
  d.synthetic_size = 16;
  ClassifierTrainOptions t;
  t.backbone = "attention";
  t.deterministic = true;
  t.epochs = 1;
  t.batch = 4;
  LabelVolumeOptions o;
  o.labels = {4, 8};
  o.pools = {"rest", "imbalanced:1:2"};
  o.folds = 2;
  o.n_synthetic = 8;
  o.fixmatch.mu = 2;
  o.shift.replicates = 10;
  const auto first = label_volume_study(t, d, o, 7, root);
  ASSERT_EQ(first.cells.size(), 2u * 2 + 2u * 2 * 2);
  for (const auto& c : first.cells) {
    EXPECT_FALSE(c.reused);
    EXPECT_EQ(c.validated, 12u);
    EXPECT_TRUE(std::filesystem::exists(root / "cells" / c.cell.name() / "weights.pt")) << c.cell.name();
    EXPECT_EQ(c.frechet.has_value(), c.cell.method == "fixmatch");
  }
  for (const char* f : {"label_volume.csv", "label_volume_summary.csv", "ssl_gain.csv", "label_volume.json",
                        "label_volume_accuracy.png", "label_volume_ece.png"})
    EXPECT_TRUE(std::filesystem::exists(root / f)) << f;
  EXPECT_EQ(nlohmann::json::parse(read_text(root / "label_volume.json"))["ssl_gain"].size(), 4u);
  // A resumed run trains nothing and pools the same numbers; one cell lost is trained again.
  std::filesystem::remove(root / "cells" / "n0004-fixmatch-rest-fold1" / "cell.json");
  o.resume = true;
  const auto again = label_volume_study(t, d, o, 7, root);
  ASSERT_EQ(again.cells.size(), first.cells.size());
  for (std::size_t i = 0; i < again.cells.size(); ++i) {
    const bool lost = again.cells[i].cell.name() == "n0004-fixmatch-rest-fold1";
    EXPECT_EQ(again.cells[i].reused, !lost);
    if (!lost) EXPECT_DOUBLE_EQ(again.cells[i].accuracy, first.cells[i].accuracy) << again.cells[i].cell.name();
  }
  o.labels = {4, 0};  // all labelled: the synthetic set has no further images for `rest`, found before training
  const auto empty_pool = test::message_of<DataError>([&] { label_volume_study(t, d, o, 7, root); });
  EXPECT_NE(empty_pool.find("unlabelled pool 'rest': no images to draw on"), std::string::npos) << empty_pool;
  o.labels = {4, 8};
  t.epochs = 2;
  EXPECT_NE(test::message_of<UsageError>([&] { label_volume_study(t, d, o, 7, root); })
                .find("was made with other options"),
            std::string::npos);
}
