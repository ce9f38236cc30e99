#include <catch2/catch.hpp>

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "run/metrics_server.h"

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

TEST_CASE("slot_retained_wal_is_a_gauge_in_bytes") {
  WorkerMetrics m;
  m.slot_retained_wal_bytes = 123456789;
  std::string text = RenderPrometheus(m, "shop", "reverse");
  CHECK_THAT(text, Catch::Contains("# TYPE pgduplex_slot_retained_wal_bytes gauge"));
  CHECK_THAT(text, Catch::Contains("pgduplex_slot_retained_wal_bytes{task=\"shop\",direction=\"reverse\"} 123456789"));
}

TEST_CASE("applied_source_time_is_unix_seconds_of_the_latest_applied_commit") {
  WorkerMetrics m;
  CHECK_THAT(RenderPrometheus(m, "shop", "forward"),
             Catch::Contains("pgduplex_applied_source_time_seconds{task=\"shop\",direction=\"forward\"} 0\n"));
  m.MarkApplied(PgTimestampFromSystem(std::chrono::system_clock::from_time_t(1700000000)));
  CHECK(m.applied_source_time_seconds.load() == Approx(1700000000.0));
  CHECK(m.apply_lag_seconds.load() > 0);
  CHECK_THAT(RenderPrometheus(m, "shop", "forward"),
             Catch::Contains("pgduplex_applied_source_time_seconds{task=\"shop\",direction=\"forward\"} 1700000000\n"));
}

namespace {
// Connects to 127.0.0.1/::1:port and sends nothing; -1 on failure.
int IdleConnection(const char* host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host, std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = socket(found->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  return fd;
}
}  // namespace

TEST_CASE("metrics_server_listens_on_bracketed_ipv6") {
  WorkerMetrics m;
  MetricsServer server(m, "shop", "forward");
  server.Start("[::1]:0");
  REQUIRE(server.port() > 0);
  httplib::Client client("::1", server.port());
  auto res = client.Get("/metrics");
  REQUIRE(res);
  CHECK_THAT(res->body, Catch::Contains("pgduplex_state"));
}

TEST_CASE("idle_connections_do_not_keep_metrics_unavailable") {
  WorkerMetrics m;
  MetricsServer server(m, "shop", "forward");
  server.Start("127.0.0.1:0");
  std::vector<int> idle;
  for (int i = 0; i < 60; ++i) idle.push_back(IdleConnection("127.0.0.1", server.port()));
  auto started = std::chrono::steady_clock::now();
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(15, 0);
  auto res = client.Get("/metrics");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (int fd : idle) {
    if (fd >= 0) close(fd);
  }
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(seconds < 5);
}
