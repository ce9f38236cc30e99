// RestartPolicy: what `pgduplex up` does when a direction's process ends.
//
// Contract: Decide() is pure. A clean exit while not stopping, a crash or a
// signal → restart after Backoff(); exit codes that mean "this will fail the
// same way again" (2 config/usage, 3 conflict under fail, 4 retry window
// exhausted) → give up, and the whole pair stops with that code.
// Backoff doubles from 1 s up to 60 s, and starts over once a process has
// stayed up for a minute.
#pragma once

#include <chrono>
#include <string>

namespace pgduplex {

struct ChildExit {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // signal number when signaled
};

enum class RestartDecision { kRestart, kGiveUp };

class RestartPolicy {
 public:
  static constexpr std::chrono::seconds kInitialBackoff{1};
  static constexpr std::chrono::seconds kMaxBackoff{60};
  static constexpr std::chrono::seconds kStableAfter{60};

  static RestartDecision Decide(const ChildExit& exit);
  static std::string Describe(const ChildExit& exit);

  // Delay before the next start, given how long the last run lasted.
  std::chrono::seconds NextBackoff(std::chrono::steady_clock::duration ran_for);

 private:
  std::chrono::seconds backoff_{0};
};

}  // namespace pgduplex
