// PipelineVerdict: the judgement of the fast path's pipelined results
// since the batch's last sync point, one result at a time as they arrive
// (Judge is Pipeline::Collect's callback).
//
// A surprise is a result that asks for a replay of the segment: a unique
// violation, any failure of a multi-row statement (replayed change by
// change, it either turns out to be a conflict or fails again, precisely),
// or an UPDATE/DELETE that touched fewer rows than it should (a row gone
// missing). The earliest one is kept. Any other failure is an error; it
// counts only when it comes before the first surprise (what follows a
// surprise is replayed anyway), or when a control statement failed.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>

#include "apply/apply_batch.h"
#include "apply/pipeline.h"

namespace pgduplex {

class PipelineVerdict {
 public:
  void Judge(const PipelineTag& tag, const PGresult* result, const ApplyBatch& batch);
  // Throws the error as PgError when it counts (see above); `cluster` names
  // the target in the message.
  void ThrowIfFailed(const std::string& cluster) const;

  bool surprised() const { return surprise_.has_value(); }
  // A surprise or an error arrived (worth a sync point now).
  bool alarmed() const { return surprise_ || error_index_; }
  // The earliest surprise's change index; forgets it and the errors judged
  // with it (the replay judges again).
  uint64_t TakeSurprise();
  void Reset();

 private:
  void Surprise(uint64_t index);

  std::optional<uint64_t> surprise_;
  std::optional<uint64_t> error_index_;
  std::string error_message_;
  std::string error_state_;
  bool control_failed_ = false;
};

}  // namespace pgduplex
