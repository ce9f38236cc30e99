#include "initial_sync/copy_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/sql_lexer.h"

namespace pgduplex {

namespace {
constexpr int kMaxParts = 256;
constexpr double kGuessBytesPerRow = 100;
}  // namespace

double SourceTable::EstimatedRows() const {
  if (reltuples >= 0) return reltuples;
  return static_cast<double>(relation_bytes) / kGuessBytesPerRow;
}

int PartsFor(double rows, int workers, int split_rows) {
  if (split_rows <= 0 || rows <= split_rows) return 1;
  workers = std::max(workers, 1);
  double raw = std::ceil(rows / split_rows);
  int parts = static_cast<int>(std::min<double>(raw, kMaxParts));
  if (parts % workers != 0) parts += workers - parts % workers;
  return std::min(parts, kMaxParts);
}

std::vector<std::string> KeyRangePredicates(const std::string& column, int64_t min, int64_t max, int parts) {
  if (parts <= 1 || max <= min) return {""};
  // Width in 128 bits: max - min may not fit in int64.
  __int128 span = static_cast<__int128>(max) - min + 1;
  if (span < parts) parts = static_cast<int>(span);
  std::vector<int64_t> bounds;
  for (int k = 1; k < parts; ++k) {
    int64_t b = static_cast<int64_t>(min + span * k / parts);
    if (bounds.empty() || b > bounds.back()) bounds.push_back(b);
  }
  if (bounds.empty()) return {""};
  std::vector<std::string> out;
  out.push_back(fmt::format("{} < {}", column, bounds.front()));
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    out.push_back(fmt::format("{} >= {} AND {} < {}", column, bounds[i], column, bounds[i + 1]));
  }
  out.push_back(fmt::format("{} >= {}", column, bounds.back()));
  return out;
}

std::vector<std::string> BlockRangePredicates(int64_t pages, int parts) {
  if (parts <= 1 || pages < 2) return {""};
  if (pages < parts) parts = static_cast<int>(pages);
  std::vector<int64_t> bounds;
  for (int k = 1; k < parts; ++k) {
    int64_t b = pages * k / parts;
    if (bounds.empty() || b > bounds.back()) bounds.push_back(b);
  }
  std::vector<std::string> out;
  out.push_back(fmt::format("ctid < '({},0)'::tid", bounds.front()));
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    out.push_back(fmt::format("ctid >= '({},0)'::tid AND ctid < '({},0)'::tid", bounds[i], bounds[i + 1]));
  }
  out.push_back(fmt::format("ctid >= '({},0)'::tid", bounds.back()));
  return out;
}

void RestrictToRowFilters(std::vector<CopyTask>& tasks, const std::vector<SourceTable>& tables,
                          const std::vector<TableOptions>& options) {
  for (auto& task : tasks) {
    const SourceTable& t = tables.at(task.table);
    const TableOptions* rules = FindTableOptions(options, t.name);
    if (!rules && t.parent) rules = FindTableOptions(options, *t.parent);
    if (!rules || rules->forward.row_filter.empty()) continue;
    const std::string& filter = rules->forward.row_filter;
    task.where = task.where.empty() ? "(" + filter + ")" : "(" + task.where + ") AND (" + filter + ")";
  }
}

std::vector<CopyTask> PlanCopyTasks(const std::vector<SourceTable>& tables, int workers, int split_rows) {
  std::vector<CopyTask> tasks;
  for (size_t i = 0; i < tables.size(); ++i) {
    const SourceTable& t = tables[i];
    if (t.partitioned) continue;
    double rows = t.EstimatedRows();
    int parts = PartsFor(rows, workers, split_rows);
    std::vector<std::string> predicates{""};
    if (parts > 1) {
      if (!t.int_key.empty() && t.key_min && t.key_max) {
        predicates = KeyRangePredicates(QuoteIdent(t.int_key), *t.key_min, *t.key_max, parts);
      } else {
        predicates = BlockRangePredicates(t.relation_pages, parts);
      }
    }
    int n = static_cast<int>(predicates.size());
    for (int p = 0; p < n; ++p) {
      CopyTask task;
      task.table = i;
      task.part = p;
      task.parts = n;
      task.where = predicates[p];
      task.estimated_rows = rows / n;
      task.estimated_bytes = static_cast<double>(t.relation_bytes) / n;
      tasks.push_back(std::move(task));
    }
  }
  std::stable_sort(tasks.begin(), tasks.end(), [](const CopyTask& x, const CopyTask& y) {
    return std::max(x.estimated_bytes, x.estimated_rows) > std::max(y.estimated_bytes, y.estimated_rows);
  });
  return tasks;
}

std::vector<std::string> PartitionScopeProblems(const std::vector<SourceTable>& all,
                                                const std::vector<TableName>& selected) {
  std::set<TableName> in_scope(selected.begin(), selected.end());
  std::map<TableName, std::vector<TableName>> children;
  for (const auto& t : all) {
    if (t.parent) children[*t.parent].push_back(t.name);
  }
  std::vector<std::string> problems;
  for (const auto& t : all) {
    if (!in_scope.count(t.name)) continue;
    if (t.parent && !in_scope.count(*t.parent)) {
      problems.push_back(fmt::format("partition {} is in the sync scope but its partitioned table {} is not",
                                     t.name.Display(), t.parent->Display()));
    }
    if (t.partitioned) {
      std::string missing;
      for (const auto& c : children[t.name]) {
        if (!in_scope.count(c)) missing += (missing.empty() ? "" : ", ") + c.Display();
      }
      if (!missing.empty()) {
        problems.push_back(fmt::format("partitioned table {} has partitions outside the sync scope: {}",
                                       t.name.Display(), missing));
      }
    }
  }
  return problems;
}

}  // namespace pgduplex
