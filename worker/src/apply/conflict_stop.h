// ConflictStop: conflict_policy fail stopped the direction. Thrown by the
// conflict path (ChangeReplayer, and the applier for a DDL that cannot
// run) with the conflict row it did not write; the applier rolls back to
// before the conflicting source transaction, commits the ones before it,
// writes the row, and rethrows. The run loop (run/stream_worker.h) exits 3.
//
// It belongs to common/errors.h's hierarchy, but lives here because it
// carries a ConflictRecord (apply/conflict_log.h), which the root modules
// may not include.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "apply/conflict_log.h"

namespace pgduplex {

class ConflictStop : public std::runtime_error {
 public:
  ConflictStop(const std::string& message, ConflictRecord record)
      : std::runtime_error(message), record_(std::move(record)) {}
  const ConflictRecord& record() const { return record_; }

 private:
  ConflictRecord record_;
};

}  // namespace pgduplex
