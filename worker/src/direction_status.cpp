#include "direction_status.h"

#include <algorithm>

namespace pgduplex {

std::string DeriveState(const DirectionStatus& s) {
  if (!s.error.empty() && !s.slot_exists && !s.has_row) return "unknown";
  // During the initial copy the slot exists but is idle: trust the row.
  if (s.has_row && s.row_state == "copying") return "copying";
  if (s.slot_active) return "streaming";
  if (s.has_row && s.row_state == "failed") return "failed";
  if (!s.slot_exists && !s.has_row) return "not created";
  return "stopped";
}

std::optional<double> ApplyLagSeconds(const DirectionStatus& s, double heartbeat_interval_sec) {
  if (!s.heartbeat_age_sec) return std::nullopt;
  // A heartbeat is due every interval; allow two intervals plus a little
  // before deciding they stopped arriving.
  double fresh_window = 2 * heartbeat_interval_sec + 1;
  if (*s.heartbeat_age_sec <= fresh_window && s.heartbeat_delay_sec) {
    return std::max(0.0, *s.heartbeat_delay_sec);
  }
  return std::max(0.0, *s.heartbeat_age_sec);
}

nlohmann::json ToJson(const DirectionStatus& s, double heartbeat_interval_sec) {
  nlohmann::json out = {
      {"direction", s.direction},
      {"source", s.source},
      {"target", s.target},
      {"state", DeriveState(s)},
      {"slot_exists", s.slot_exists},
      {"slot_active", s.slot_active},
      {"slot_lag_bytes", s.slot_lag_bytes},
      {"applied_transactions", s.applied_transactions},
      {"applied_changes", s.applied_changes},
      {"conflicts_since_start", s.conflicts_since_start},
      {"conflicts_total", s.conflicts_total},
      {"origin_progress", s.origin_progress},
  };
  auto lag = ApplyLagSeconds(s, heartbeat_interval_sec);
  out["apply_lag_seconds"] = lag ? nlohmann::json(*lag) : nlohmann::json(nullptr);
  out["transactions_per_sec"] = s.transactions_per_sec ? nlohmann::json(*s.transactions_per_sec) : nullptr;
  out["changes_per_sec"] = s.changes_per_sec ? nlohmann::json(*s.changes_per_sec) : nullptr;
  out["last_error"] = s.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_error);
  if (!s.error.empty()) out["error"] = s.error;
  return out;
}

}  // namespace pgduplex
