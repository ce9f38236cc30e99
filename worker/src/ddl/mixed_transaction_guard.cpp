#include "ddl/mixed_transaction_guard.h"

#include <utility>

namespace pgduplex {

void MixedTransactionGuard::Begin() {
  held_.clear();
  seen_rows_ = false;
}

std::optional<MixedTransactionGuard::Held> MixedTransactionGuard::Hold(Held held) {
  if (seen_rows_) {
    held.decision.apply = false;
    held.decision.statement.clear();
    held.decision.reason = "DDL in a transaction that also changed rows is not carried";
    return held;
  }
  held_.push_back(std::move(held));
  return std::nullopt;
}

std::vector<MixedTransactionGuard::Held> MixedTransactionGuard::OnRowChange() {
  seen_rows_ = true;
  std::vector<Held> dropped = std::move(held_);
  held_.clear();
  for (auto& h : dropped) {
    h.decision.apply = false;
    h.decision.statement.clear();
    h.decision.reason = "DDL in a transaction that also changed rows is not carried (rows changed after it)";
  }
  return dropped;
}

std::vector<MixedTransactionGuard::Held> MixedTransactionGuard::TakeForApply() {
  std::vector<Held> out = std::move(held_);
  held_.clear();
  return out;
}

}  // namespace pgduplex
