// pgduplex run --config FILE --direction forward|reverse
// Streams one direction until SIGTERM/SIGINT (exit 0); exit 3 on a conflict
// under policy fail, 4 when the retry window is exhausted.
#include <signal.h>

#include <atomic>
#include <cstring>

#include <spdlog/spdlog.h>

#include "commands/commands.h"
#include "common/config_secrets.h"
#include "common/log.h"
#include "run/metrics_server.h"
#include "run/stream_worker.h"
#include "common/worker_metrics.h"

namespace pgduplex {

namespace {
std::atomic<bool> g_stop_requested{false};

extern "C" void OnStopSignal(int) { g_stop_requested.store(true); }

void InstallSignalHandlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: waits return EINTR and the loop sees the flag
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}
}  // namespace

int CommandRun(const RunOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  InitLogging(config.name + "/" + ToString(options.direction));
  if (auto warning = ReadablePasswordWarning(config)) spdlog::warn("{}; fix: {}", *warning, ChmodFix(config));
  InstallSignalHandlers();
  // The run loop keeps these up to date; a metrics endpoint only reads them.
  WorkerMetrics metrics;
  MetricsServer metrics_server(metrics, config.name, ToString(options.direction));
  if (!options.metrics_listen.empty()) {
    metrics_server.Start(options.metrics_listen);
    spdlog::info("serving Prometheus metrics on http://{}/metrics", options.metrics_listen);
  }
  StreamWorker worker(config, options.direction, metrics, g_stop_requested);
  return worker.Run();
}

}  // namespace pgduplex
