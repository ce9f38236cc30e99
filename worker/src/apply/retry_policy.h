// RetryPolicy: how long `pgduplex run` keeps retrying after a failure.
//
// Two windows, as in the reference product: connection failures (either
// cluster unreachable, connection lost) are retried for
// retry.connection_retry_minutes, any other error for
// retry.error_retry_minutes. A window starts at the first failure of its
// kind since the last progress, and a window of 0 gives up at the first
// failure. Waits grow 1 s, 2 s, 4 s ... up to 30 s and never run past the
// window's end. Progress, which starts both windows and the waits afresh:
// a committed batch, a finished initial copy (OnProgress), or streaming
// that lasted kStableAfter before this failure (OnStreaming): so a
// direction that fails once after a long good run waits 1 s, while one that
// fails right after every start keeps backing off and gives up in time.
//
// Contract: pure; the caller passes the clock.
#pragma once

#include <chrono>
#include <optional>

#include "common/config.h"

namespace pgduplex {

enum class FailureKind { kConnection = 0, kOther = 1 };

class RetryPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirstDelay{1000};
  static constexpr std::chrono::milliseconds kMaxDelay{30000};
  static constexpr std::chrono::seconds kStableAfter{60};

  explicit RetryPolicy(const RetryConfig& config);

  // The wait before the next attempt, or nullopt: give up.
  std::optional<std::chrono::milliseconds> OnFailure(FailureKind kind, Clock::time_point now);
  // Progress was made: the next failure starts a fresh window.
  void OnProgress();
  // Streaming started now; the next failure counts as progress first if it
  // comes kStableAfter or later.
  void OnStreaming(Clock::time_point now);
  // Minutes of the window of this kind (for messages).
  int WindowMinutes(FailureKind kind) const;

 private:
  std::chrono::minutes windows_[2];
  std::optional<Clock::time_point> streak_start_[2];
  int attempts_ = 0;
  std::optional<Clock::time_point> streaming_since_;
};

}  // namespace pgduplex
