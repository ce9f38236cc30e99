#include "apply/retry_policy.h"

#include <algorithm>

namespace pgduplex {

RetryPolicy::RetryPolicy(const RetryConfig& config)
    : windows_{std::chrono::minutes(config.connection_retry_minutes),
               std::chrono::minutes(config.error_retry_minutes)} {}

std::optional<std::chrono::milliseconds> RetryPolicy::OnFailure(FailureKind kind, Clock::time_point now) {
  if (streaming_since_ && now - *streaming_since_ >= kStableAfter) OnProgress();
  streaming_since_.reset();
  int k = static_cast<int>(kind);
  if (!streak_start_[k]) streak_start_[k] = now;
  auto window_end = *streak_start_[k] + windows_[k];
  if (now >= window_end) return std::nullopt;
  std::chrono::milliseconds delay = kFirstDelay * (1LL << std::min(attempts_, 5));
  delay = std::min(delay, kMaxDelay);
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(window_end - now);
  ++attempts_;
  return std::min(delay, remaining);
}

void RetryPolicy::OnProgress() {
  streak_start_[0].reset();
  streak_start_[1].reset();
  attempts_ = 0;
}

void RetryPolicy::OnStreaming(Clock::time_point now) { streaming_since_ = now; }

int RetryPolicy::WindowMinutes(FailureKind kind) const {
  return static_cast<int>(windows_[static_cast<int>(kind)].count());
}

}  // namespace pgduplex
