// MetricsServer: serves one worker's WorkerMetrics in Prometheus text format
// on GET /metrics (cpp-httplib, on its own thread).
//
// Contract: Start() binds HOST:PORT or [IPV6]:PORT (listen_address.h; a
// malformed address is a ConfigError) or throws std::runtime_error naming
// the address; the destructor stops the server and joins the thread. A
// client holds a server thread for at most about a second of silence, so
// idle connections cannot keep /metrics unavailable.
// RenderPrometheus() is pure and unit-tested.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/worker_metrics.h"

namespace httplib {
class Server;
}

namespace pgduplex {

std::string RenderPrometheus(const WorkerMetrics& metrics, const std::string& task, const std::string& direction);

class MetricsServer {
 public:
  MetricsServer(const WorkerMetrics& metrics, std::string task, std::string direction);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void Start(const std::string& listen);  // "127.0.0.1:9187", "[::1]:9187"
  int port() const { return port_; }

 private:
  const WorkerMetrics& metrics_;
  std::string task_;
  std::string direction_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace pgduplex
