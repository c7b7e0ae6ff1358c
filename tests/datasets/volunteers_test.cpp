// Simulated volunteers: vote fractions follow the latent morphology, totals stay
// in the volunteer range, votes appear only on questions a volunteer can reach,
// and the colour galaxies put the bulge in the red and the arms in the blue.
#include "src/datasets/volunteers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "src/core/errors.hpp"
#include "src/datasets/colour_galaxy.hpp"

using namespace penumbra;

namespace volunteers_test {

// Summed votes of `n` crowds on the same latents.
std::vector<double> crowd_votes(const MorphologyLatents& m, const VoteTree& t, int n, std::uint64_t seed) {
  auto p = answer_probabilities(m, t);
  std::vector<double> sum(t.answer_count(), 0.0);
  auto rng = make_rng(seed);
  for (int i = 0; i < n; ++i) {
    auto v = simulate_votes(p, t, VolunteerOptions{}, rng);
    for (int a = 0; a < t.answer_count(); ++a) sum[a] += v.counts[a];
  }
  return sum;
}

double fraction(const std::vector<double>& votes, const VoteTree& t, const std::string& answer) {
  int a = t.find_answer(answer);
  const auto& q = t.questions()[t.question_of_answer(a)];
  double n = 0;
  for (std::size_t i = 0; i < q.answers.size(); ++i) n += votes[q.first_answer + i];
  return votes[a] / n;
}

MorphologyLatents face_on_spiral() {
  MorphologyLatents m;
  m.bulge_to_total = 0.1;
  m.cos_inc = 0.9;
  m.axis_ratio = 0.9;
  m.arms = 2;
  m.pitch_deg = 12;
  m.arm_visibility = 0.7;
  return m;
}

}  // namespace volunteers_test
using volunteers_test::crowd_votes;
using volunteers_test::face_on_spiral;
using volunteers_test::fraction;

TEST(Volunteers, ProbabilitiesSumToOnePerQuestion) {
  auto t = VoteTree::decals();
  auto p = answer_probabilities(face_on_spiral(), t);
  for (const auto& q : t.questions()) {
    double s = 0;
    for (std::size_t i = 0; i < q.answers.size(); ++i) s += p[q.first_answer + i];
    EXPECT_NEAR(s, 1.0, 1e-12) << q.name;
  }
}

TEST(Volunteers, VoteFractionsFollowTheLatentMorphology) {
  auto t = VoteTree::decals();
  auto barred = face_on_spiral();
  barred.bar_strength = 1.9;
  auto v = crowd_votes(barred, t, 200, 1);
  EXPECT_GT(fraction(v, t, "bar_strong"), 0.5);
  EXPECT_LT(fraction(v, t, "bar_no"), 0.15);
  EXPECT_GT(fraction(v, t, "smooth-or-featured_featured-or-disk"), 0.85);
  EXPECT_GT(fraction(v, t, "has-spiral-arms_yes"), 0.8);
  EXPECT_GT(fraction(v, t, "spiral-arm-count_2"), 0.5);
  EXPECT_GT(fraction(v, t, "spiral-winding_tight"), 0.5);
  auto unbarred = crowd_votes(face_on_spiral(), t, 200, 2);
  EXPECT_GT(fraction(unbarred, t, "bar_no"), 0.7);

  MorphologyLatents elliptical;
  elliptical.bulge_to_total = 0.95;
  elliptical.axis_ratio = 0.35;
  v = crowd_votes(elliptical, t, 200, 3);
  EXPECT_GT(fraction(v, t, "smooth-or-featured_smooth"), 0.75);
  EXPECT_GT(fraction(v, t, "how-rounded_cigar-shaped"), 0.5);

  auto edge_on = face_on_spiral();
  edge_on.cos_inc = 0.15;
  edge_on.arm_visibility = 0;
  v = crowd_votes(edge_on, t, 200, 4);
  EXPECT_GT(fraction(v, t, "disk-edge-on_yes"), 0.75);

  auto ringed = face_on_spiral();
  ringed.ring_contrast = 2.5;
  v = crowd_votes(ringed, t, 200, 5);
  EXPECT_GT(fraction(v, t, "rings_yes"), 0.75);
  EXPECT_LT(fraction(unbarred, t, "rings_yes"), 0.2);

  auto merger = face_on_spiral();
  merger.companion_ratio = 0.9;
  merger.companion_separation = 0.15;
  v = crowd_votes(merger, t, 200, 6);
  EXPECT_GT(fraction(v, t, "merging_merger"), 0.5);
  EXPECT_GT(fraction(unbarred, t, "merging_none"), 0.7);
}

TEST(Volunteers, TotalsInRangeAndVotesOnlyWhereVolunteersCanGo) {
  auto t = VoteTree::decals();
  GalaxyOptions go;
  go.size = 32;
  VolunteerOptions vo;
  int smallest = 1000, largest = 0;
  for (int i = 0; i < 300; ++i) {
    auto rng = make_rng(11, i);
    auto p = sample_gz_galaxy(rng, go);
    auto votes = simulate_votes(answer_probabilities(morphology_latents(p, go.size), t), t, vo, rng);
    const auto& c = votes.counts;
    // Every volunteer answers the first question.
    int first = c[0] + c[1] + c[2];
    EXPECT_EQ(first, votes.volunteers);
    smallest = std::min(smallest, first), largest = std::max(largest, first);
    // Conservation down the tree: a question's votes are the votes of the answers that lead to it.
    std::vector<int> arriving(t.question_count(), 0), total(t.question_count(), 0);
    arriving[0] = first;
    for (int a = 0; a < t.answer_count(); ++a) {
      EXPECT_GE(c[a], 0);
      int q = t.question_of_answer(a);
      total[q] += c[a];
      int next = t.questions()[q].answers[a - t.questions()[q].first_answer].next_question;
      if (next >= 0) arriving[next] += c[a];
    }
    EXPECT_EQ(arriving, total) << "galaxy " << i;
    EXPECT_EQ(total[t.find_question("merging")], first - c[2]);  // everyone but the artifact voters
  }
  EXPECT_GE(smallest, 5);
  EXPECT_LE(largest, 40);
  EXPECT_LE(smallest, 8);   // log-uniform: both ends are drawn
  EXPECT_GE(largest, 32);
}

TEST(Volunteers, BadOptionsAndUnknownQuestionsAreUsageErrors) {
  VolunteerOptions vo;
  vo.min_volunteers = 10;
  vo.max_volunteers = 5;
  EXPECT_THROW(vo.validate(), UsageError);
  auto t = VoteTree::from_json(nlohmann::json::parse(
      R"({"questions": [{"name": "smooth-or-featured", "answers": [{"name": "smooth"}, {"name": "spiky"}]}]})"));
  try {
    answer_probabilities(MorphologyLatents{}, t);
    ADD_FAILURE();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("answer 'spiky'"), std::string::npos);
  }
}

TEST(ColourGalaxy, BulgesAreRedArmsAreBlueAndItemsAreReproducible) {
  GalaxyOptions go;
  go.size = 48;
  // A pure bulge and a pure disk with arms: the g/z ratio of their light.
  GalaxyParams p;
  p.arms = 0;
  p.disk_weight = 0;
  p.bulge_re = 4;
  auto rng = make_rng(1);
  auto bulge = render_colour_galaxy(p, go, rng);
  const std::size_t npix = 48 * 48;
  auto band = [&](const std::vector<float>& img, int b) {
    return std::accumulate(img.begin() + b * npix, img.begin() + (b + 1) * npix, 0.0);
  };
  EXPECT_LT(band(bulge, 0) / band(bulge, 2), 0.5);
  GalaxyParams d;
  d.bulge_weight = 0;
  d.arms = 2;
  d.arm_strength = 0.9;
  auto disk = render_colour_galaxy(d, go, rng);
  EXPECT_GT(band(disk, 0) / band(disk, 2), band(bulge, 0) / band(bulge, 2) * 1.5);
  EXPECT_NEAR(*std::max_element(disk.begin(), disk.end()), d.peak, 1e-5);
  // sample_gz_galaxy: deterministic per stream; all three kinds, rings and companions appear.
  int kinds[3] = {0, 0, 0}, rings = 0, companions = 0;
  for (int i = 0; i < 400; ++i) {
    auto r1 = make_rng(5, i), r2 = make_rng(5, i);
    GalaxyKind k;
    auto a = sample_gz_galaxy(r1, go, &k);
    auto b = sample_gz_galaxy(r2, go);
    EXPECT_EQ(a.bulge_weight, b.bulge_weight);
    ++kinds[int(k)];
    rings += a.ring_weight > 0;
    companions += a.companion.weight > 0;
    if (k == GalaxyKind::kElliptical) EXPECT_GT(bulge_to_total(a), 0.8);
  }
  EXPECT_GT(kinds[0], 80);
  EXPECT_GT(kinds[1], 30);
  EXPECT_GT(kinds[2], 150);
  EXPECT_GT(rings, 20);
  EXPECT_GT(companions, 20);
}
