// Pipeline: libpq pipeline mode on the target connection, with a tag per
// command so each result can be judged when it arrives (libpq returns
// results strictly in the order commands were sent).
//
// Contract: every Send* queues one command and one tag; Collect hands each
// arrived result to the callback exactly once, with its tag, in order.
// Collect(block = true) must follow a Sync (the server only flushes its
// results at a Sync or when its output buffer fills). After an error the
// server skips everything up to the next Sync; those commands come back as
// PGRES_PIPELINE_ABORTED. Connection loss throws ConnectionError.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>

#include "common/pg_connection.h"

namespace pgduplex {

// A server-side prepared statement, named once per process.
struct PreparedStatement {
  enum class State : uint8_t { kUnprepared, kPending, kReady };
  std::string name;
  std::string sql;
  int params = 0;
  State state = State::kUnprepared;
};

struct PipelineTag {
  enum class Kind : uint8_t { kControl, kPrepare, kChange, kSync };
  Kind kind = Kind::kControl;
  uint64_t index = 0;                       // kChange: (first) change index in the batch
  PreparedStatement* statement = nullptr;   // kPrepare
  uint32_t rows = 0;                        // kChange of a multi-row statement: rows it must touch

  // A statement of the worker's own; `index` tells results apart where the
  // caller reads them (0 elsewhere).
  static PipelineTag Control(uint64_t index = 0) { return PipelineTag{Kind::kControl, index, nullptr, 0}; }
  // A statement for change `index` of the batch (the first of `rows`).
  static PipelineTag Change(uint64_t index, uint32_t rows = 0) {
    return PipelineTag{Kind::kChange, index, nullptr, rows};
  }
};

class Pipeline {
 public:
  explicit Pipeline(PgConnection& conn) : conn_(conn) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  bool active() const { return active_; }
  // While waiting for results, a set flag cancels the running statement
  // and throws (a stop request must not wait for a lock held elsewhere).
  void SetInterrupt(const std::atomic<bool>* flag) { interrupt_ = flag; }
  void Enter();
  void Exit();  // only with nothing in flight

  void SendQuery(const char* sql, int params, const char* const* values, PipelineTag tag);
  void SendPrepare(PreparedStatement* statement);
  void SendPrepared(const PreparedStatement& statement, const char* const* values, PipelineTag tag);
  void Sync();

  // Hands arrived results to on_result(const PipelineTag&, const PGresult*).
  // block = false: only what is already here; block = true: until every
  // command sent so far has its result (call after Sync).
  template <typename F>
  void Collect(bool block, F&& on_result);

  size_t in_flight() const { return tags_.size(); }

 private:
  void WaitForInput();
  [[noreturn]] void Lost(const char* what);

  PgConnection& conn_;
  std::deque<PipelineTag> tags_;
  bool active_ = false;
  bool awaiting_end_ = false;  // a command's result was returned; its NULL terminator is next
  const std::atomic<bool>* interrupt_ = nullptr;
};

template <typename F>
void Pipeline::Collect(bool block, F&& on_result) {
  PGconn* conn = conn_.get();
  if (!block && !tags_.empty() && !PQconsumeInput(conn)) Lost("reading pipeline results");
  while (!tags_.empty() || awaiting_end_) {
    if (awaiting_end_) {
      // The end-of-command NULL follows a result without further input.
      PGresult* end = PQgetResult(conn);
      if (end) {
        PQclear(end);
        Lost("unexpected extra result in pipeline");
      }
      awaiting_end_ = false;
      continue;
    }
    if (PQisBusy(conn)) {
      if (!block) return;
      WaitForInput();
      continue;
    }
    PGresult* result = PQgetResult(conn);
    if (!result) {
      if (PQstatus(conn) == CONNECTION_BAD) Lost("reading pipeline results");
      continue;
    }
    PipelineTag tag = tags_.front();
    tags_.pop_front();
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_PIPELINE_SYNC) awaiting_end_ = true;
    if (status == PGRES_FATAL_ERROR && PQstatus(conn) == CONNECTION_BAD) {
      PQclear(result);
      Lost("pipeline");
    }
    if (tag.kind == PipelineTag::Kind::kPrepare && tag.statement) {
      tag.statement->state =
          status == PGRES_COMMAND_OK ? PreparedStatement::State::kReady : PreparedStatement::State::kUnprepared;
    }
    on_result(tag, static_cast<const PGresult*>(result));
    PQclear(result);
  }
}

}  // namespace pgduplex
