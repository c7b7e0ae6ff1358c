#include "src/datasets/vote_dataset.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/progress.hpp"
#include "src/core/threads.hpp"
#include "src/datasets/colour_galaxy.hpp"
#include "src/io/hdf5_store.hpp"

namespace penumbra {

namespace {

constexpr std::uint64_t kVoteStream = 0x707E5ull;  // the volunteers' streams, apart from the images'

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// Items [first, first+n) on `threads` threads into the chunk buffers.
void make_chunk(const GzVoteOptions& opt, const VoteTree& tree, std::uint64_t seed, std::int64_t first,
                std::int64_t n, int threads, std::vector<float>& images, std::vector<std::int32_t>& votes,
                Array<double>& params) {
  const std::size_t pixels = std::size_t(opt.grey ? 1 : kColourBands) * opt.galaxy.size * opt.galaxy.size;
  const std::size_t answers = tree.answer_count(), np = params.shape[1];
  images.resize(std::size_t(n) * pixels);
  auto work = [&](int t) {
    for (std::int64_t i = t; i < n; i += threads) {
      auto item = make_gz_vote_item(opt, tree, seed, first + i);
      std::copy(item.image.begin(), item.image.end(), images.begin() + i * pixels);
      std::copy(item.votes.begin(), item.votes.end(), votes.begin() + (first + i) * answers);
      std::copy(item.params.begin(), item.params.end(), params.data.begin() + (first + i) * np);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
}

}  // namespace

void GzVoteOptions::validate() const {
  require_positive("count", count);
  galaxy.validate();
  volunteers.validate();
}

std::vector<std::string> gz_vote_param_names() {
  auto names = latent_names();
  names.insert(names.end(), {"kind", "peak", "volunteers"});
  return names;
}

GzVoteItem make_gz_vote_item(const GzVoteOptions& opt, const VoteTree& tree, std::uint64_t seed, std::int64_t i) {
  auto rng = make_rng(seed, std::uint64_t(i));
  GalaxyKind kind;
  GalaxyParams p = sample_gz_galaxy(rng, opt.galaxy, &kind);
  GzVoteItem item;
  item.image = opt.grey ? render_galaxy(p, opt.galaxy, rng) : render_colour_galaxy(p, opt.galaxy, rng);
  auto latents = morphology_latents(p, opt.galaxy.size);
  auto vote_rng = make_rng(derive_seed(seed, kVoteStream), std::uint64_t(i));
  auto votes = simulate_votes(answer_probabilities(latents, tree), tree, opt.volunteers, vote_rng);
  item.votes = std::move(votes.counts);
  item.params = latents_row(latents);
  item.params.insert(item.params.end(), {double(int(kind)), p.peak, double(votes.volunteers)});
  return item;
}

std::vector<QuestionSummary> write_vote_dataset(const std::filesystem::path& path, const GzVoteOptions& opt,
                                                const VoteTree& tree, std::uint64_t seed, const std::string& source,
                                                int threads) {
  opt.validate();
  answer_probabilities(MorphologyLatents{}, tree);  // a tree the volunteers cannot answer fails before any work
  if (threads <= 0) threads = thread_count();
  const int channels = opt.grey ? 1 : kColourBands, n = opt.galaxy.size;
  const std::size_t count = std::size_t(opt.count), answers = tree.answer_count();
  std::vector<std::int32_t> votes(count * answers);
  const auto names = gz_vote_param_names();
  Array<double> params{std::vector<double>(count * names.size()), {count, names.size()}};
  Hdf5Store store(path, Hdf5Store::Mode::kCreate);
  store.create_stack("/images", {std::size_t(channels), std::size_t(n), std::size_t(n)});
  Progress bar("dataset gz-votes", opt.count, "img");
  std::vector<float> chunk;
  const std::int64_t step = 512;
  for (std::int64_t first = 0; first < opt.count; first += step) {
    std::int64_t m = std::min(step, opt.count - first);
    make_chunk(opt, tree, seed, first, m, std::max(1, std::min<int>(threads, int(m))), chunk, votes, params);
    store.append("/images", chunk.data(), std::size_t(m));
    bar.tick(m);
  }
  bar.finish();
  store.set_attr("/images", "bands", opt.grey ? std::string("grey") : std::string(kColourBandNames));
  store.set_attr("/images", "normalisation", "peak");
  store.write("/votes", Array<std::int64_t>{{votes.begin(), votes.end()}, {count, answers}});
  store.set_attr("/votes", "columns", join(tree.answer_names()));
  store.write("/params", params);
  store.set_attr("/params", "columns", join(names));
  store.set_attr("/", "tree", tree.to_json().dump());
  store.set_attr("/", "kind", "gz-votes");
  store.set_attr("/", "source", source);
  return summarise_votes(votes, opt.count, tree);
}

std::vector<QuestionSummary> summarise_votes(const std::vector<std::int32_t>& votes, std::int64_t count,
                                             const VoteTree& tree) {
  const int answers = tree.answer_count();
  if (std::int64_t(votes.size()) != count * answers)
    throw InternalError(fmt::format("summarise_votes: {} counts for {} galaxies of {} answers", votes.size(), count,
                                    answers));
  std::vector<QuestionSummary> out;
  for (const auto& q : tree.questions()) {
    QuestionSummary s{q.name, 0, 0, std::vector<double>(q.answers.size(), 0.0)};
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int32_t* v = votes.data() + i * answers + q.first_answer;
      double n = 0;
      for (std::size_t a = 0; a < q.answers.size(); ++a) n += v[a];
      if (n == 0) continue;
      s.reached += 1;
      s.mean_votes += n;
      for (std::size_t a = 0; a < q.answers.size(); ++a) s.mean_fractions[a] += v[a] / n;
    }
    if (s.reached > 0) {
      s.mean_votes /= s.reached;
      for (auto& f : s.mean_fractions) f /= s.reached;
    }
    s.reached /= double(std::max<std::int64_t>(count, 1));
    out.push_back(s);
  }
  return out;
}

namespace {

// Votes [count][answers] of rows [first, first+count), checked to be non-negative integers.
std::vector<std::int32_t> read_votes(const Hdf5Store& store, const VoteTree& tree, std::int64_t first,
                                     std::int64_t count, const std::string& file) {
  auto shape = store.shape("/votes");
  if (shape.size() != 2 || shape[1] != std::size_t(tree.answer_count()))
    throw DataError(fmt::format("{}: /votes has shape [{}] but the tree has {} answers", file,
                                fmt::join(shape, ", "), tree.answer_count()));
  auto raw = store.read_rows("/votes", std::size_t(first), std::size_t(count));
  std::vector<std::int32_t> votes(raw.data.size());
  const std::size_t answers = shape[1];
  for (std::size_t k = 0; k < raw.data.size(); ++k) {
    float v = raw.data[k];
    if (!(v >= 0) || v != std::floor(v))
      throw DataError(fmt::format("{}: /votes row {} answer {} is {}; vote counts must be non-negative integers", file,
                                  first + std::int64_t(k / answers), tree.answer_name(int(k % answers)), v));
    votes[k] = std::int32_t(v);
  }
  return votes;
}

VoteTree read_tree(const Hdf5Store& store, const std::string& file) {
  if (!store.has_attr("/", "tree")) throw DataError(file + ": no \"tree\" attribute (not a gz-votes file?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(store.attr_string("/", "tree"));
  } catch (const nlohmann::json::parse_error&) {
    throw DataError(file + ": the \"tree\" attribute is not valid JSON");
  }
  return VoteTree::from_json(j, file + " tree attribute");
}

}  // namespace

VoteDataset read_vote_dataset(const std::filesystem::path& path, std::int64_t first, std::int64_t count) {
  if (!std::filesystem::exists(path)) throw MissingInputError(path.string() + ": no such file");
  const std::string file = path.string();
  Hdf5Store store(path, Hdf5Store::Mode::kRead);
  for (const char* name : {"/images", "/votes"})
    if (!store.has(name)) throw DataError(fmt::format("{}: missing dataset {} (not a gz-votes file?)", file, name));
  VoteDataset d;
  d.tree = read_tree(store, file);
  auto ishape = store.shape("/images");
  if (ishape.size() != 4 || ishape[2] != ishape[3])
    throw DataError(fmt::format("{}: /images has shape [{}]; expected [N, channels, size, size]", file,
                                fmt::join(ishape, ", ")));
  const std::int64_t total = std::int64_t(ishape[0]);
  if (std::int64_t(store.shape("/votes")[0]) != total)
    throw DataError(fmt::format("{}: {} images but {} vote rows", file, total, store.shape("/votes")[0]));
  if (count < 0) count = total - first;
  if (first < 0 || count < 0 || first + count > total)
    throw UsageError(fmt::format("{}: items [{}, {}) requested but it has {}", file, first, first + count, total));
  d.count = count;
  d.channels = int(ishape[1]);
  d.size = int(ishape[2]);
  d.votes = read_votes(store, d.tree, first, count, file);
  d.images = store.read_rows("/images", std::size_t(first), std::size_t(count)).data;
  if (store.has("/params")) {
    auto p = store.read_double("/params");
    const std::size_t width = p.shape.size() == 2 ? p.shape[1] : 0;
    if (p.shape.size() != 2 || p.shape[0] != std::size_t(total))
      throw DataError(fmt::format("{}: /params has shape [{}]; expected [{}, P]", file, fmt::join(p.shape, ", "), total));
    d.params.assign(p.data.begin() + first * width, p.data.begin() + (first + count) * width);
    if (store.has_attr("/params", "columns")) {
      std::string cols = store.attr_string("/params", "columns");
      for (std::size_t a = 0, b; a <= cols.size(); a = b + 1) {
        b = std::min(cols.find(',', a), cols.size());
        d.param_names.push_back(cols.substr(a, b - a));
      }
    }
  }
  return d;
}

}  // namespace penumbra
