#include "run/restart_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/exit_codes.h"

namespace pgduplex {

RestartDecision RestartPolicy::Decide(const ChildExit& exit) {
  if (exit.signaled) return RestartDecision::kRestart;
  if (exit.code == kExitUsage || exit.code == kExitConflict || exit.code == kExitFatal) {
    return RestartDecision::kGiveUp;
  }
  return RestartDecision::kRestart;
}

std::string RestartPolicy::Describe(const ChildExit& exit) {
  if (exit.signaled) return fmt::format("killed by signal {} ({})", exit.signal, strsignal(exit.signal));
  switch (exit.code) {
    case kExitOk: return "exited 0";
    case kExitUsage: return "exited 2: bad configuration or usage";
    case kExitConflict: return "exited 3: stopped on a conflict under policy fail";
    case kExitFatal: return "exited 4: fatal error or retry window exhausted";
    default: return fmt::format("exited {}", exit.code);
  }
}

std::chrono::seconds RestartPolicy::NextBackoff(std::chrono::steady_clock::duration ran_for) {
  if (ran_for >= kStableAfter || backoff_.count() == 0) {
    backoff_ = kInitialBackoff;
  } else {
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }
  return backoff_;
}

}  // namespace pgduplex
