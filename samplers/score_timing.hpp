#pragma once
// Where a posterior's time goes: wall time and call counts of the prior's score,
// the likelihood's score and the exact final draws (CG on the exact likelihood).
// `sample` subtracts them from its sampling time to get the rest (the sampler's
// arithmetic, noise draws, checkpoints): the overhead that issue 22 bounds at
// 10 % of the network's time, and that nothing else would show.
//
// Always on: two clock reads (~50 ns) are nothing beside a score call (≥ 0.1 ms).
// Relaxed atomics, so concurrent score calls need no lock.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

namespace penumbra {

class CallClock {
 public:
  // Runs f(), adding its wall time, one call and `images` (the batch it scored) to the totals.
  // Calls made while `paused_by` is running are not counted (set_paused_by).
  template <class F>
  auto time(F&& f, std::int64_t images) {
    if (paused_by_ && paused_by_->running()) return std::forward<F>(f)();
    running_.fetch_add(1, std::memory_order_relaxed);
    const auto t0 = std::chrono::steady_clock::now();
    auto out = std::forward<F>(f)();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
    running_.fetch_sub(1, std::memory_order_relaxed);
    ns_.fetch_add(ns.count(), std::memory_order_relaxed);
    calls_.fetch_add(1, std::memory_order_relaxed);
    images_.fetch_add(images, std::memory_order_relaxed);
    return out;
  }
  bool running() const { return running_.load(std::memory_order_relaxed) > 0; }
  // A patch prior's network clock counts the sampler's steps, not the network calls an
  // exact final draw makes inside its own clock (they are that clock's time).
  void set_paused_by(const CallClock* other) { paused_by_ = other; }
  double seconds() const { return 1e-9 * static_cast<double>(ns_.load(std::memory_order_relaxed)); }
  std::int64_t calls() const { return calls_.load(std::memory_order_relaxed); }
  std::int64_t images() const { return images_.load(std::memory_order_relaxed); }
  void reset() {
    ns_ = 0;
    calls_ = 0;
    images_ = 0;
  }

 private:
  std::atomic<std::int64_t> ns_{0}, calls_{0}, images_{0};
  std::atomic<int> running_{0};
  const CallClock* paused_by_ = nullptr;
};

struct ScoreTiming {
  CallClock prior;       // Prior::score through Posterior::score
  CallClock likelihood;  // Likelihood::score through Posterior::score
  CallClock final_draw;  // exact final draws (their own prior and likelihood calls included)
  void reset() {
    prior.reset();
    likelihood.reset();
    final_draw.reset();
  }
};

}  // namespace penumbra
