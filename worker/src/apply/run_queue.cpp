#include "apply/run_queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "apply/change_params.h"
#include "common/errors.h"

namespace pgduplex {

namespace {
constexpr size_t kMaxRun = 256;
constexpr int kMaxParams = 65535;

// Largest power of two <= n, bounded by the parameter limit.
int ChunkRows(size_t remaining, int params_per_row) {
  int limit = params_per_row > 0 ? kMaxParams / params_per_row : kMaxParams;
  int rows = 1;
  while (static_cast<size_t>(rows) * 2 <= remaining && rows * 2 <= limit && rows < static_cast<int>(kMaxRun)) rows *= 2;
  return rows;
}

bool SameValue(const char* a, const char* b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return std::strcmp(a, b) == 0;
}
}  // namespace

void RunQueue::Queue(uint64_t index) {
  TargetRelation* relation = batch_.At(index).relation;
  if (precise_ || relation->ordered) {
    if (relation->ordered) {
      FlushAll();
    } else {
      Flush(relation);
    }
    SendSingle(index);
    return;
  }
  RunKind kind = RunKindOf(index, *relation);
  if (kind == RunKind::kNone) {
    Flush(relation);
    SendSingle(index);
    return;
  }
  TableRun& run = relation->run;
  if (run.kind != kind) Flush(relation);
  if (!run.listed) {
    run.listed = true;
    runs_.push_back(relation);
  }
  run.kind = kind;
  run.changes.push_back(index);
  run.bytes += batch_.At(index).bytes;
  if (run.changes.size() >= kMaxRun || run.bytes >= max_run_bytes_) Flush(relation);
}

// The run change `index` may join; RunKind::kNone when it must go alone.
RunKind RunQueue::RunKindOf(uint64_t index, const TargetRelation& relation) {
  const v1::Record& record = *batch_.At(index).record;
  RunKind kind = record.has_insert()   ? RunKind::kInsert
                 : record.has_update() ? RunKind::kUpdate
                                       : RunKind::kDelete;
  if (kind != RunKind::kInsert && !relation.shape.unique_key) kind = RunKind::kNone;
  if (kind == RunKind::kUpdate) {
    const v1::Update& update = record.update();
    bool key_may_change = update.old_kind() != v1::OLD_TUPLE_NONE;
    if (key_may_change && relation.compactable_updates) {
      // An old image does not mean the key changed (REPLICA IDENTITY FULL).
      if (!ChangeKey(relation, record, &key_, &error_)) throw ApplyError(batch_.Where(index) + ": " + error_);
      key_may_change = false;
      size_t k = 0;
      for (size_t i = 0; i < relation.shape.columns.size(); ++i) {
        if (!relation.shape.columns[i].key) continue;
        if (static_cast<int>(i) >= update.new_tuple().values_size() ||
            !SameValue(key_[k++], ValueText(update.new_tuple().values(static_cast<int>(i))))) {
          key_may_change = true;
        }
      }
    }
    if (!relation.compactable_updates || key_may_change) kind = RunKind::kNone;
  }
  return kind;
}

void RunQueue::FlushAll() {
  // Tables are independent here (see run_queue.h), so their runs may go out
  // in any order: the current role's tables first, then grouped per owner,
  // which keeps role switches (run_as) to one per owner.
  if (runs_.size() > 1) {
    const uint32_t current = roles_.current();
    std::stable_sort(runs_.begin(), runs_.end(), [&](const TargetRelation* x, const TargetRelation* y) {
      uint32_t rx = roles_.RoleFor(x->owner), ry = roles_.RoleFor(y->owner);
      return std::make_pair(rx != current, rx) < std::make_pair(ry != current, ry);
    });
  }
  for (TargetRelation* relation : runs_) {
    Flush(relation);
    relation->run.listed = false;
  }
  runs_.clear();
}

void RunQueue::Clear() {
  for (TargetRelation* relation : runs_) relation->run.Clear();
  runs_.clear();
  precise_ = false;
}

void RunQueue::SendRows(PreparedStatement* statement, uint64_t first_change, uint32_t rows) {
  AsOwnerOf(batch_.At(first_change).relation);
  if (statement->state == PreparedStatement::State::kUnprepared) pipeline_.SendPrepare(statement);
  pipeline_.SendPrepared(*statement, params_.data(), PipelineTag::Change(first_change, rows));
}

void RunQueue::Flush(TargetRelation* relation) {
  TableRun& run = relation->run;
  if (run.changes.empty()) return;
  if (run.kind == RunKind::kInsert) {
    FlushInserts(relation);
  } else if (run.kind == RunKind::kDelete) {
    FlushDeletes(relation);
  } else if (run.kind == RunKind::kUpdate) {
    FlushUpdates(relation);
  }
  run.changes.clear();
  run.bytes = 0;
  run.kind = RunKind::kNone;
}

void RunQueue::FlushInserts(TargetRelation* relation) {
  const std::vector<uint64_t>& run = relation->run.changes;
  const size_t width = relation->shape.columns.size();
  const bool guarded = relation->shape.last_write && width > 0;
  for (size_t done = 0; done < run.size();) {
    int rows = ChunkRows(run.size() - done, static_cast<int>(width) + (guarded ? 1 : 0));
    params_.clear();
    for (int r = 0; r < rows; ++r) {
      const v1::Record& record = *batch_.At(run[done + r]).record;
      TupleValues(record.insert().new_tuple(), &row_);
      if (row_.size() != width || std::find(row_.begin(), row_.end(), kUnknownValue) != row_.end()) {
        throw ApplyError(
            fmt::format("{}: the INSERT does not carry one value per column", batch_.Where(run[done + r])));
      }
      params_.insert(params_.end(), row_.begin(), row_.end());
      if (guarded) params_.push_back(CommitTimeOf(run[done + r]));
    }
    SendRows(relation->MultiInsert(rows), run[done], static_cast<uint32_t>(rows));
    done += rows;
  }
}

void RunQueue::FlushDeletes(TargetRelation* relation) {
  const std::vector<uint64_t>& run = relation->run.changes;
  size_t keys = relation->Guarded() ? 1 : 0;
  for (const auto& column : relation->shape.columns) keys += column.key ? 1 : 0;
  for (size_t done = 0; done < run.size();) {
    int rows = ChunkRows(run.size() - done, static_cast<int>(keys));
    params_.clear();
    for (int r = 0; r < rows; ++r) {
      uint64_t index = run[done + r];
      if (!DeleteParams(*relation, batch_.At(index).record->delete_(), &key_, &error_)) {
        throw ApplyError(batch_.Where(index) + ": " + error_);
      }
      params_.insert(params_.end(), key_.begin(), key_.end());
      if (relation->Guarded()) params_.push_back(CommitTimeOf(index));
    }
    SendRows(relation->MultiDelete(rows), run[done], static_cast<uint32_t>(rows));
    done += rows;
  }
}

void RunQueue::FlushUpdates(TargetRelation* relation) {
  std::vector<MergedUpdate> merged = MergeUpdates(*relation);
  const auto& columns = relation->shape.columns;
  const size_t width = columns.size();
  // Group by the columns set; rows of one group go out together.
  std::vector<std::pair<std::string, std::vector<size_t>>> groups;
  std::unordered_map<std::string, size_t> group_of;
  for (size_t m = 0; m < merged.size(); ++m) {
    std::string mask(width, '0');
    for (size_t i = 0; i < width; ++i) {
      if (merged[m].values[i] != kUnknownValue) mask[i] = '1';
    }
    auto found = group_of.find(mask);
    if (found == group_of.end()) {
      group_of.emplace(mask, groups.size());
      groups.emplace_back(mask, std::vector<size_t>{m});
    } else {
      groups[found->second].second.push_back(m);
    }
  }
  for (const auto& [mask, members] : groups) SendUpdateGroup(relation, merged, mask, members);
}

// One merged row per key, in order of first appearance.
std::vector<RunQueue::MergedUpdate> RunQueue::MergeUpdates(const TargetRelation& relation) {
  const auto& columns = relation.shape.columns;
  const size_t width = columns.size();
  std::vector<MergedUpdate> merged;
  std::unordered_map<std::string, size_t> by_key;
  for (uint64_t index : relation.run.changes) {
    const v1::Record& record = *batch_.At(index).record;
    if (!ChangeKey(relation, record, &key_, &error_)) throw ApplyError(batch_.Where(index) + ": " + error_);
    const v1::Tuple& tuple = record.update().new_tuple();
    if (static_cast<size_t>(tuple.values_size()) != width) {
      throw ApplyError(fmt::format("{}: the UPDATE does not carry one value per column", batch_.Where(index)));
    }
    key_text_.clear();
    for (const char* value : key_) {
      if (value) {
        key_text_ += std::to_string(std::strlen(value));
        key_text_ += ':';
        key_text_ += value;
      } else {
        key_text_ += 'N';
      }
    }
    auto found = by_key.find(key_text_);
    MergedUpdate* row;
    if (found == by_key.end()) {
      by_key.emplace(key_text_, merged.size());
      merged.push_back(MergedUpdate{index, key_, std::vector<const char*>(width, kUnknownValue)});
      row = &merged.back();
    } else {
      row = &merged[found->second];
    }
    // Under last-write-wins unchanged values come from a full old image
    // (see UpdateParams).
    const v1::Update& update = record.update();
    const bool whole = relation.shape.last_write && update.old_kind() == v1::OLD_TUPLE_FULL;
    for (size_t i = 0; i < width; ++i) {
      if (columns[i].key) continue;
      const char* value = ValueText(tuple.values(static_cast<int>(i)));
      if (value == kUnknownValue && whole) value = ValueText(update.old_tuple().values(static_cast<int>(i)));
      if (value != kUnknownValue) row->values[i] = value;
    }
  }
  return merged;
}

// The merged rows `members` (all with SET columns `mask`), in multi-row
// UPDATEs.
void RunQueue::SendUpdateGroup(TargetRelation* relation, const std::vector<MergedUpdate>& merged,
                               const std::string& mask, const std::vector<size_t>& members) {
  const auto& columns = relation->shape.columns;
  const size_t width = columns.size();
  // Under last-write-wins a merged row carries the commit time of its first
  // change: a local row newer than that holds the whole merge back, and the
  // conflict path then takes its changes one by one.
  int per_row = relation->Guarded() ? 1 : 0;
  for (size_t i = 0; i < width; ++i) per_row += (mask[i] == '1' || columns[i].key) ? 1 : 0;
  for (size_t done = 0; done < members.size();) {
    int rows = ChunkRows(members.size() - done, per_row);
    params_.clear();
    uint64_t first = UINT64_MAX;
    for (int r = 0; r < rows; ++r) {
      const MergedUpdate& row = merged[members[done + r]];
      first = std::min(first, row.first);
      for (size_t i = 0; i < width; ++i) {
        if (mask[i] == '1') params_.push_back(row.values[i]);
      }
      params_.insert(params_.end(), row.key.begin(), row.key.end());
      if (relation->Guarded()) params_.push_back(CommitTimeOf(row.first));
    }
    SendRows(relation->MultiUpdate(mask, rows), first, static_cast<uint32_t>(rows));
    done += rows;
  }
}

const char* RunQueue::CommitTimeOf(uint64_t index) const {
  return batch_.txn(batch_.At(index).txn).commit_time_text.c_str();
}

void RunQueue::SendChange(PreparedStatement* statement, uint64_t index) {
  AsOwnerOf(batch_.At(index).relation);
  if (statement->state == PreparedStatement::State::kUnprepared) pipeline_.SendPrepare(statement);
  pipeline_.SendPrepared(*statement, params_.data(), PipelineTag::Change(index));
}

void RunQueue::SendSingle(uint64_t index) {
  const BatchChange& change = batch_.At(index);
  const v1::Record& record = *change.record;
  switch (record.kind_case()) {
    case v1::Record::kInsert:
      InsertParams(*change.relation, record.insert(), &params_);
      if (params_.size() != change.relation->shape.columns.size() ||
          std::find(params_.begin(), params_.end(), kUnknownValue) != params_.end()) {
        throw ApplyError(fmt::format("{}: the INSERT does not carry one value per column", batch_.Where(index)));
      }
      if (change.relation->shape.last_write && !params_.empty()) {
        params_.push_back(CommitTimeOf(index));
        SendChange(change.relation->MultiInsert(1), index);
        return;
      }
      SendChange(change.relation->Insert(false), index);
      return;
    case v1::Record::kUpdate:
      if (!UpdateParams(*change.relation, record.update(), &mask_, &params_, &error_)) {
        throw ApplyError(batch_.Where(index) + ": " + error_);
      }
      if (change.relation->Guarded()) {
        params_.push_back(CommitTimeOf(index));
        SendChange(change.relation->MultiUpdate(mask_, 1), index);
        return;
      }
      SendChange(change.relation->Update(mask_), index);
      return;
    case v1::Record::kDelete:
      if (!DeleteParams(*change.relation, record.delete_(), &params_, &error_)) {
        throw ApplyError(batch_.Where(index) + ": " + error_);
      }
      if (change.relation->Guarded()) {
        params_.push_back(CommitTimeOf(index));
        SendChange(change.relation->MultiDelete(1), index);
        return;
      }
      SendChange(change.relation->Delete(), index);
      return;
    default:
      throw std::logic_error("RunQueue::SendSingle: not a row change");
  }
}

}  // namespace pgduplex
