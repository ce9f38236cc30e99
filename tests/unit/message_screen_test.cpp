#include <catch2/catch.hpp>

#include "wire/message_screen.h"

using namespace pgduplex;

namespace {
constexpr PgTimestamp kNow = 817862400LL * 1000000;  // 2025-12-01
constexpr PgTimestamp kDay = 24LL * 3600 * 1000000;

v1::LogicalMessage Message(const std::string& prefix, const std::string& content) {
  v1::LogicalMessage m;
  m.set_prefix(prefix);
  m.set_content(content);
  m.set_transactional(false);
  m.set_lsn(0x16B3748);
  return m;
}

v1::Heartbeat Beat(const std::string& task, PgTimestamp source_time) {
  v1::Heartbeat h;
  h.set_task(task);
  h.set_source_time(source_time);
  return h;
}

MessageScreen::Clock::time_point At(int seconds) {
  return MessageScreen::Clock::time_point{} + std::chrono::seconds(seconds);
}
}  // namespace

TEST_CASE("heartbeats_of_this_task_with_a_sane_clock_are_used") {
  std::atomic<uint64_t> total{0};
  MessageScreen screen("t1", &total);
  for (PgTimestamp clock : {kNow, kNow - 400 * kDay, PgTimestamp{0}, kNow + kDay}) {
    auto out = screen.OnHeartbeat(Beat("t1", clock), kNow, At(0));
    REQUIRE(out.heartbeat);
    CHECK(*out.heartbeat == clock);
    CHECK_FALSE(out.warning);
  }
  // No task: a heartbeat for whoever reads the slot.
  CHECK(screen.OnHeartbeat(Beat("", kNow), kNow, At(0)).heartbeat);
  auto out = screen.OnMessage(Message("pgduplex.heartbeat", "t1|" + std::to_string(kNow - 5)), kNow, At(0));
  REQUIRE(out.heartbeat);
  CHECK(*out.heartbeat == kNow - 5);
  CHECK(total == 0);
}

TEST_CASE("another_tasks_heartbeat_is_ignored_and_not_counted") {
  std::atomic<uint64_t> total{0};
  MessageScreen screen("t1", &total);
  auto out = screen.OnHeartbeat(Beat("t2", INT64_MAX), kNow, At(0));
  CHECK_FALSE(out.heartbeat);
  CHECK_FALSE(out.warning);
  out = screen.OnMessage(Message("pgduplex.heartbeat", "t1x|5"), kNow, At(0));
  CHECK_FALSE(out.heartbeat);
  CHECK_FALSE(out.warning);
  CHECK(total == 0);
}

TEST_CASE("out_of_range_heartbeat_clocks_are_forgeries") {
  std::atomic<uint64_t> total{0};
  MessageScreen screen("t1", &total);
  // The attack of issue 8: 't1|9223372036854775807' stopped the direction.
  auto out = screen.OnHeartbeat(Beat("t1", INT64_MAX), kNow, At(0));
  CHECK_FALSE(out.heartbeat);
  REQUIRE(out.warning);
  CHECK_THAT(*out.warning, Catch::Contains("forged") && Catch::Contains("pgduplex.heartbeat") &&
                               Catch::Contains("9223372036854775807") && Catch::Contains("out of range"));
  for (PgTimestamp clock : {INT64_MIN, PgTimestamp{-1}, kNow + kDay + 1}) {
    INFO(clock);
    CHECK_FALSE(screen.OnHeartbeat(Beat("t1", clock), kNow, At(1)).heartbeat);
  }
  CHECK_FALSE(screen.OnMessage(Message("pgduplex.heartbeat", "t1|99999999999999999999"), kNow, At(1)).heartbeat);
  CHECK(total == 5);
  CHECK(screen.forged() == 5);
}

TEST_CASE("malformed_heartbeat_messages_are_forgeries") {
  std::atomic<uint64_t> total{0};
  MessageScreen screen("t1", &total);
  for (const char* content : {"t1|not a clock", "no bar", "t1|", "t1|12x"}) {
    INFO(content);
    CHECK_FALSE(screen.OnMessage(Message("pgduplex.heartbeat", content), kNow, At(0)).heartbeat);
  }
  CHECK(total == 4);
}

TEST_CASE("pgduplex_ddl_and_other_extension_prefixes_are_forgeries") {
  std::atomic<uint64_t> total{0};
  MessageScreen screen("t1", &total);
  auto out = screen.OnMessage(
      Message("pgduplex.ddl", R"j({"statement": "CREATE TABLE public.pwned (a int)", "role": "postgres"})j"), kNow,
      At(0));
  CHECK_FALSE(out.heartbeat);
  REQUIRE(out.warning);
  CHECK_THAT(*out.warning, Catch::Contains("pgduplex.ddl") && Catch::Contains("not applied"));
  CHECK(out.warning->find("pwned") == std::string::npos);  // the content is not logged
  screen.OnMessage(Message("pgduplex.", "x"), kNow, At(0));
  screen.OnMessage(Message("pgduplex.heartbeat2", "t1|5"), kNow, At(0));
  CHECK(total == 3);
}

TEST_CASE("other_applications_messages_are_ignored_and_not_counted") {
  std::atomic<uint64_t> total{0};
  MessageScreen screen("t1", &total);
  for (const char* prefix : {"app.audit", "pgduplex", "PGDUPLEX.ddl", "xpgduplex.ddl", ""}) {
    INFO(prefix);
    auto out = screen.OnMessage(Message(prefix, "t1|5"), kNow, At(0));
    CHECK_FALSE(out.heartbeat);
    CHECK_FALSE(out.warning);
  }
  CHECK(total == 0);
}

TEST_CASE("forgeries_warn_once_then_at_most_once_per_interval_with_a_count") {
  std::atomic<uint64_t> total{0};
  MessageScreen screen("t1", &total, std::chrono::seconds(60));
  auto ddl = Message("pgduplex.ddl", "{}");
  CHECK(screen.OnMessage(ddl, kNow, At(0)).warning);
  for (int s = 1; s < 60; ++s) CHECK_FALSE(screen.OnMessage(ddl, kNow, At(s)).warning);
  auto out = screen.OnMessage(ddl, kNow, At(60));
  REQUIRE(out.warning);
  CHECK_THAT(*out.warning, Catch::StartsWith("ignored 60 more forged or malformed pgduplex messages (61 in all)"));
  CHECK_FALSE(screen.OnMessage(ddl, kNow, At(61)).warning);
  out = screen.OnMessage(ddl, kNow, At(200));
  REQUIRE(out.warning);
  CHECK_THAT(*out.warning, Catch::StartsWith("ignored 2 more forged or malformed pgduplex messages (63 in all)"));
  CHECK(total == 63);
}
