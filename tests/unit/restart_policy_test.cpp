#include <catch2/catch.hpp>

#include "common/exit_codes.h"
#include "run/restart_policy.h"

using namespace pgduplex;
using namespace std::chrono;

TEST_CASE("crash_or_signal_is_restarted") {
  CHECK(RestartPolicy::Decide({true, 0, 9}) == RestartDecision::kRestart);
  CHECK(RestartPolicy::Decide({false, 0, 0}) == RestartDecision::kRestart);
  CHECK(RestartPolicy::Decide({false, 134, 0}) == RestartDecision::kRestart);
}

TEST_CASE("conflict_under_fail_and_config_errors_give_up") {
  CHECK(RestartPolicy::Decide({false, kExitConflict, 0}) == RestartDecision::kGiveUp);
  CHECK(RestartPolicy::Decide({false, kExitUsage, 0}) == RestartDecision::kGiveUp);
  CHECK(RestartPolicy::Decide({false, kExitFatal, 0}) == RestartDecision::kGiveUp);
  CHECK_THAT(RestartPolicy::Describe({false, kExitConflict, 0}), Catch::Contains("conflict"));
}

TEST_CASE("backoff_doubles_to_a_cap_and_resets_after_a_stable_run") {
  RestartPolicy policy;
  CHECK(policy.NextBackoff(seconds(1)) == seconds(1));
  CHECK(policy.NextBackoff(seconds(1)) == seconds(2));
  CHECK(policy.NextBackoff(seconds(1)) == seconds(4));
  for (int i = 0; i < 10; ++i) policy.NextBackoff(seconds(1));
  CHECK(policy.NextBackoff(seconds(1)) == seconds(60));
  CHECK(policy.NextBackoff(minutes(5)) == seconds(1));
}
