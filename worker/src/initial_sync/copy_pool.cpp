#include "initial_sync/copy_pool.h"

#include <fmt/format.h>

#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "apply/role_switch.h"
#include "common/errors.h"
#include "initial_sync/table_copier.h"

namespace pgduplex {
namespace initial_sync {

namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;  // as apply_max_mb_per_sec

// What the worker threads share.
class CopyPool {
 public:
  explicit CopyPool(const CopyPoolInput& input)
      : in_(input),
        throttle_(input.config->sync.copy_max_rows_per_sec, input.config->sync.copy_max_mb_per_sec * kBytesPerMb) {}

  void Run() {
    int workers = std::max(1, std::min<int>(in_.config->sync.copy_workers, static_cast<int>(in_.tasks.size())));
    in_.progress->Start();
    std::atomic<int> running{workers};
    std::vector<std::thread> threads;
    for (int n = 1; n <= workers; ++n) {
      threads.emplace_back([this, n, &running] {
        Worker(n);
        running.fetch_sub(1);
      });
    }
    bool stopped_by_request = false;
    while (running.load() > 0) {
      if (in_.stop_request && in_.stop_request->load() && !stop_.load()) {
        stopped_by_request = true;
        stop_.store(true);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (auto& t : threads) t.join();
    in_.progress->Finish();
    if (stopped_by_request) throw StopRequested("initial copy stopped on request; the next run starts it over");
    if (first_error_) std::rethrow_exception(first_error_);
  }

 private:
  // Worker n: its own sessions and copy origin, tasks until none is left.
  void Worker(int n) {
    try {
      const TaskConfig& config = *in_.config;
      PgConnection source = SnapshotSession(config, in_.snapshot);
      PgConnection sink = PgConnection::Connect(config.b.conninfo, "b");
      SetupCopySession(sink, CopyOriginName(config.name, n));
      sink.Exec("SET synchronous_commit = off");
      RoleSwitch roles;  // a key of its own per session
      roles.Setup(sink, in_.run_as, in_.as_owner);
      while (!stop_.load()) {
        size_t i = next_task_.fetch_add(1);
        if (i >= in_.tasks.size()) break;
        CopyOne(in_.tasks[i], source, sink, roles);
      }
      sink.Exec("SELECT pg_replication_origin_session_reset()");
      source.Exec("COMMIT");
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!first_error_) first_error_ = std::current_exception();
      stop_.store(true);
    }
  }

  void CopyOne(const CopyTask& task, PgConnection& source, PgConnection& sink, RoleSwitch& roles) {
    const PlannedTable& t = (*in_.tables)[task.table];
    CopyJob job;
    job.source = t.source.name;
    job.target = t.target_name;
    job.columns = t.source.columns;
    job.target_columns = t.CopyTargetColumns();
    job.where = task.where;
    job.skip_existing_keys = t.had_rows;
    job.binary = t.create && t.source.builtin_types_only;
    job.after_copy_sql = in_.state->RecordXactSql(t.target_name);  // a restart's undo finds its rows by xmin
    if (in_.as_owner) {
      job.owner_role = roles.RoleFor(t.target_owner);
      job.owner_name = t.target_owner_name;
      job.switch_role = [&](uint32_t role) { roles.Switch(sink, role); };
    }
    CopyProgress& progress = *in_.progress;
    CopyProgress::Table& slot = progress.table(t.progress);
    progress.PartStarted(t.progress);
    CopyResult result = CopyTable(source, sink, job, {&slot.rows, &slot.bytes}, &throttle_, stop_);
    if (result.skipped > 0) {
      progress.Note(fmt::format("initial copy: {}: kept {} row(s) already on cluster b (same key)",
                                t.source.name.Display(), result.skipped));
    }
    progress.PartDone(t.progress);
  }

  const CopyPoolInput& in_;
  SharedThrottle throttle_;
  std::atomic<size_t> next_task_{0};
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::exception_ptr first_error_;
};

}  // namespace

void RunCopyPool(const CopyPoolInput& input) { CopyPool(input).Run(); }

}  // namespace initial_sync
}  // namespace pgduplex
