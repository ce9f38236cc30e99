#include "run/metrics_server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <stdexcept>

#include "run/listen_address.h"

namespace pgduplex {

namespace {
constexpr size_t kServerThreads = 16;
constexpr std::chrono::seconds kClientTimeout{1};
constexpr size_t kKeepAliveRequests = 100;

void Family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}
}  // namespace

std::string RenderPrometheus(const WorkerMetrics& m, const std::string& task, const std::string& direction) {
  const std::string labels = fmt::format("task=\"{}\",direction=\"{}\"", task, direction);
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t value) {
    Family(out, name, "counter", help);
    out += fmt::format("{}{{{}}} {}\n", name, labels, value);
  };
  auto gauge = [&](const char* name, const char* help, double value) {
    Family(out, name, "gauge", help);
    out += fmt::format("{}{{{}}} {}\n", name, labels, value);
  };
  counter("pgduplex_applied_transactions_total", "Source transactions applied on the target.",
          m.applied_transactions.load());
  counter("pgduplex_applied_changes_total", "Row changes applied on the target.", m.applied_changes.load());
  counter("pgduplex_applied_bytes_total", "Bytes of records applied.", m.applied_bytes.load());
  counter("pgduplex_received_bytes_total", "Bytes of records received from the source.", m.received_bytes.load());
  counter("pgduplex_retries_total", "Reconnects and retried errors.", m.retries.load());
  counter("pgduplex_forged_messages_total",
          "Messages under the extension's prefixes (and heartbeats) ignored as forged or malformed.",
          m.forged_messages.load());
  gauge("pgduplex_apply_lag_seconds", "Delay between a source commit (or heartbeat) and its apply.",
        m.apply_lag_seconds.load());
  gauge("pgduplex_applied_source_time_seconds",
        "Source commit (or heartbeat) time of the latest one applied, Unix seconds; 0 = none yet.",
        m.applied_source_time_seconds.load());
  gauge("pgduplex_slot_lag_bytes", "Source WAL not yet confirmed by this worker.",
        static_cast<double>(m.slot_lag_bytes.load()));
  gauge("pgduplex_slot_retained_wal_bytes", "Source WAL kept for this worker's slot (from its restart_lsn).",
        static_cast<double>(m.slot_retained_wal_bytes.load()));
  Family(out, "pgduplex_conflicts_total", "counter", "Conflicts met, by type and resolution.");
  for (int t = 0; t < kConflictTypes; ++t) {
    for (int r = 0; r < kResolutions; ++r) {
      out += fmt::format("pgduplex_conflicts_total{{{},type=\"{}\",resolution=\"{}\"}} {}\n", labels,
                         ToString(static_cast<ConflictType>(t)), ToString(static_cast<Resolution>(r)),
                         m.conflicts[t][r].load());
    }
  }
  Family(out, "pgduplex_state", "gauge", "1 for the worker's current state.");
  WorkerState current = m.GetState();
  for (int s = static_cast<int>(WorkerState::kStarting); s <= static_cast<int>(WorkerState::kFailed); ++s) {
    auto state = static_cast<WorkerState>(s);
    out += fmt::format("pgduplex_state{{{},state=\"{}\"}} {}\n", labels, ToString(state), state == current ? 1 : 0);
  }
  return out;
}

MetricsServer::MetricsServer(const WorkerMetrics& metrics, std::string task, std::string direction)
    : metrics_(metrics), task_(std::move(task)), direction_(std::move(direction)) {}

MetricsServer::~MetricsServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsServer::Start(const std::string& listen) {
  ListenAddress address = ParseListenAddress(listen);
  server_ = std::make_unique<httplib::Server>();
  // Idle or slow clients must not keep /metrics unavailable: each
  // connection holds a worker thread only as long as these timeouts, and
  // there are enough threads that a burst of idle connections is cleared
  // within a couple of seconds.
  server_->new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  server_->set_read_timeout(kClientTimeout);
  server_->set_write_timeout(kClientTimeout);
  server_->set_keep_alive_timeout(kClientTimeout.count());
  server_->set_keep_alive_max_count(kKeepAliveRequests);
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderPrometheus(metrics_, task_, direction_), "text/plain; version=0.0.4");
  });
  if (address.port == 0) {
    port_ = server_->bind_to_any_port(address.host);
  } else if (server_->bind_to_port(address.host, address.port)) {
    port_ = address.port;
  }
  if (port_ <= 0) {
    throw std::runtime_error(fmt::format("--metrics-listen \"{}\": cannot listen there", listen));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

}  // namespace pgduplex
