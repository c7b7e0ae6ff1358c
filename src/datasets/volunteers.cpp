#include "src/datasets/volunteers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

namespace {

constexpr double kDegPerRad = 57.29577951308232;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

// Answers on a scale: a Gaussian kernel of width w around each answer's centre.
std::vector<double> ordinal(double x, const std::vector<double>& centres, double w) {
  std::vector<double> p;
  double sum = 0;
  for (double c : centres) sum += p.emplace_back(std::exp(-0.5 * (x - c) * (x - c) / (w * w)) + 1e-6);
  for (auto& v : p) v /= sum;
  return p;
}

struct IdealQuestion {
  std::string name;
  std::vector<std::string> answers;
  std::vector<double> p;
};

// How strongly a galaxy shows a disk with features, on the logit scale: the disk
// fraction sets the baseline, visible arms, bars, rings and an edge-on disk add to it.
double featured_logit(const MorphologyLatents& m, double edge_on) {
  double disk = 1 - m.bulge_to_total;
  double face = clamp01((m.cos_inc - 0.25) / 0.4);
  return -2.5 + 5.0 * disk + 3.0 * m.arm_visibility + 1.2 * std::min(m.bar_strength * face, 1.5) +
         1.5 * std::min(m.ring_contrast * face, 1.0) + 3.0 * edge_on * disk + 0.05 * m.clumps * face;
}

std::vector<IdealQuestion> disk_questions(const MorphologyLatents& m) {
  const double face = clamp01((m.cos_inc - 0.25) / 0.4);
  std::vector<IdealQuestion> q;
  q.push_back({"has-spiral-arms", {"yes", "no"}, {}});
  double arms_yes = m.arms > 0 ? sigmoid(-2.5 + 8.0 * m.arm_visibility) : 0.05;
  q.back().p = {arms_yes, 1 - arms_yes};
  q.push_back({"spiral-winding", {"tight", "medium", "loose"}, ordinal(m.pitch_deg, {10, 20, 30}, 6)});
  // Arm counts 1..4 and "more than 4" on a scale; "can't tell" grows as the arms fade.
  double cant = m.arms > 0 ? 0.05 + 0.5 * std::exp(-m.arm_visibility / 0.25) : 0.6;
  auto count = ordinal(m.arms > 0 ? m.arms : 2, {1, 2, 3, 4, 5}, 0.45);
  for (auto& v : count) v *= 1 - cant;
  count.push_back(cant);
  q.push_back({"spiral-arm-count", {"1", "2", "3", "4", "more-than-4", "cant-tell"}, count});
  double bar_seen = m.bar_strength * clamp01((m.cos_inc - 0.2) / 0.4);
  q.push_back({"bar", {"strong", "weak", "no"}, ordinal(bar_seen, {1.5, 0.6, 0.0}, 0.3)});
  q.push_back({"bulge-size", {"dominant", "large", "moderate", "small", "none"},
               ordinal(m.bulge_to_total, {0.6, 0.38, 0.2, 0.08, 0.0}, 0.07)});
  double ring = sigmoid(-3.0 + 4.0 * m.ring_contrast * face);
  q.push_back({"rings", {"yes", "no"}, {ring, 1 - ring}});
  return q;
}

std::vector<IdealQuestion> ideal_answers(const MorphologyLatents& m) {
  double edge_on = sigmoid((0.32 - m.cos_inc) / 0.06);
  double featured = sigmoid(featured_logit(m, edge_on)), artifact = 0.01;
  std::vector<IdealQuestion> q;
  q.push_back({"smooth-or-featured",
               {"smooth", "featured-or-disk", "artifact"},
               {(1 - artifact) * (1 - featured), (1 - artifact) * featured, artifact}});
  q.push_back({"disk-edge-on", {"yes", "no"}, {edge_on, 1 - edge_on}});
  for (auto& d : disk_questions(m)) q.push_back(d);
  q.push_back({"how-rounded", {"round", "in-between", "cigar-shaped"}, ordinal(m.axis_ratio, {0.9, 0.6, 0.3}, 0.12)});
  // Boxy bulges are bars seen edge-on.
  double boxy = m.bar_strength > 0 ? 0.45 : 0.05, rounded = sigmoid((m.bulge_to_total - 0.1) / 0.04);
  q.push_back({"edge-on-bulge", {"boxy", "none", "rounded"}, {boxy, (1 - boxy) * (1 - rounded), (1 - boxy) * rounded}});
  double merger = m.companion_ratio * std::exp(-m.companion_separation / 0.3);
  q.push_back({"merging",
               {"merger", "major-disturbance", "minor-disturbance", "none"},
               ordinal(merger, {0.4, 0.2, 0.1, 0.0}, 0.04)});
  return q;
}

// The answer a volunteer confuses `a` with: a neighbour on ordered questions;
// otherwise another answer, the more plausible ones (by the ideal probabilities
// `p` of the question's k answers) more often, so rare answers (artifact) stay rare.
int confused_answer(int a, const double* p, int k, bool ordered, Rng& rng) {
  if (ordered) {
    if (a == 0) return 1;
    if (a == k - 1) return k - 2;
    return std::uniform_int_distribution<int>(0, 1)(rng) ? a + 1 : a - 1;
  }
  std::vector<double> w(k);
  for (int j = 0; j < k; ++j) w[j] = j == a ? 0.0 : p[j] + 0.05;
  return std::discrete_distribution<int>(w.begin(), w.end())(rng);
}

}  // namespace

MorphologyLatents morphology_latents(const GalaxyParams& p, int image_size) {
  MorphologyLatents m;
  m.bulge_to_total = bulge_to_total(p);
  m.cos_inc = p.cos_inc;
  m.axis_ratio = m.bulge_to_total * p.bulge_q + (1 - m.bulge_to_total) * p.cos_inc;
  m.arms = p.arms;
  m.pitch_deg = p.pitch * kDegPerRad;
  double face = clamp01((p.cos_inc - 0.2) / 0.5);
  m.arm_visibility = p.arms > 0 ? p.arm_strength * face * (1 - m.bulge_to_total) : 0;
  m.bar_strength = p.bar_length > 0 && p.disk_weight > 0 ? p.bar_weight / p.disk_weight : 0;
  if (p.ring_weight > 0 && p.disk_weight > 0)
    m.ring_contrast = p.ring_weight / (p.disk_weight * std::exp(-p.ring_radius / p.disk_scale));
  if (p.companion.weight > 0) {
    const auto& k = p.companion;
    m.companion_ratio = k.weight * sersic_flux(k.re, k.n, k.q);
    m.companion_separation = std::hypot(k.dx, k.dy) / image_size;
  }
  m.clumps = int(p.clumps.size());
  return m;
}

const std::vector<std::string>& latent_names() {
  static const std::vector<std::string> names{
      "bulge_to_total", "cos_inclination", "axis_ratio",    "arms",           "pitch_deg",          "arm_visibility",
      "bar_strength",   "ring_contrast",   "companion_flux_ratio", "companion_separation", "clumps"};
  return names;
}

std::vector<double> latents_row(const MorphologyLatents& m) {
  return {m.bulge_to_total, m.cos_inc,       m.axis_ratio,      double(m.arms),           m.pitch_deg,
          m.arm_visibility, m.bar_strength,  m.ring_contrast,   m.companion_ratio,        m.companion_separation,
          double(m.clumps)};
}

std::vector<double> answer_probabilities(const MorphologyLatents& m, const VoteTree& tree) {
  auto ideal = ideal_answers(m);
  std::vector<double> p(tree.answer_count(), 0.0);
  for (const auto& q : tree.questions()) {
    auto it = std::find_if(ideal.begin(), ideal.end(), [&](const IdealQuestion& i) { return i.name == q.name; });
    if (it == ideal.end())
      throw UsageError(fmt::format("volunteers: no model for question '{}' (the simulated volunteers know the GZ "
                                   "DECaLS questions of data/gz/decals_tree.json)",
                                   q.name));
    double sum = 0;
    for (std::size_t a = 0; a < q.answers.size(); ++a) {
      auto ia = std::find(it->answers.begin(), it->answers.end(), q.answers[a].name);
      if (ia == it->answers.end())
        throw UsageError(fmt::format("volunteers: no model for answer '{}' of question '{}'", q.answers[a].name, q.name));
      sum += p[q.first_answer + a] = it->p[ia - it->answers.begin()];
    }
    for (std::size_t a = 0; a < q.answers.size(); ++a) p[q.first_answer + a] /= sum;
  }
  return p;
}

void VolunteerOptions::validate() const {
  require_positive("min volunteers", min_volunteers);
  require_at_least("max volunteers", max_volunteers, min_volunteers);
  require_positive("volunteer skill a", skill_a);
  require_positive("volunteer skill b", skill_b);
  require_in_range("volunteer confusion", confusion, 0.0, 1.0);
}

VolunteerVotes simulate_votes(const std::vector<double>& probs, const VoteTree& tree, const VolunteerOptions& opt,
                              Rng& rng) {
  if (int(probs.size()) != tree.answer_count())
    throw InternalError(fmt::format("simulate_votes: {} probabilities for {} answers", probs.size(), tree.answer_count()));
  VolunteerVotes out;
  out.counts.assign(tree.answer_count(), 0);
  std::uniform_real_distribution<double> unit(0, 1);
  double lo = std::log(opt.min_volunteers - 0.5), hi = std::log(opt.max_volunteers + 0.5);
  out.volunteers = std::clamp(int(std::lround(std::exp(lo + (hi - lo) * unit(rng)))), opt.min_volunteers,
                              opt.max_volunteers);
  std::gamma_distribution<double> ga(opt.skill_a, 1.0), gb(opt.skill_b, 1.0);
  for (int v = 0; v < out.volunteers; ++v) {
    double x = ga(rng), skill = x / (x + gb(rng));
    for (int q = 0; q >= 0;) {
      const auto& question = tree.questions()[q];
      const int k = int(question.answers.size());
      std::discrete_distribution<int> pick(probs.begin() + question.first_answer,
                                           probs.begin() + question.first_answer + k);
      int a = pick(rng);
      if (unit(rng) < opt.confusion * (1 - skill))
        a = confused_answer(a, probs.data() + question.first_answer, k, question.ordered, rng);
      ++out.counts[question.first_answer + a];
      q = question.answers[a].next_question;
    }
  }
  return out;
}

}  // namespace penumbra
