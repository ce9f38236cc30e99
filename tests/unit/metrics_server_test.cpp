#include <catch2/catch.hpp>

#include "metrics_server.h"

using namespace pgduplex;

TEST_CASE("prometheus_text_has_labeled_counters_and_state") {
  WorkerMetrics m;
  m.applied_transactions = 42;
  m.CountConflict(ConflictType::kInsertExists, Resolution::kApplied);
  m.SetState(WorkerState::kStreaming);
  std::string text = RenderPrometheus(m, "shop", "forward");
  CHECK_THAT(text, Catch::Contains("# TYPE pgduplex_applied_transactions_total counter"));
  CHECK_THAT(text, Catch::Contains("pgduplex_applied_transactions_total{task=\"shop\",direction=\"forward\"} 42"));
  CHECK_THAT(text, Catch::Contains(
                       "pgduplex_conflicts_total{task=\"shop\",direction=\"forward\",type=\"insert_exists\","
                       "resolution=\"applied\"} 1"));
  CHECK_THAT(text, Catch::Contains("pgduplex_state{task=\"shop\",direction=\"forward\",state=\"streaming\"} 1"));
  CHECK_THAT(text, Catch::Contains("pgduplex_state{task=\"shop\",direction=\"forward\",state=\"failed\"} 0"));
}

TEST_CASE("forged_messages_are_a_counter") {
  WorkerMetrics m;
  m.forged_messages = 3;
  std::string text = RenderPrometheus(m, "shop", "forward");
  CHECK_THAT(text, Catch::Contains("# TYPE pgduplex_forged_messages_total counter"));
  CHECK_THAT(text, Catch::Contains("pgduplex_forged_messages_total{task=\"shop\",direction=\"forward\"} 3"));
}
