#include <catch2/catch.hpp>

#include "ops/direction_status.h"

using namespace pgduplex;

TEST_CASE("state_follows_slot_activity_and_worker_row") {
  DirectionStatus s;
  CHECK(DeriveState(s) == "not created");
  s.slot_exists = true;
  CHECK(DeriveState(s) == "stopped");
  s.has_row = true;
  s.row_state = "failed";
  CHECK(DeriveState(s) == "failed");
  s.slot_active = true;
  s.row_state = "streaming";
  CHECK(DeriveState(s) == "streaming");
  s.row_state = "copying";
  CHECK(DeriveState(s) == "copying");
  s.slot_active = false;  // the slot is idle while the initial copy runs
  CHECK(DeriveState(s) == "copying");
}

TEST_CASE("lag_is_heartbeat_delay_while_heartbeats_arrive") {
  DirectionStatus s;
  CHECK_FALSE(ApplyLagSeconds(s, 5).has_value());
  s.heartbeat_age_sec = 3;
  s.heartbeat_delay_sec = 0.2;
  CHECK(*ApplyLagSeconds(s, 5) == Approx(0.2));
}

TEST_CASE("lag_rises_with_heartbeat_age_when_they_stop_arriving") {
  DirectionStatus s;
  s.heartbeat_delay_sec = 0.2;
  s.heartbeat_age_sec = 30;
  CHECK(*ApplyLagSeconds(s, 5) == Approx(30));
  s.heartbeat_age_sec = 60;
  CHECK(*ApplyLagSeconds(s, 5) == Approx(60));
}

TEST_CASE("json_has_state_lag_and_conflict_counts") {
  DirectionStatus s;
  s.direction = "forward";
  s.slot_exists = s.slot_active = s.has_row = true;
  s.row_state = "streaming";
  s.conflicts_total["insert_exists"] = 2;
  s.heartbeat_age_sec = 1;
  s.heartbeat_delay_sec = 0.5;
  auto j = ToJson(s, 5);
  CHECK(j["state"] == "streaming");
  CHECK(j["apply_lag_seconds"].get<double>() == Approx(0.5));
  CHECK(j["conflicts_total"]["insert_exists"] == 2);
  CHECK(j["transactions_per_sec"].is_null());
}

TEST_CASE("last_error_has_its_time_and_is_one_line_in_text_output") {
  DirectionStatus s;
  s.last_error_at = "2026-11-30 06:00:01+00";
  s.last_error = "ERROR:  new row violates check constraint \"c\"\nDETAIL:  Failing row contains (1).\n";
  CHECK(LastErrorLine(s) ==
        "2026-11-30 06:00:01+00: ERROR: new row violates check constraint \"c\" DETAIL: Failing row contains (1).");
  auto j = ToJson(s, 5);
  CHECK(j["last_error_at"] == "2026-11-30 06:00:01+00");
  CHECK(j["last_error"] == s.last_error);
  s.last_error = std::string(1000, 'x');
  CHECK(LastErrorLine(s).size() < 400);
  CHECK_THAT(LastErrorLine(s), Catch::EndsWith("(status --json has all of it)"));
  s.last_error_at.clear();  // written by an older worker
  s.last_error = "boom";
  CHECK(LastErrorLine(s) == "boom");
  CHECK(ToJson(s, 5)["last_error_at"].is_null());
  s.last_error.clear();
  CHECK(ToJson(s, 5)["last_error"].is_null());
}
