// ApplyBatch: what one target transaction of the applier holds -- the
// source transactions grouped into it, their changes in stream order, the
// TRUNCATE plans, and where the current segment (the changes after the
// last SAVEPOINT pgduplex_batch) starts.
//
// Changes are numbered from the start of the batch. Their records live on
// arena() and are kept until the batch commits, because a replay after a
// surprise reads them again. A single source transaction larger than
// 2 x batch_max_changes, or whose held records reach the memory budget's
// held_records() bytes (held_bytes(): encoded sizes, which the decoded
// records match within protobuf's per-value overhead), is released in
// segments (ReleaseSent, after the applier verified what was sent): the
// records are dropped and numbering goes on from base, so memory stays
// bounded by bytes as well as by changes.
//
// Plain bookkeeping: no SQL, nothing virtual; At() is the hot path's one
// lookup per change.
#pragma once

#include <google/protobuf/arena.h>

#include <cstdint>
#include <string>
#include <vector>

#include "apply/relation_map.h"
#include "apply/source_txn.h"
#include "apply/truncate_plan.h"
#include "common/lsn.h"
#include "pgduplex.pb.h"

namespace pgduplex {

struct BatchChange {
  const v1::Record* record;
  TargetRelation* relation;  // row changes only
  uint32_t txn;              // index into the batch's source transactions
  int32_t truncate;          // TRUNCATE: index into the batch's truncate plans
  Lsn lsn;
  uint64_t bytes;            // encoded size of the record
};

class ApplyBatch {
 public:
  ApplyBatch();
  ApplyBatch(const ApplyBatch&) = delete;
  ApplyBatch& operator=(const ApplyBatch&) = delete;

  google::protobuf::Arena* arena() { return &arena_; }

  // Changes.
  BatchChange& At(uint64_t index) { return changes_[index - base_]; }
  const BatchChange& At(uint64_t index) const { return changes_[index - base_]; }
  uint64_t End() const { return base_ + changes_.size(); }
  size_t held() const { return changes_.size(); }  // records not released yet
  uint64_t held_bytes() const { return held_bytes_; }  // their encoded bytes
  // Appends a change of the last source transaction; returns its index. A
  // TRUNCATE's plan must have been added first (AddTruncatePlan).
  uint64_t Add(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes);
  void AddTruncatePlan(std::vector<TruncateStatement> plan) { truncates_.push_back(std::move(plan)); }
  const std::vector<TruncateStatement>& TruncatePlan(const BatchChange& change) const {
    return truncates_[change.truncate];
  }
  // "INSERT on s.t at LSN 0/1 (source transaction 7)", for messages.
  std::string Where(uint64_t index) const;

  // Source transactions.
  void BeginTxn(const SourceTxn& txn);
  bool no_txns() const { return txns_.empty(); }
  size_t txn_count() const { return txns_.size(); }
  SourceTxn& txn(uint32_t i) { return txns_[i]; }
  const SourceTxn& txn(uint32_t i) const { return txns_[i]; }
  SourceTxn& last_txn() { return txns_.back(); }
  uint64_t TxnFirst(uint32_t txn) const { return txn_first_change_[txn]; }
  uint64_t TxnEnd(uint32_t txn) const;
  // Forgets the source transactions (none of them needed anything applied).
  void DropTxns();

  // Segments.
  uint64_t segment_start() const { return segment_start_; }
  void set_segment_start(uint64_t start) { segment_start_ = start; }
  // Drops the records sent so far (verified by the caller).
  void ReleaseSent();
  bool released() const { return released_; }
  // The held records reached either bound: time to verify and release them
  // (within a source transaction) or to commit (at a source COMMIT).
  bool HeldReaches(size_t max_changes, uint64_t max_bytes) const {
    return changes_.size() >= max_changes || held_bytes_ >= max_bytes;
  }

  uint64_t changes() const { return changes_count_; }
  uint64_t bytes() const { return bytes_; }

  void Reset();
  // Between batches: gives back the arena's memory once it grew large.
  void MaybeResetArena();

 private:
  google::protobuf::Arena arena_;
  std::vector<BatchChange> changes_;
  std::vector<SourceTxn> txns_;
  std::vector<uint64_t> txn_first_change_;  // parallel to txns_
  std::vector<std::vector<TruncateStatement>> truncates_;
  uint64_t base_ = 0;           // absolute index of changes_[0]
  uint64_t segment_start_ = 0;  // first change after the current SAVEPOINT
  uint64_t changes_count_ = 0;
  uint64_t bytes_ = 0;
  uint64_t held_bytes_ = 0;     // bytes of changes_ (not released yet)
  bool released_ = false;       // records of this batch were released
};

}  // namespace pgduplex
