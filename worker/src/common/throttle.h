// Throttle: keeps a stream of work under a rows/s and a bytes/s limit.
//
// Contract: Admit(rows, bytes) sleeps as long as needed so that the average
// rate since the throttle started (over a sliding one-second budget) stays
// under both limits. A limit of 0 means unlimited; with both 0, Admit never
// sleeps. Not thread-safe: one per stream.
#pragma once

#include <chrono>
#include <cstdint>

namespace pgduplex {

class Throttle {
 public:
  using Clock = std::chrono::steady_clock;

  Throttle(double max_rows_per_sec, double max_bytes_per_sec);

  // Returns how long it slept.
  Clock::duration Admit(uint64_t rows, uint64_t bytes);
  // The wait Admit would impose, without sleeping (for tests and logs).
  Clock::duration WaitFor(uint64_t rows, uint64_t bytes, Clock::time_point now);
  bool unlimited() const { return max_rows_ <= 0 && max_bytes_ <= 0; }

 private:
  double max_rows_;
  double max_bytes_;
  // Token buckets, each holding at most one second of budget.
  double row_tokens_;
  double byte_tokens_;
  Clock::time_point last_;
};

}  // namespace pgduplex
