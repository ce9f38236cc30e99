#include <catch2/catch.hpp>

#include "ops/health_check.h"

using namespace pgduplex;

namespace {

DirectionStatus Streaming(const char* direction = "forward") {
  DirectionStatus s;
  s.direction = direction;
  s.source = std::string(direction) == "forward" ? "a" : "b";
  s.target = std::string(direction) == "forward" ? "b" : "a";
  s.slot_exists = s.slot_active = s.has_row = true;
  s.row_state = "streaming";
  s.heartbeat_age_sec = 1;
  s.heartbeat_delay_sec = 0.3;
  return s;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a_streaming_direction_within_every_threshold_has_no_problem") {
  AlertsConfig alerts;
  CHECK(HealthProblems(Streaming(), alerts, 5).empty());
  DirectionStatus copying = Streaming();
  copying.row_state = "copying";
  copying.slot_active = false;
  copying.heartbeat_age_sec = 100000;  // no heartbeat is applied during the copy: lag is not judged
  CHECK(HealthProblems(copying, alerts, 5).empty());
  CHECK(HealthOkLine("shop", {Streaming(), Streaming("reverse")}, 5) ==
        "OK task shop: forward streaming, apply lag 0.3 s; reverse streaming, apply lag 0.3 s");
}

TEST_CASE("a_stopped_direction_is_one_line_naming_it_with_its_last_error") {
  DirectionStatus s = Streaming("reverse");
  s.slot_active = false;
  s.row_state = "stopped";
  auto lines = HealthProblems(s, AlertsConfig{}, 5);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "reverse (b -> a): not streaming (stopped)");
  s.last_error = "connection refused";
  s.last_error_at = "2026-01-01 00:00:00+00";
  lines = HealthProblems(s, AlertsConfig{}, 5);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "reverse (b -> a): not streaming (stopped); last error 2026-01-01 00:00:00+00: connection refused");
}

TEST_CASE("failed_not_created_and_unreadable_directions_are_problems") {
  DirectionStatus failed = Streaming();
  failed.slot_active = false;
  failed.row_state = "failed";
  CHECK(HealthProblems(failed, AlertsConfig{}, 5) == std::vector<std::string>{"forward (a -> b): failed"});
  DirectionStatus none;
  none.direction = "forward", none.source = "a", none.target = "b";
  CHECK(HealthProblems(none, AlertsConfig{}, 5) ==
        std::vector<std::string>{"forward (a -> b): not streaming (not created)"});
  none.error = "cluster a: connection refused\nis the server running?";
  auto lines = HealthProblems(none, AlertsConfig{}, 5);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "forward (a -> b): cannot read: cluster a: connection refused is the server running?");
  CHECK(lines[1] == "forward (a -> b): not streaming (unknown)");
}

TEST_CASE("lag_above_max_lag_sec_is_a_problem_and_at_it_is_not") {
  AlertsConfig alerts;
  alerts.max_lag_sec = 10;
  DirectionStatus s = Streaming();
  s.heartbeat_delay_sec = 10;
  CHECK(HealthProblems(s, alerts, 5).empty());
  s.heartbeat_delay_sec = 10.5;
  auto lines = HealthProblems(s, alerts, 5);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "forward (a -> b): apply lag 10.5 s is above alerts.max_lag_sec = 10");
  // Heartbeats stopped arriving: the lag is their age, and it is judged too.
  s = Streaming();
  s.heartbeat_age_sec = 60;
  lines = HealthProblems(s, alerts, 5);
  REQUIRE(lines.size() == 1);
  CHECK(Contains(lines[0], "apply lag 60.0 s"));
}

TEST_CASE("retained_wal_and_conflicts_above_their_thresholds_are_one_line_each") {
  AlertsConfig alerts;
  alerts.max_retained_wal_mb = 100;
  alerts.max_conflicts_per_hour = 0;
  DirectionStatus s = Streaming();
  s.slot_retained_wal_bytes = 100LL * 1024 * 1024;
  CHECK(HealthProblems(s, alerts, 5).empty());
  s.slot_retained_wal_bytes = 300LL * 1024 * 1024;
  s.conflicts_last_hour = 2;
  auto lines = HealthProblems(s, alerts, 5);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "forward (a -> b): slot retains 300 MiB of WAL on a, above alerts.max_retained_wal_mb = 100");
  CHECK(lines[1] == "forward (a -> b): 2 conflicts in the last hour, above alerts.max_conflicts_per_hour = 0");
}

TEST_CASE("a_stopped_direction_lagging_and_retaining_wal_lists_every_problem") {
  AlertsConfig alerts;
  alerts.max_lag_sec = 5;
  alerts.max_retained_wal_mb = 1;
  DirectionStatus s = Streaming();
  s.slot_active = false;
  s.row_state = "stopped";
  s.heartbeat_age_sec = 40;
  s.slot_retained_wal_bytes = 2 * 1024 * 1024;
  auto lines = HealthProblems(s, alerts, 5);
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines) CHECK(Contains(line, "forward (a -> b): "));
}
