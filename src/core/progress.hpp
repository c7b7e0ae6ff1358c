#pragma once
// Progress of long work: a bar with rate and ETA on a terminal, and a log line
// every 10 % (at most every 30 s) when stderr is not a terminal (CI, files).
#include <chrono>
#include <cstdint>
#include <string>

namespace penumbra {

class Progress {
 public:
  Progress(std::string label, std::int64_t total, std::string unit = "it");
  ~Progress();
  // Advances by `n` and redraws at most ~10 times a second. `extra` is shown after the bar
  // (e.g. "loss 0.031").
  void tick(std::int64_t n = 1, const std::string& extra = "");
  void set_done(std::int64_t done) { done_ = done; }
  void finish();
  std::int64_t done() const { return done_; }

 private:
  void draw(const std::string& extra, bool final);
  std::string label_, unit_;
  std::int64_t total_, done_ = 0, start_done_ = -1;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int last_decile_ = -1;
};

// "1h02m", "3m05s", "12s".
std::string format_seconds(double s);

}  // namespace penumbra
