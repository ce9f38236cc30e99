#include <catch2/catch.hpp>

#include "apply/conflict_resolver.h"
#include "apply/retry_policy.h"
#include "run/stream_worker.h"

using namespace pgduplex;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {
ConflictDecision Decide(ConflictPolicy policy, ConflictType type, bool whole = true, PgTimestamp remote = 0,
                        std::optional<PgTimestamp> local = std::nullopt,
                        Direction direction = Direction::kForward) {
  return ConflictResolver(policy, direction).Decide({type, whole, remote, local});
}
}  // namespace

TEST_CASE("insert_and_update_exists_follow_the_policy") {
  for (ConflictType type : {ConflictType::kInsertExists, ConflictType::kUpdateExists}) {
    CHECK(Decide(ConflictPolicy::kFail, type).action == ConflictAction::kStop);
    CHECK(Decide(ConflictPolicy::kFail, type).resolution == Resolution::kFailed);
    CHECK(Decide(ConflictPolicy::kIgnore, type).action == ConflictAction::kSkip);
    CHECK(Decide(ConflictPolicy::kIgnore, type).resolution == Resolution::kSkipped);
    CHECK(Decide(ConflictPolicy::kOverwrite, type).action == ConflictAction::kApplyRemote);
    CHECK(Decide(ConflictPolicy::kOverwrite, type).resolution == Resolution::kApplied);
  }
}

TEST_CASE("update_of_missing_row_becomes_insert_under_every_policy_when_row_is_whole") {
  for (ConflictPolicy policy : {ConflictPolicy::kFail, ConflictPolicy::kIgnore, ConflictPolicy::kOverwrite,
                                ConflictPolicy::kLastWriteWins}) {
    ConflictDecision d = Decide(policy, ConflictType::kUpdateMissing, true);
    CHECK(d.action == ConflictAction::kConvertToInsert);
    CHECK(d.resolution == Resolution::kConvertedToInsert);
  }
}

TEST_CASE("update_of_missing_row_without_whole_row_follows_policy") {
  CHECK(Decide(ConflictPolicy::kFail, ConflictType::kUpdateMissing, false).action == ConflictAction::kStop);
  CHECK(Decide(ConflictPolicy::kIgnore, ConflictType::kUpdateMissing, false).action == ConflictAction::kSkip);
  CHECK(Decide(ConflictPolicy::kOverwrite, ConflictType::kUpdateMissing, false).action == ConflictAction::kSkip);
  CHECK(Decide(ConflictPolicy::kLastWriteWins, ConflictType::kUpdateMissing, false).action == ConflictAction::kSkip);
}

TEST_CASE("delete_of_missing_row_is_skipped_under_every_policy") {
  for (ConflictPolicy policy : {ConflictPolicy::kFail, ConflictPolicy::kIgnore, ConflictPolicy::kOverwrite,
                                ConflictPolicy::kLastWriteWins}) {
    ConflictDecision d = Decide(policy, ConflictType::kDeleteMissing);
    CHECK(d.action == ConflictAction::kSkip);
    CHECK(d.resolution == Resolution::kSkipped);
  }
}

TEST_CASE("last_write_wins_takes_the_later_commit") {
  auto lww = ConflictPolicy::kLastWriteWins;
  CHECK(Decide(lww, ConflictType::kInsertExists, true, 200, 100).action == ConflictAction::kApplyRemote);
  CHECK(Decide(lww, ConflictType::kInsertExists, true, 100, 200).action == ConflictAction::kKeepLocal);
  CHECK(Decide(lww, ConflictType::kInsertExists, true, 100, 200).resolution == Resolution::kKeptLocal);
  // Unknown local commit time counts as older.
  CHECK(Decide(lww, ConflictType::kUpdateExists, true, 100, std::nullopt).action == ConflictAction::kApplyRemote);
}

TEST_CASE("last_write_wins_ties_go_to_cluster_a_in_both_directions") {
  // forward: remote is A -> remote wins; reverse: local is A -> local wins.
  CHECK(ConflictResolver::RemoteWins(100, 100, Direction::kForward));
  CHECK_FALSE(ConflictResolver::RemoteWins(100, 100, Direction::kReverse));
  CHECK(Decide(ConflictPolicy::kLastWriteWins, ConflictType::kInsertExists, true, 5, 5, Direction::kReverse).action ==
        ConflictAction::kKeepLocal);
}

TEST_CASE("origin_differs_means_the_local_row_is_newer_and_follows_the_policy") {
  for (ConflictType type : {ConflictType::kUpdateOriginDiffers, ConflictType::kDeleteOriginDiffers}) {
    CHECK(Decide(ConflictPolicy::kFail, type).action == ConflictAction::kStop);
    CHECK(Decide(ConflictPolicy::kIgnore, type).action == ConflictAction::kSkip);
    CHECK(Decide(ConflictPolicy::kOverwrite, type).action == ConflictAction::kApplyRemote);
    CHECK(Decide(ConflictPolicy::kLastWriteWins, type, true, 100, 200).action == ConflictAction::kKeepLocal);
    CHECK(Decide(ConflictPolicy::kLastWriteWins, type, true, 100, 200).resolution == Resolution::kKeptLocal);
  }
}

TEST_CASE("update_deleted_takes_the_later_of_the_delete_and_the_update") {
  auto lww = ConflictPolicy::kLastWriteWins;
  // the delete is later: it stays deleted
  CHECK(Decide(lww, ConflictType::kUpdateDeleted, true, 100, 200).action == ConflictAction::kKeepLocal);
  // the update is later: the row comes back when it is whole, else it cannot
  CHECK(Decide(lww, ConflictType::kUpdateDeleted, true, 300, 200).action == ConflictAction::kConvertToInsert);
  CHECK(Decide(lww, ConflictType::kUpdateDeleted, false, 300, 200).action == ConflictAction::kSkip);
  // a tie goes to cluster A: forward (remote is A) brings it back, reverse keeps it deleted
  CHECK(Decide(lww, ConflictType::kUpdateDeleted, true, 200, 200).action == ConflictAction::kConvertToInsert);
  CHECK(Decide(lww, ConflictType::kUpdateDeleted, true, 200, 200, Direction::kReverse).action ==
        ConflictAction::kKeepLocal);
  CHECK(Decide(ConflictPolicy::kFail, ConflictType::kUpdateDeleted, true, 300, 200).action == ConflictAction::kStop);
}

TEST_CASE("insert_deleted_lets_a_later_delete_win") {
  auto lww = ConflictPolicy::kLastWriteWins;
  CHECK(Decide(lww, ConflictType::kInsertDeleted, true, 100, 200).action == ConflictAction::kKeepLocal);
  CHECK(Decide(lww, ConflictType::kInsertDeleted, true, 300, 200).action == ConflictAction::kApplyRemote);
}

TEST_CASE("multiple_unique_conflicts_follow_the_policy") {
  auto type = ConflictType::kMultipleUniqueConflicts;
  CHECK(Decide(ConflictPolicy::kFail, type).action == ConflictAction::kStop);
  CHECK(Decide(ConflictPolicy::kIgnore, type).action == ConflictAction::kSkip);
  CHECK(Decide(ConflictPolicy::kOverwrite, type).action == ConflictAction::kApplyRemote);
  // local_commit_time is the newest of the colliding rows
  CHECK(Decide(ConflictPolicy::kLastWriteWins, type, true, 300, 200).action == ConflictAction::kApplyRemote);
  CHECK(Decide(ConflictPolicy::kLastWriteWins, type, true, 100, 200).action == ConflictAction::kKeepLocal);
}

TEST_CASE("retry_window_of_zero_gives_up_at_first_failure") {
  RetryConfig config;
  config.connection_retry_minutes = 0;
  config.error_retry_minutes = 0;
  RetryPolicy policy(config);
  CHECK_FALSE(policy.OnFailure(FailureKind::kConnection, RetryPolicy::Clock::now()));
  CHECK_FALSE(policy.OnFailure(FailureKind::kOther, RetryPolicy::Clock::now()));
}

TEST_CASE("retry_backs_off_and_stops_at_window_end") {
  RetryConfig config;
  config.connection_retry_minutes = 1;
  config.error_retry_minutes = 10;
  RetryPolicy policy(config);
  auto t0 = RetryPolicy::Clock::now();
  CHECK(*policy.OnFailure(FailureKind::kConnection, t0) == milliseconds(1000));
  CHECK(*policy.OnFailure(FailureKind::kConnection, t0 + milliseconds(1000)) == milliseconds(2000));
  CHECK(*policy.OnFailure(FailureKind::kConnection, t0 + milliseconds(3000)) == milliseconds(4000));
  // Never past the window's end, and nothing after it.
  CHECK(*policy.OnFailure(FailureKind::kConnection, t0 + milliseconds(59500)) == milliseconds(500));
  CHECK_FALSE(policy.OnFailure(FailureKind::kConnection, t0 + minutes(1)));
  // The other kind has its own window.
  CHECK(policy.OnFailure(FailureKind::kOther, t0 + minutes(1)));
}

TEST_CASE("progress_starts_a_fresh_window") {
  RetryConfig config;
  config.connection_retry_minutes = 1;
  RetryPolicy policy(config);
  auto t0 = RetryPolicy::Clock::now();
  policy.OnFailure(FailureKind::kConnection, t0);
  policy.OnProgress();
  auto later = t0 + minutes(5);
  CHECK(*policy.OnFailure(FailureKind::kConnection, later) == milliseconds(1000));
}

TEST_CASE("retry_delay_keeps_growing_when_streaming_does_not_last") {
  RetryConfig config;
  RetryPolicy policy(config);
  auto t = RetryPolicy::Clock::now();
  CHECK(*policy.OnFailure(FailureKind::kConnection, t) == milliseconds(1000));
  policy.OnStreaming(t + seconds(1));
  CHECK(*policy.OnFailure(FailureKind::kConnection, t + seconds(2)) == milliseconds(2000));
  policy.OnStreaming(t + seconds(4));
  CHECK(*policy.OnFailure(FailureKind::kConnection, t + seconds(4) + RetryPolicy::kStableAfter - seconds(1)) ==
        milliseconds(4000));
}

TEST_CASE("retry_delay_starts_over_after_a_stable_streaming_period") {
  RetryConfig config;
  config.error_retry_minutes = 7;
  RetryPolicy policy(config);
  auto t = RetryPolicy::Clock::now();
  for (int i = 0; i < 4; ++i) policy.OnFailure(FailureKind::kOther, t + seconds(i));  // 1, 2, 4, 8 s
  policy.OnStreaming(t + seconds(20));
  auto later = t + seconds(20) + RetryPolicy::kStableAfter;
  CHECK(*policy.OnFailure(FailureKind::kOther, later) == milliseconds(1000));
  // A fresh window too: the old streak's start no longer counts.
  CHECK(*policy.OnFailure(FailureKind::kOther, later + minutes(6)) == milliseconds(2000));
  // Only the streaming period that ended with this failure counts.
  CHECK(*policy.OnFailure(FailureKind::kOther, later + minutes(6) + seconds(30)) == milliseconds(4000));
}

TEST_CASE("retry_delay_starts_over_after_the_initial_copy") {
  RetryConfig config;
  RetryPolicy policy(config);
  auto t = RetryPolicy::Clock::now();
  for (int i = 0; i < 4; ++i) policy.OnFailure(FailureKind::kOther, t);  // copy attempts: 1, 2, 4, 8 s
  policy.OnProgress();  // the copy finished
  CHECK(*policy.OnFailure(FailureKind::kConnection, t + seconds(30)) == milliseconds(1000));
}

TEST_CASE("backoff_is_capped_at_thirty_seconds") {
  RetryConfig config;
  config.connection_retry_minutes = 720;
  RetryPolicy policy(config);
  auto t = RetryPolicy::Clock::now();
  std::chrono::milliseconds last{0};
  for (int i = 0; i < 10; ++i) last = *policy.OnFailure(FailureKind::kConnection, t);
  CHECK(last == milliseconds(30000));
}

TEST_CASE("plugin_options_carry_ddl_only_forward") {
  TaskConfig config;
  config.name = "t";
  config.sync.tables = {"public.*", "app.orders"};
  config.sync.ddl = true;
  PluginOptions forward = PluginOptionsFor(config, Direction::kForward);
  PluginOptions reverse = PluginOptionsFor(config, Direction::kReverse);
  CHECK(forward == PluginOptions{{"proto_version", "1"}, {"origins", "none"}, {"ddl", "true"},
                                 {"tables", "public.*,app.orders"}});
  CHECK(reverse[2] == std::make_pair(std::string("ddl"), std::string("false")));
  config.sync.ddl = false;
  CHECK(PluginOptionsFor(config, Direction::kForward)[2].second == "false");
}

TEST_CASE("authentication_failures_are_recognised") {
  CHECK(IsAuthenticationFailure("FATAL:  password authentication failed for user \"x\""));
  CHECK(IsAuthenticationFailure("fe_sendauth: no password supplied"));
  CHECK_FALSE(IsAuthenticationFailure("could not connect to server: Connection refused"));
}

TEST_CASE("unique_collisions_follow_a_serial_history_by_commit_time") {
  auto plan = [](PgTimestamp remote, UniqueCollisions facts, Direction direction = Direction::kForward) {
    return ConflictResolver::PlanCollisions(remote, facts, direction);
  };
  // newer than everything: replaces its own row, displaces the others
  CollisionPlan p = plan(300, {true, 100, std::nullopt, {200, std::nullopt}});
  CHECK(p.apply);
  CHECK_FALSE(p.remove_own);
  CHECK(p.remove_others == std::vector<size_t>{0, 1});
  // a newer colliding row: the change stays out, the older own row and the older others go
  p = plan(300, {true, 100, std::nullopt, {400, 200}});
  CHECK_FALSE(p.apply);
  CHECK(p.remove_own);
  CHECK(p.remove_others == std::vector<size_t>{1});
  // loses on its own key (newer own row): the older others still go, the own row stays
  p = plan(300, {true, 400, std::nullopt, {200, 500}});
  CHECK_FALSE(p.apply);
  CHECK_FALSE(p.remove_own);
  CHECK(p.remove_others == std::vector<size_t>{0});
  // loses to a later local delete of its key: the same
  p = plan(300, {false, std::nullopt, 350, {200}});
  CHECK_FALSE(p.apply);
  CHECK_FALSE(p.remove_own);
  CHECK(p.remove_others == std::vector<size_t>{0});
  // no own row, a newer other: nothing to remove for the own key
  p = plan(300, {false, std::nullopt, std::nullopt, {400}});
  CHECK_FALSE(p.apply);
  CHECK_FALSE(p.remove_own);
  CHECK(p.remove_others.empty());
  // ties go to cluster A in both directions
  CHECK(plan(300, {true, 100, std::nullopt, {300}}, Direction::kForward).apply);
  p = plan(300, {true, 100, std::nullopt, {300}}, Direction::kReverse);
  CHECK_FALSE(p.apply);
  CHECK(p.remove_own);
}

TEST_CASE("keyless_update_that_changes_no_value_is_skipped_when_its_row_is_missing") {
  ConflictFacts facts{ConflictType::kUpdateMissing, true, 100, std::nullopt};
  facts.keyless_unchanged = true;
  ConflictResolver lww(ConflictPolicy::kLastWriteWins, Direction::kForward);
  CHECK(lww.Decide(facts).action == ConflictAction::kSkip);
  CHECK(lww.Decide(facts).resolution == Resolution::kSkipped);
  // other policies keep converting it
  CHECK(ConflictResolver(ConflictPolicy::kOverwrite, Direction::kForward).Decide(facts).action ==
        ConflictAction::kConvertToInsert);
  // an earlier local TRUNCATE removed it: the update is later and puts it back
  facts.type = ConflictType::kUpdateDeleted;
  facts.local_commit_time = 50;
  CHECK(lww.Decide(facts).action == ConflictAction::kConvertToInsert);
  facts.local_commit_time = 150;
  CHECK(lww.Decide(facts).action == ConflictAction::kKeepLocal);
  facts.keyless_unchanged = false;
  facts.local_commit_time = 50;
  CHECK(lww.Decide(facts).action == ConflictAction::kConvertToInsert);
}
