#include "samplers/map_estimate.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <deque>

#include "src/core/errors.hpp"
#include "src/core/log.hpp"

namespace penumbra {
namespace {

struct Evaluation {
  double energy;
  at::Tensor grad;  // flattened
};

Evaluation evaluate(const Posterior& post, const at::Tensor& x, int64_t h, int64_t w) {
  auto img = x.view({1, h, w});
  double e = -post.log_prob(img).item<double>();
  auto g = -post.score(img, 0.0).reshape({-1});
  return {e, g};
}

}  // namespace

MapResult map_estimate(const Posterior& post, const at::Tensor& x0, const MapOptions& o) {
  if (x0.dim() != 2) throw UsageError("map_estimate: the start image must be [H, W]");
  if (!post.has_log_prob()) throw UsageError("map_estimate: prior '" + post.prior().name() + "' has no tractable density");
  const int64_t h = x0.size(0), w = x0.size(1);
  auto x = x0.reshape({-1}).clone();
  if (o.nonnegative) x.clamp_min_(0);
  MapResult r;
  Evaluation cur = evaluate(post, x, h, w);
  if (!std::isfinite(cur.energy)) throw DataError("map_estimate: the energy of the start image is not finite");
  r.energy.push_back(cur.energy);
  std::deque<std::pair<at::Tensor, at::Tensor>> mem;  // (s, y) pairs
  for (int it = 1; it <= o.max_iterations; ++it) {
    // Two-loop recursion: d = −H·g.
    auto q = cur.grad.clone();
    std::vector<double> alpha(mem.size()), rho(mem.size());
    for (int i = static_cast<int>(mem.size()) - 1; i >= 0; --i) {
      rho[i] = 1.0 / mem[i].second.dot(mem[i].first).item<double>();
      alpha[i] = rho[i] * mem[i].first.dot(q).item<double>();
      q -= alpha[i] * mem[i].second;
    }
    if (!mem.empty()) {
      const auto& [s, y] = mem.back();
      q *= s.dot(y).item<double>() / y.dot(y).item<double>();
    } else {
      q *= 1.0 / std::max(1e-300, q.abs().max().item<double>());  // first step: at most one unit per pixel
    }
    for (std::size_t i = 0; i < mem.size(); ++i) {
      double beta = rho[i] * mem[i].second.dot(q).item<double>();
      q += (alpha[i] - beta) * mem[i].first;
    }
    auto d = -q;
    double slope = cur.grad.dot(d).item<double>();
    if (!(slope < 0)) {  // not a descent direction: restart from steepest descent
      mem.clear();
      d = -cur.grad / std::max(1e-300, cur.grad.abs().max().item<double>());
      slope = cur.grad.dot(d).item<double>();
    }
    // Backtracking line search (Armijo).
    double step = 1.0;
    at::Tensor xn;
    Evaluation next{};
    bool ok = false;
    for (int ls = 0; ls < 40; ++ls, step *= 0.5) {
      xn = x + step * d;
      if (o.nonnegative) xn.clamp_min_(0);
      next = evaluate(post, xn, h, w);
      if (std::isfinite(next.energy) && next.energy <= cur.energy + 1e-4 * step * slope) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      if (!std::isfinite(next.energy))
        throw InternalError(fmt::format("map_estimate: non-finite energy at iteration {}", it));
      r.converged = true;  // no further decrease possible at this precision
      break;
    }
    auto s = xn - x, y = next.grad - cur.grad;
    if (s.dot(y).item<double>() > 1e-12 * s.norm().item<double>() * y.norm().item<double>()) {
      mem.emplace_back(s, y);
      if (static_cast<int>(mem.size()) > o.history) mem.pop_front();
    }
    double change = std::abs(cur.energy - next.energy) / std::max(1.0, std::abs(cur.energy));
    x = xn;
    cur = next;
    r.energy.push_back(cur.energy);
    r.iterations = it;
    if (change < o.tolerance) {
      r.converged = true;
      break;
    }
  }
  log().debug("map: {} iterations, energy {:.6g}, converged {}", r.iterations, cur.energy, r.converged);
  r.image = x.view({h, w});
  return r;
}

}  // namespace penumbra
