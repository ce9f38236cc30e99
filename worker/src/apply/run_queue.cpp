// Applier, fast path: runs of same-kind changes per table, sent as
// multi-row statements.
//
// Why this is safe. Under session_replication_role = replica no ordinary
// trigger and no foreign key check fires, so changes to different tables
// do not observe each other inside the (atomic) batch transaction; only
// the order within one table matters, and it is kept: a table's run is
// flushed before a change of another kind to it, before TRUNCATE/DDL and
// before every sync point. Inside a run:
//   * INSERTs go out in order as multi-row INSERTs; a key that already
//     exists fails the statement (unique violation), as it would alone.
//   * DELETEs go out as DELETE ... USING (VALUES ...); a missing row shows
//     as a row count below the number of keys.
//   * UPDATEs of a table whose only unique constraint is its key, that do
//     not change the key, are merged per row (later values win, columns
//     left out as unchanged TOAST keep the earlier value) and go out as
//     UPDATE ... FROM (VALUES ...) per SET column set. Any other UPDATE is
//     sent alone, in order.
// With sync.apply_as_table_owner each statement runs as its table's owner:
// FlushRuns sends the runs grouped per owner, one run_as per group.
// Any surprise (error or missing row) rolls the segment back and replays
// it one change at a time (precise mode), where every conflict is detected
// and resolved exactly as if nothing had been merged.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "apply/applier.h"
#include "apply/change_params.h"

namespace pgduplex {

namespace {
constexpr size_t kMaxRun = 256;
constexpr int kMaxParams = 65535;
enum RunKind { kNoRun = 0, kInsertRun, kUpdateRun, kDeleteRun };

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

void Applier::QueueChange(uint64_t index) {
  Change& change = At(index);
  TargetRelation* relation = change.relation;
  const v1::Record& record = *change.record;
  if (precise_ || relation->ordered) {
    if (relation->ordered) {
      FlushRuns();
    } else {
      FlushRun(relation);
    }
    SendSingle(index);
    return;
  }
  int kind = record.has_insert() ? kInsertRun : record.has_update() ? kUpdateRun : kDeleteRun;
  if (kind != kInsertRun && !relation->shape.unique_key) kind = kNoRun;
  if (kind == kUpdateRun) {
    const v1::Update& update = record.update();
    bool key_may_change = update.old_kind() != v1::OLD_TUPLE_NONE;
    if (key_may_change && relation->compactable_updates) {
      // An old image does not mean the key changed (REPLICA IDENTITY FULL).
      if (!ChangeKey(*relation, record, &key_, &error_)) throw ApplyError(Where(index) + ": " + error_);
      key_may_change = false;
      size_t k = 0;
      for (size_t i = 0; i < relation->shape.columns.size(); ++i) {
        if (!relation->shape.columns[i].key) continue;
        if (static_cast<int>(i) >= update.new_tuple().values_size() ||
            !SameValue(key_[k++], ValueText(update.new_tuple().values(static_cast<int>(i))))) {
          key_may_change = true;
        }
      }
    }
    if (!relation->compactable_updates || key_may_change) kind = kNoRun;
  }
  if (kind == kNoRun) {
    FlushRun(relation);
    SendSingle(index);
    return;
  }
  if (relation->run_kind != kind) FlushRun(relation);
  if (!relation->listed) {
    relation->listed = true;
    runs_.push_back(relation);
  }
  relation->run_kind = kind;
  relation->run.push_back(index);
  if (relation->run.size() >= kMaxRun) FlushRun(relation);
}

void Applier::FlushRuns() {
  // Tables are independent here (see above), so their runs may go out in
  // any order: the current role's tables first, then grouped per owner,
  // which keeps role switches (run_as) to one per owner.
  if (runs_.size() > 1) {
    const uint32_t current = roles_.current();
    std::stable_sort(runs_.begin(), runs_.end(), [&](const TargetRelation* x, const TargetRelation* y) {
      uint32_t rx = roles_.RoleFor(x->owner), ry = roles_.RoleFor(y->owner);
      return std::make_pair(rx != current, rx) < std::make_pair(ry != current, ry);
    });
  }
  for (TargetRelation* relation : runs_) {
    FlushRun(relation);
    relation->listed = false;
  }
  runs_.clear();
}

void Applier::SendRows(PreparedStatement* statement, uint64_t first_change, uint32_t rows) {
  AsOwnerOf(At(first_change).relation);
  if (statement->state == PreparedStatement::State::kUnprepared) pipeline_.SendPrepare(statement);
  pipeline_.SendPrepared(*statement, params_.data(),
                         PipelineTag{PipelineTag::Kind::kChange, first_change, nullptr, rows});
}

void Applier::FlushRun(TargetRelation* relation) {
  std::vector<uint64_t>& run = relation->run;
  if (run.empty()) return;
  const size_t width = relation->shape.columns.size();
  if (relation->run_kind == kInsertRun) {
    for (size_t done = 0; done < run.size();) {
      int rows = ChunkRows(run.size() - done, static_cast<int>(width));
      params_.clear();
      for (int r = 0; r < rows; ++r) {
        const v1::Record& record = *At(run[done + r]).record;
        TupleValues(record.insert().new_tuple(), &row_);
        if (row_.size() != width || std::find(row_.begin(), row_.end(), kUnknownValue) != row_.end()) {
          throw ApplyError(fmt::format("{}: the INSERT does not carry one value per column", Where(run[done + r])));
        }
        params_.insert(params_.end(), row_.begin(), row_.end());
      }
      SendRows(relation->MultiInsert(rows), run[done], static_cast<uint32_t>(rows));
      done += rows;
    }
  } else if (relation->run_kind == kDeleteRun) {
    size_t keys = 0;
    for (const auto& column : relation->shape.columns) keys += column.key ? 1 : 0;
    for (size_t done = 0; done < run.size();) {
      int rows = ChunkRows(run.size() - done, static_cast<int>(keys));
      params_.clear();
      for (int r = 0; r < rows; ++r) {
        uint64_t index = run[done + r];
        if (!DeleteParams(*relation, At(index).record->delete_(), &key_, &error_)) {
          throw ApplyError(Where(index) + ": " + error_);
        }
        params_.insert(params_.end(), key_.begin(), key_.end());
      }
      SendRows(relation->MultiDelete(rows), run[done], static_cast<uint32_t>(rows));
      done += rows;
    }
  } else if (relation->run_kind == kUpdateRun) {
    FlushUpdateRun(relation);
  }
  run.clear();
  relation->run_kind = kNoRun;
}

void Applier::FlushUpdateRun(TargetRelation* relation) {
  const std::vector<uint64_t>& run = relation->run;
  const auto& columns = relation->shape.columns;
  const size_t width = columns.size();
  // One merged row per key, in order of first appearance.
  struct Merged {
    uint64_t first;
    std::vector<const char*> key;
    std::vector<const char*> values;  // per column; kUnknownValue = not set
  };
  std::vector<Merged> merged;
  std::unordered_map<std::string, size_t> by_key;
  for (uint64_t index : run) {
    const v1::Record& record = *At(index).record;
    if (!ChangeKey(*relation, record, &key_, &error_)) throw ApplyError(Where(index) + ": " + error_);
    const v1::Tuple& tuple = record.update().new_tuple();
    if (static_cast<size_t>(tuple.values_size()) != width) {
      throw ApplyError(fmt::format("{}: the UPDATE does not carry one value per column", Where(index)));
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
    Merged* row;
    if (found == by_key.end()) {
      by_key.emplace(key_text_, merged.size());
      merged.push_back(Merged{index, key_, std::vector<const char*>(width, kUnknownValue)});
      row = &merged.back();
    } else {
      row = &merged[found->second];
    }
    for (size_t i = 0; i < width; ++i) {
      if (columns[i].key) continue;
      const char* value = ValueText(tuple.values(static_cast<int>(i)));
      if (value != kUnknownValue) row->values[i] = value;
    }
  }
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
  for (const auto& [mask, members] : groups) {
    int per_row = 0;
    for (size_t i = 0; i < width; ++i) per_row += (mask[i] == '1' || columns[i].key) ? 1 : 0;
    for (size_t done = 0; done < members.size();) {
      int rows = ChunkRows(members.size() - done, per_row);
      params_.clear();
      uint64_t first = UINT64_MAX;
      for (int r = 0; r < rows; ++r) {
        const Merged& row = merged[members[done + r]];
        first = std::min(first, row.first);
        for (size_t i = 0; i < width; ++i) {
          if (mask[i] == '1') params_.push_back(row.values[i]);
        }
        params_.insert(params_.end(), row.key.begin(), row.key.end());
      }
      SendRows(relation->MultiUpdate(mask, rows), first, static_cast<uint32_t>(rows));
      done += rows;
    }
  }
}

}  // namespace pgduplex
