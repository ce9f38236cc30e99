#include "apply/pipeline_verdict.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/errors.h"

namespace pgduplex {

void PipelineVerdict::Surprise(uint64_t index) {
  if (!surprise_ || index < *surprise_) surprise_ = index;
}

void PipelineVerdict::Judge(const PipelineTag& tag, const PGresult* result, const ApplyBatch& batch) {
  ExecStatusType status = PQresultStatus(result);
  if (tag.kind == PipelineTag::Kind::kSync || status == PGRES_PIPELINE_ABORTED) return;
  if (status == PGRES_FATAL_ERROR) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string sqlstate = state ? state : "";
    // A unique violation is a conflict; any failure of a multi-row
    // statement is replayed change by change, where it either turns out to
    // be a conflict or fails again, precisely.
    if (tag.kind == PipelineTag::Kind::kChange && (sqlstate == sqlstate::kUniqueViolation || tag.rows > 1)) {
      Surprise(tag.index);
      return;
    }
    if (tag.kind != PipelineTag::Kind::kChange) control_failed_ = true;
    uint64_t index = tag.kind == PipelineTag::Kind::kChange ? tag.index : 0;
    if (control_failed_ || !error_index_ || index < *error_index_) {
      error_index_ = index;
      const char* message = PQresultErrorMessage(result);
      error_message_ = message ? message : "";
      while (!error_message_.empty() && error_message_.back() == '\n') error_message_.pop_back();
      if (tag.kind == PipelineTag::Kind::kChange) {
        error_message_ = batch.Where(tag.index) + ": " + error_message_;
      } else if (tag.kind == PipelineTag::Kind::kPrepare && tag.statement) {
        error_message_ = "preparing " + tag.statement->sql + ": " + error_message_;
      }
      error_state_ = sqlstate;
    }
    return;
  }
  if (tag.kind != PipelineTag::Kind::kChange) return;
  const BatchChange& change = batch.At(tag.index);
  const v1::Record& record = *change.record;
  // Every row must have been found: fewer is a row gone missing. An INSERT
  // only ever falls short under last-write-wins (a later local delete).
  bool counted = record.has_update() || record.has_delete_() ||
                 (record.has_insert() && change.relation && change.relation->shape.last_write);
  if (!counted) return;
  long touched = std::atol(PQcmdTuples(const_cast<PGresult*>(result)));
  if (touched < static_cast<long>(tag.rows ? tag.rows : 1)) Surprise(tag.index);
}

void PipelineVerdict::ThrowIfFailed(const std::string& cluster) const {
  if (control_failed_ || (error_index_ && (!surprise_ || *error_index_ < *surprise_))) {
    std::string message = fmt::format("cluster {}: {}", cluster, error_message_);
    throw PgError(message, error_state_);
  }
}

uint64_t PipelineVerdict::TakeSurprise() {
  uint64_t surprise = *surprise_;
  surprise_.reset();
  error_index_.reset();
  return surprise;
}

void PipelineVerdict::Reset() {
  surprise_.reset();
  error_index_.reset();
  control_failed_ = false;
}

}  // namespace pgduplex
