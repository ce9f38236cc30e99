#include "ops/direction_status.h"

#include <algorithm>

#include "common/message_text.h"

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
      {"slot_retained_wal_bytes", s.slot_retained_wal_bytes},
      {"applied_transactions", s.applied_transactions},
      {"applied_changes", s.applied_changes},
      {"conflicts_since_start", s.conflicts_since_start},
      {"conflicts_total", s.conflicts_total},
      {"conflicts_last_hour", s.conflicts_last_hour},
      {"origin_progress", s.origin_progress},
  };
  auto lag = ApplyLagSeconds(s, heartbeat_interval_sec);
  out["apply_lag_seconds"] = lag ? nlohmann::json(*lag) : nlohmann::json(nullptr);
  out["transactions_per_sec"] = s.transactions_per_sec ? nlohmann::json(*s.transactions_per_sec) : nullptr;
  out["changes_per_sec"] = s.changes_per_sec ? nlohmann::json(*s.changes_per_sec) : nullptr;
  out["last_error"] = s.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_error);
  out["last_error_at"] = s.last_error.empty() || s.last_error_at.empty() ? nlohmann::json(nullptr)
                                                                          : nlohmann::json(s.last_error_at);
  if (!s.error.empty()) out["error"] = s.error;
  return out;
}

std::string LastErrorLine(const DirectionStatus& s) {
  constexpr size_t kMaxChars = 300;
  std::string line = OneLine(s.last_error);
  if (line.size() > kMaxChars) {
    size_t cut = kMaxChars;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
    line = line.substr(0, cut) + " ... (status --json has all of it)";
  }
  return s.last_error_at.empty() ? line : s.last_error_at + ": " + line;
}

}  // namespace pgduplex
