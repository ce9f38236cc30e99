// MixedTransactionGuard: tracks one source transaction's mix of DDL and row
// changes so that DDL sharing a transaction with DML is not carried in
// either order:
//   * rows changed before the DDL: the plugin sets Ddl.has_dml, and
//     DdlPolicy (ddl/ddl_policy.h) refuses it;
//   * rows changed after the DDL: the worker holds each DDL it decided to
//     apply (Hold) instead of running it; the first row change of the same
//     transaction (OnRowChange) hands back the held statements, which are
//     then dropped with a warning; Commit (or a non-row record) hands back
//     the statements that are still good to run, in their original order.
// Holding never reorders anything: a held DDL is run before the next row
// change could be applied, or not at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ddl/ddl_policy.h"
#include "pgduplex.pb.h"

namespace pgduplex {

class MixedTransactionGuard {
 public:
  // A DDL record accepted by the policy, waiting for what follows it.
  struct Held {
    const v1::Record* record = nullptr;  // stays owned by the caller
    DdlDecision decision;
    uint64_t lsn = 0;
    size_t bytes = 0;
  };

  void Begin();
  // Holds a DDL the policy accepted. If this transaction already changed
  // rows (has_dml should have said so), refuses it at once and returns it.
  std::optional<Held> Hold(Held held);
  // A row change arrived: the held DDL must be dropped; returns them (with
  // their reason filled in) for the warnings.
  std::vector<Held> OnRowChange();
  // Transaction end: the held DDL to apply now, in order.
  std::vector<Held> TakeForApply();
  bool holding() const { return !held_.empty(); }
  bool seen_rows() const { return seen_rows_; }

 private:
  std::vector<Held> held_;
  bool seen_rows_ = false;
};

}  // namespace pgduplex
