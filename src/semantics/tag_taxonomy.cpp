#include "src/semantics/tag_taxonomy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <numeric>

#include "src/core/checks.hpp"
#include "src/core/run_folder.hpp"
#include "src/semantics/csv_table.hpp"

namespace penumbra::semantics {

namespace {

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

// Labels 0..k-1 (in order of first leaf) after applying the first `applied` merges.
std::vector<std::size_t> labels_after(const Dendrogram& d, std::size_t applied) {
  std::vector<std::size_t> parent(d.leaves), leaf_of(d.leaves + d.merges.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::iota(leaf_of.begin(), leaf_of.begin() + std::ptrdiff_t(d.leaves), 0);
  for (std::size_t i = 0; i < d.merges.size(); ++i) {
    const Merge& m = d.merges[i];
    leaf_of[d.leaves + i] = leaf_of[m.a];
    if (i < applied) parent[find_root(parent, leaf_of[m.a])] = find_root(parent, leaf_of[m.b]);
  }
  std::vector<std::size_t> label(d.leaves), id(d.leaves, std::numeric_limits<std::size_t>::max());
  std::size_t next = 0;
  for (std::size_t i = 0; i < d.leaves; ++i) {
    std::size_t r = find_root(parent, i);
    if (id[r] == std::numeric_limits<std::size_t>::max()) id[r] = next++;
    label[i] = id[r];
  }
  return label;
}

}  // namespace

std::vector<std::size_t> Dendrogram::cut_to(std::size_t clusters) const {
  require_in_range("number of tags", clusters, std::size_t(1), std::max<std::size_t>(leaves, 1));
  return labels_after(*this, leaves - clusters);
}

std::vector<std::size_t> Dendrogram::cut_at_similarity(double threshold) const {
  if (!(threshold > 0 && threshold <= 1)) fail_check("threshold", "in (0, 1]", threshold);
  std::size_t applied = 0;
  while (applied < merges.size() && 1.0 - merges[applied].distance >= threshold - 1e-12) ++applied;
  return labels_after(*this, applied);
}

Dendrogram agglomerate(const Eigen::MatrixXf& similarity, Linkage linkage) {
  const std::size_t n = std::size_t(similarity.rows());
  Eigen::MatrixXf dist = (1.0f - similarity.array()).matrix();
  std::vector<std::size_t> size(n, 1), node(n);
  std::iota(node.begin(), node.end(), 0);
  std::vector<bool> active(n, true);
  std::vector<std::size_t> chain;
  std::vector<std::pair<Merge, std::size_t>> made;  // merge and its creation order
  Dendrogram d;
  d.leaves = n;
  for (std::size_t remaining = n; remaining > 1;) {
    if (chain.empty())
      chain.push_back(std::size_t(std::find(active.begin(), active.end(), true) - active.begin()));
    const std::size_t a = chain.back();
    const std::size_t prev = chain.size() >= 2 ? chain[chain.size() - 2] : n;
    std::size_t best = prev;
    float best_d = prev < n ? dist(Eigen::Index(a), Eigen::Index(prev)) : std::numeric_limits<float>::infinity();
    for (std::size_t j = 0; j < n; ++j)
      if (active[j] && j != a && dist(Eigen::Index(a), Eigen::Index(j)) < best_d) {
        best = j;
        best_d = dist(Eigen::Index(a), Eigen::Index(j));
      }
    if (best != prev) {
      chain.push_back(best);
      continue;
    }
    chain.pop_back();
    chain.pop_back();
    made.push_back({Merge{node[a], node[prev], double(best_d)}, made.size()});
    // Lance-Williams update; the merged cluster lives in slot `prev`.
    const float wa = float(size[a]), wb = float(size[prev]);
    for (std::size_t k = 0; k < n; ++k) {
      if (!active[k] || k == a || k == prev) continue;
      const float da = dist(Eigen::Index(k), Eigen::Index(a)), db = dist(Eigen::Index(k), Eigen::Index(prev));
      const float v = linkage == Linkage::kComplete ? std::max(da, db) : (wa * da + wb * db) / (wa + wb);
      dist(Eigen::Index(k), Eigen::Index(prev)) = dist(Eigen::Index(prev), Eigen::Index(k)) = v;
    }
    active[a] = false;
    size[prev] += size[a];
    node[prev] = n + made.size() - 1;
    --remaining;
  }
  // Sorted by distance, children before parents; node ids renumbered to the new order.
  std::stable_sort(made.begin(), made.end(),
                   [](const auto& x, const auto& y) { return x.first.distance < y.first.distance; });
  std::vector<std::size_t> new_id(made.size());
  for (std::size_t i = 0; i < made.size(); ++i) new_id[made[i].second] = n + i;
  for (auto& [m, order] : made) {
    if (m.a >= n) m.a = new_id[m.a - n];
    if (m.b >= n) m.b = new_id[m.b - n];
    d.merges.push_back(m);
  }
  return d;
}

TagTaxonomy make_taxonomy(const AnnotationCorpus& corpus, const Eigen::MatrixXf& similarity,
                          const std::vector<std::size_t>& cluster_of_phrase) {
  const std::size_t k = cluster_of_phrase.empty()
                            ? 0
                            : *std::max_element(cluster_of_phrase.begin(), cluster_of_phrase.end()) + 1;
  std::vector<Tag> tags(k);
  for (std::size_t p = 0; p < cluster_of_phrase.size(); ++p) {
    tags[cluster_of_phrase[p]].phrases.push_back(p);
    tags[cluster_of_phrase[p]].count += corpus.phrase_count[p];
  }
  for (Tag& t : tags) {
    std::stable_sort(t.phrases.begin(), t.phrases.end(),
                     [&](std::size_t x, std::size_t y) { return corpus.phrase_count[x] > corpus.phrase_count[y]; });
    // Representative: similar to much of the tag and written often itself
    // (the plain centre of a tag is often a long one-off sentence).
    double best = -1;
    for (std::size_t i : t.phrases) {
      double centrality = 0;
      for (std::size_t j : t.phrases)
        centrality += double(corpus.phrase_count[j]) * similarity(Eigen::Index(i), Eigen::Index(j));
      centrality *= double(corpus.phrase_count[i]);
      if (centrality > best) {
        best = centrality;
        t.name = corpus.phrases[i];
      }
    }
  }
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return tags[x].count > tags[y].count; });
  TagTaxonomy taxonomy;
  taxonomy.tag_of_phrase.resize(cluster_of_phrase.size());
  for (std::size_t r = 0; r < k; ++r) {
    for (std::size_t p : tags[order[r]].phrases) taxonomy.tag_of_phrase[p] = r;
    taxonomy.tags.push_back(std::move(tags[order[r]]));
  }
  return taxonomy;
}

Eigen::MatrixXd subject_tag_counts(const AnnotationCorpus& corpus, const TagTaxonomy& taxonomy) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(Eigen::Index(corpus.subjects.size()), Eigen::Index(taxonomy.tags.size()));
  for (std::size_t s = 0; s < corpus.subjects.size(); ++s)
    for (std::size_t p : corpus.subject_phrases[s]) x(Eigen::Index(s), Eigen::Index(taxonomy.tag_of_phrase[p])) += 1;
  return x;
}

namespace {

std::string members(const AnnotationCorpus& corpus, const Tag& t, const std::string& sep) {
  std::string out;
  for (std::size_t p : t.phrases)
    out += fmt::format("{}{} ({})", out.empty() ? "" : sep, corpus.phrases[p], corpus.phrase_count[p]);
  return out;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  write_atomic(path, [&](const std::filesystem::path& tmp) { std::ofstream(tmp) << text; });
}

}  // namespace

void write_taxonomy_csv(const std::filesystem::path& path, const AnnotationCorpus& corpus, const TagTaxonomy& t) {
  std::string text = "tag,count,phrases\n";
  for (const Tag& tag : t.tags)
    text += fmt::format("{},{},{}\n", csv_field(tag.name), tag.count, csv_field(members(corpus, tag, "; ")));
  write_text(path, text);
}

void write_taxonomy_markdown(const std::filesystem::path& path, const AnnotationCorpus& corpus,
                             const TagTaxonomy& t) {
  std::string text = fmt::format("# Tag taxonomy ({} tags from {} phrases)\n\n| tag | count | phrases |\n|---|---|---|\n",
                                 t.tags.size(), corpus.phrases.size());
  for (const Tag& tag : t.tags) text += fmt::format("| {} | {} | {} |\n", tag.name, tag.count, members(corpus, tag, ", "));
  write_text(path, text);
}

void write_subject_tags_csv(const std::filesystem::path& path, const AnnotationCorpus& corpus,
                            const TagTaxonomy& t) {
  const Eigen::MatrixXd x = subject_tag_counts(corpus, t);
  std::string text = "subject_ids";
  for (const Tag& tag : t.tags) text.append(",").append(csv_field(tag.name));
  text += '\n';
  for (Eigen::Index s = 0; s < x.rows(); ++s) {
    text += csv_field(corpus.subjects[std::size_t(s)]);
    for (Eigen::Index j = 0; j < x.cols(); ++j) text += fmt::format(",{}", x(s, j));
    text += '\n';
  }
  write_text(path, text);
}

}  // namespace penumbra::semantics
