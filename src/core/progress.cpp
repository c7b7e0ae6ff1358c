#include "src/core/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "src/core/log.hpp"

namespace penumbra {

std::string format_seconds(double s) {
  if (!(s >= 0) || s > 1e8) return "--";
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

Progress::Progress(std::string label, std::int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(isatty(STDERR_FILENO)) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (!finished_ && tty_) std::fputc('\n', stderr);
}

void Progress::tick(std::int64_t n, const std::string& extra) {
  if (start_done_ < 0) start_done_ = done_;  // resumed runs: rate counts only this run's work
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  bool complete = total_ > 0 && done_ >= total_;
  if (tty_) {
    if (complete || now - last_draw_ > std::chrono::milliseconds(100)) {
      last_draw_ = now;
      draw(extra, complete);
    }
  } else {
    int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 0;
    if (decile != last_decile_ && (complete || now - last_draw_ > std::chrono::seconds(30) || decile > last_decile_)) {
      last_decile_ = decile;
      last_draw_ = now;
      draw(extra, complete);
    }
  }
  if (complete) finish();
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (tty_) std::fputc('\n', stderr);
}

void Progress::draw(const std::string& extra, bool) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? (done_ - start_done_) / elapsed : 0;
  double eta = rate > 0 && total_ > 0 ? (total_ - done_) / rate : -1;
  double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 0;
  std::string tail = fmt::format("{}/{} {:.3g} {}/s ETA {} {}", done_, total_, rate, unit_, format_seconds(eta), extra);
  if (tty_) {
    int width = 30, filled = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %s\x1b[K", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<int>(100 * frac), tail.c_str());
    std::fflush(stderr);
  } else {
    log().info("{} {:3d}% {}", label_, static_cast<int>(100 * frac), tail);
  }
}

}  // namespace penumbra
