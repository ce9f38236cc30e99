#include "apply/pipeline.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>

namespace pgduplex {

void Pipeline::Lost(const char* what) {
  tags_.clear();
  awaiting_end_ = false;
  active_ = false;
  conn_.ThrowError(nullptr, what);
}

void Pipeline::Enter() {
  if (active_) return;
  if (!PQenterPipelineMode(conn_.get())) Lost("entering pipeline mode");
  active_ = true;
}

void Pipeline::Exit() {
  if (!active_) return;
  if (!tags_.empty()) throw std::logic_error("Pipeline::Exit with commands in flight");
  if (!PQexitPipelineMode(conn_.get())) Lost("leaving pipeline mode");
  active_ = false;
}

void Pipeline::SendQuery(const char* sql, int params, const char* const* values, PipelineTag tag) {
  if (!PQsendQueryParams(conn_.get(), sql, params, nullptr, values, nullptr, nullptr, 0)) Lost("sending a query");
  tags_.push_back(tag);
}

void Pipeline::SendPrepare(PreparedStatement* statement) {
  if (!PQsendPrepare(conn_.get(), statement->name.c_str(), statement->sql.c_str(), statement->params, nullptr)) {
    Lost("preparing a statement");
  }
  statement->state = PreparedStatement::State::kPending;
  PipelineTag tag;
  tag.kind = PipelineTag::Kind::kPrepare;
  tag.statement = statement;
  tags_.push_back(tag);
}

void Pipeline::SendPrepared(const PreparedStatement& statement, const char* const* values, PipelineTag tag) {
  if (!PQsendQueryPrepared(conn_.get(), statement.name.c_str(), statement.params, values, nullptr, nullptr, 0)) {
    Lost("sending a prepared statement");
  }
  tags_.push_back(tag);
}

void Pipeline::Sync() {
  if (!PQpipelineSync(conn_.get())) Lost("sending a pipeline sync");
  PipelineTag tag;
  tag.kind = PipelineTag::Kind::kSync;
  tags_.push_back(tag);
}

void Pipeline::WaitForInput() {
  if (PQflush(conn_.get()) < 0) Lost("flushing the pipeline");
  pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
  int ready = poll(&pfd, 1, 200);
  if (ready < 0 && errno != EINTR) Lost("waiting for pipeline results");
  if (ready <= 0 && interrupt_ && interrupt_->load(std::memory_order_relaxed)) {
    if (PGcancel* cancel = PQgetCancel(conn_.get())) {
      char error[256];
      PQcancel(cancel, error, sizeof(error));
      PQfreeCancel(cancel);
    }
    tags_.clear();
    awaiting_end_ = false;
    throw std::runtime_error(fmt::format("cluster {}: stop requested while waiting for the target", conn_.label()));
  }
  if (!PQconsumeInput(conn_.get())) Lost("reading pipeline results");
}

}  // namespace pgduplex
