#include "apply/apply_batch.h"

#include <fmt/format.h>

#include "wire/record_decoder.h"

namespace pgduplex {

namespace {
constexpr size_t kArenaResetBytes = 1 << 20;

google::protobuf::ArenaOptions ArenaSettings() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 * 1024;
  options.max_block_size = 1024 * 1024;
  return options;
}
}  // namespace

ApplyBatch::ApplyBatch() : arena_(ArenaSettings()) {}

uint64_t ApplyBatch::Add(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes) {
  uint64_t index = End();
  int32_t truncate = record.has_truncate() ? static_cast<int32_t>(truncates_.size() - 1) : -1;
  changes_.push_back(BatchChange{&record, relation, static_cast<uint32_t>(txns_.size() - 1), truncate, lsn, bytes});
  ++changes_count_;
  bytes_ += bytes;
  held_bytes_ += bytes;
  return index;
}

std::string ApplyBatch::Where(uint64_t index) const {
  const BatchChange& change = At(index);
  std::string table = change.relation ? change.relation->display : std::string("-");
  const SourceTxn& txn = txns_[change.txn];
  return fmt::format("{} on {} at LSN {} (source transaction {})", RecordKindName(*change.record), table,
                     LsnToString(change.lsn), txn.xid);
}

void ApplyBatch::BeginTxn(const SourceTxn& txn) {
  txns_.push_back(txn);
  txn_first_change_.push_back(End());
}

uint64_t ApplyBatch::TxnEnd(uint32_t txn) const {
  return txn + 1 < txns_.size() ? txn_first_change_[txn + 1] : End();
}

void ApplyBatch::DropTxns() {
  txns_.clear();
  txn_first_change_.clear();
}

void ApplyBatch::ReleaseSent() {
  base_ = End();
  changes_.clear();
  held_bytes_ = 0;
  arena_.Reset();
  released_ = true;
}

void ApplyBatch::Reset() {
  changes_.clear();
  txns_.clear();
  txn_first_change_.clear();
  base_ = 0;
  segment_start_ = 0;
  changes_count_ = 0;
  bytes_ = 0;
  held_bytes_ = 0;
  released_ = false;
  truncates_.clear();
  arena_.Reset();
}

void ApplyBatch::MaybeResetArena() {
  if (changes_.empty() && arena_.SpaceUsed() > kArenaResetBytes) arena_.Reset();
}

}  // namespace pgduplex
