#include "common/throttle.h"

#include <algorithm>
#include <thread>

namespace pgduplex {

Throttle::Throttle(double max_rows_per_sec, double max_bytes_per_sec)
    : max_rows_(max_rows_per_sec),
      max_bytes_(max_bytes_per_sec),
      row_tokens_(max_rows_per_sec),
      byte_tokens_(max_bytes_per_sec),
      last_(Clock::now()) {}

Throttle::Clock::duration Throttle::WaitFor(uint64_t rows, uint64_t bytes, Clock::time_point now) {
  double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  double wait = 0;
  if (max_rows_ > 0) {
    row_tokens_ = std::min(max_rows_, row_tokens_ + elapsed * max_rows_) - static_cast<double>(rows);
    if (row_tokens_ < 0) wait = std::max(wait, -row_tokens_ / max_rows_);
  }
  if (max_bytes_ > 0) {
    byte_tokens_ = std::min(max_bytes_, byte_tokens_ + elapsed * max_bytes_) - static_cast<double>(bytes);
    if (byte_tokens_ < 0) wait = std::max(wait, -byte_tokens_ / max_bytes_);
  }
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait));
}

Throttle::Clock::duration Throttle::Admit(uint64_t rows, uint64_t bytes) {
  if (unlimited()) return Clock::duration::zero();
  Clock::duration wait = WaitFor(rows, bytes, Clock::now());
  if (wait > Clock::duration::zero()) {
    std::this_thread::sleep_for(wait);
    // The debt is paid by the sleep: the tokens refill during it.
  }
  return wait;
}

}  // namespace pgduplex
