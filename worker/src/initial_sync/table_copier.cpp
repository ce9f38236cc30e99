#include "initial_sync/table_copier.h"

#include <fmt/format.h>

#include <cstdlib>
#include <thread>

#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

constexpr uint64_t kBatchRows = 2000;
constexpr uint64_t kBatchBytes = 1 << 20;
constexpr char kStageTable[] = "pgduplex_copy_stage";

std::string ColumnList(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + QuoteIdent(c);
  return out;
}

// Reads every remaining result of a command; returns the first error one.
void Finish(PgConnection& conn, const std::string& what) {
  bool failed = false;
  PGresult* first_error = nullptr;
  while (PGresult* r = PQgetResult(conn.get())) {
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && !failed) {
      failed = true;
      first_error = r;
      continue;
    }
    PQclear(r);
  }
  if (failed) {
    PgResult owned(first_error);
    conn.ThrowError(owned.raw(), what);
  }
}

void DrainIgnoringErrors(PgConnection& conn) {
  while (PGresult* r = PQgetResult(conn.get())) PQclear(r);
}

// Starts COPY FROM STDIN into `into` on the target, then COPY TO STDOUT on
// the source.
void StartCopies(PgConnection& source, PgConnection& target, const CopyJob& job, const std::string& into,
                 const std::string& what) {
  PgResult in(PQexec(target.get(), TargetCopySql(job, into).c_str()));
  if (PQresultStatus(in.raw()) != PGRES_COPY_IN) target.ThrowError(in.raw(), what);
  PgResult out(PQexec(source.get(), SourceCopySql(job).c_str()));
  if (PQresultStatus(out.raw()) != PGRES_COPY_OUT) {
    PQputCopyEnd(target.get(), "source failed");
    DrainIgnoringErrors(target);
    source.ThrowError(out.raw(), what);
  }
}

// Passes the source's COPY messages to the target, counting and throttling
// per batch; returns why it stopped early, or "" when the source is done.
std::string PipeRows(PgConnection& source, PgConnection& target, CopyCounters counters, SharedThrottle* throttle,
                     const std::atomic<bool>& stop, CopyResult& result) {
  uint64_t batch_rows = 0, batch_bytes = 0;
  auto flush_batch = [&] {
    if (counters.rows) counters.rows->fetch_add(batch_rows, std::memory_order_relaxed);
    if (counters.bytes) counters.bytes->fetch_add(batch_bytes, std::memory_order_relaxed);
    if (throttle) throttle->Admit(batch_rows, batch_bytes);
    batch_rows = batch_bytes = 0;
  };
  std::string abort_reason;
  while (true) {
    char* buffer = nullptr;
    int n = PQgetCopyData(source.get(), &buffer, 0);
    if (n > 0) {
      int put = PQputCopyData(target.get(), buffer, n);
      PQfreemem(buffer);
      if (put != 1) {
        abort_reason = "target connection failed";
        break;
      }
      ++result.rows;
      result.bytes += static_cast<uint64_t>(n);
      ++batch_rows;
      batch_bytes += static_cast<uint64_t>(n);
      if (batch_rows >= kBatchRows || batch_bytes >= kBatchBytes) {
        flush_batch();
        if (stop.load(std::memory_order_relaxed)) {
          abort_reason = "stopped";
          break;
        }
      }
      continue;
    }
    if (n == -1) break;  // source COPY done
    abort_reason = "source failed";
    break;
  }
  flush_batch();
  return abort_reason;
}

// Ends the target's COPY after PipeRows stopped early and throws the cause.
[[noreturn]] void AbortCopy(PgConnection& source, PgConnection& target, const std::string& abort_reason,
                            const std::string& what) {
  PQputCopyEnd(target.get(), abort_reason.c_str());
  if (abort_reason == "source failed") {
    // Report the source's error: it is the cause.
    DrainIgnoringErrors(target);
    PgResult failed(PQgetResult(source.get()));
    source.ThrowError(failed.raw(), what);
  }
  if (abort_reason == "target connection failed") Finish(target, what);
  DrainIgnoringErrors(target);
  throw PgError(fmt::format("{}: {}", what, abort_reason), sqlstate::kQueryCanceled);
}

}  // namespace

void SharedThrottle::Admit(uint64_t rows, uint64_t bytes) {
  if (throttle_.unlimited()) return;
  Throttle::Clock::duration wait;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait = throttle_.WaitFor(rows, bytes, Throttle::Clock::now());
  }
  if (wait > Throttle::Clock::duration::zero()) std::this_thread::sleep_for(wait);
}

std::string SourceCopySql(const CopyJob& job) {
  std::string table = QuoteQualified(job.source.schema, job.source.name);
  const char* format = job.binary ? " (FORMAT binary)" : "";
  if (job.where.empty()) return fmt::format("COPY {} ({}) TO STDOUT{}", table, ColumnList(job.columns), format);
  return fmt::format("COPY (SELECT {} FROM ONLY {} WHERE {}) TO STDOUT{}", ColumnList(job.columns), table,
                     job.where, format);
}

namespace {
const std::vector<std::string>& TargetColumns(const CopyJob& job) {
  return job.target_columns.empty() ? job.columns : job.target_columns;
}
}  // namespace

std::string TargetCopySql(const CopyJob& job, const std::string& into) {
  return fmt::format("COPY {} ({}) FROM STDIN{}", into, ColumnList(TargetColumns(job)),
                     job.binary ? " (FORMAT binary)" : "");
}

CopyResult CopyTable(PgConnection& source, PgConnection& target, const CopyJob& job, CopyCounters counters,
                     SharedThrottle* throttle, const std::atomic<bool>& stop) {
  CopyResult result;
  std::string target_table = QuoteQualified(job.target.schema, job.target.name);
  std::string what = "copying " + job.source.Display() + (job.where.empty() ? "" : " (" + job.where + ")");

  target.Exec("BEGIN");
  std::string into = target_table;
  const bool as_owner = job.switch_role && job.owner_role != 0;
  if (job.skip_existing_keys) {
    // The staging table (no constraint but NOT NULL: no user code) is the
    // worker's; the owner only reads it, in the INSERT below.
    target.Exec(fmt::format("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP", kStageTable, target_table));
    if (as_owner) target.Exec(fmt::format("GRANT SELECT ON {} TO {}", kStageTable, QuoteIdent(job.owner_name)));
    into = kStageTable;
  } else if (as_owner) {
    job.switch_role(job.owner_role);
  }
  StartCopies(source, target, job, into, what);
  std::string abort_reason = PipeRows(source, target, counters, throttle, stop, result);
  if (!abort_reason.empty()) AbortCopy(source, target, abort_reason, what);
  Finish(source, what);
  if (PQputCopyEnd(target.get(), nullptr) != 1) target.ThrowError(nullptr, what);
  Finish(target, what);
  if (job.binary && result.rows >= 1) {
    // Binary COPY sends its header in the first row's message and its
    // trailer as a message of its own (header and trailer together when
    // there are no rows): one message more than rows.
    result.rows -= 1;
    if (counters.rows) counters.rows->fetch_sub(1, std::memory_order_relaxed);
  }

  if (job.skip_existing_keys) {
    if (as_owner) job.switch_role(job.owner_role);
    PgResult inserted = target.Exec(fmt::format(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {} ON CONFLICT DO NOTHING", target_table,
        ColumnList(TargetColumns(job)), ColumnList(TargetColumns(job)), kStageTable));
    uint64_t n = std::strtoull(PQcmdTuples(inserted.raw()), nullptr, 10);
    result.skipped = result.rows - std::min(result.rows, n);
  }
  if (as_owner) job.switch_role(0);
  if (!job.after_copy_sql.empty()) target.Exec(job.after_copy_sql);
  target.Exec("COMMIT");
  return result;
}

}  // namespace pgduplex
