#include "ops/health_check.h"

#include <fmt/format.h>

#include "common/message_text.h"

namespace pgduplex {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string Prefix(const DirectionStatus& s) {
  return fmt::format("{} ({} -> {}): ", s.direction, s.source, s.target);
}

// The state line: empty when the state is one the direction may be in.
std::string StateProblem(const DirectionStatus& s, const std::string& state) {
  if (state == "streaming" || state == "copying") return "";
  std::string line = state == "failed" ? "failed" : fmt::format("not streaming ({})", state);
  if (!s.last_error.empty()) line += "; last error " + LastErrorLine(s);
  return line;
}

std::string LagText(const DirectionStatus& s, double heartbeat_interval_sec) {
  auto lag = ApplyLagSeconds(s, heartbeat_interval_sec);
  return lag ? fmt::format("apply lag {:.1f} s", *lag) : "apply lag unknown";
}

}  // namespace

std::vector<std::string> HealthProblems(const DirectionStatus& s, const AlertsConfig& alerts,
                                        double heartbeat_interval_sec) {
  std::vector<std::string> lines;
  const std::string prefix = Prefix(s);
  if (!s.error.empty()) lines.push_back(prefix + "cannot read: " + OneLine(s.error));
  const std::string state = DeriveState(s);
  if (std::string problem = StateProblem(s, state); !problem.empty()) lines.push_back(prefix + problem);
  auto lag = ApplyLagSeconds(s, heartbeat_interval_sec);
  if (state != "copying" && lag && *lag > alerts.max_lag_sec) {
    lines.push_back(prefix + fmt::format("apply lag {:.1f} s is above alerts.max_lag_sec = {}", *lag,
                                         alerts.max_lag_sec));
  }
  if (s.slot_retained_wal_bytes > alerts.max_retained_wal_mb * kMiB) {
    lines.push_back(prefix + fmt::format("slot retains {:.0f} MiB of WAL on {}, above alerts.max_retained_wal_mb = {}",
                                         s.slot_retained_wal_bytes / kMiB, s.source, alerts.max_retained_wal_mb));
  }
  if (s.conflicts_last_hour > static_cast<uint64_t>(alerts.max_conflicts_per_hour)) {
    lines.push_back(prefix + fmt::format("{} conflicts in the last hour, above alerts.max_conflicts_per_hour = {}",
                                         s.conflicts_last_hour, alerts.max_conflicts_per_hour));
  }
  return lines;
}

std::string HealthOkLine(const std::string& task, const std::vector<DirectionStatus>& statuses,
                         double heartbeat_interval_sec) {
  std::string out = fmt::format("OK task {}:", task);
  for (size_t i = 0; i < statuses.size(); ++i) {
    out += fmt::format("{} {} {}, {}", i == 0 ? "" : ";", statuses[i].direction, DeriveState(statuses[i]),
                       LagText(statuses[i], heartbeat_interval_sec));
  }
  return out;
}

}  // namespace pgduplex
