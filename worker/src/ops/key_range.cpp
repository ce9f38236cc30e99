#include "ops/key_range.h"

#include <fmt/format.h>

namespace pgduplex {

std::vector<KeyRange> SplitRange(const KeyRange& outer, const std::vector<KeyTuple>& boundaries) {
  std::vector<KeyRange> ranges;
  std::optional<KeyTuple> lower = outer.after;
  for (const KeyTuple& b : boundaries) {
    if (lower && *lower == b) continue;       // duplicate boundary
    if (outer.upto && *outer.upto == b) break;  // last range ends there anyway
    ranges.push_back({lower, b});
    lower = b;
  }
  ranges.push_back({lower, outer.upto});
  return ranges;
}

std::vector<KeyTuple> EveryNthKey(const std::vector<KeyTuple>& ordered_keys, size_t chunk_rows) {
  std::vector<KeyTuple> out;
  if (chunk_rows == 0) return out;
  for (size_t i = chunk_rows; i <= ordered_keys.size(); i += chunk_rows) out.push_back(ordered_keys[i - 1]);
  return out;
}

namespace {

// "c1" or "(c1, c2)" and "$1::t1" or "($1::t1, $2::t2)".
std::string Tuple(const std::vector<std::string>& items) {
  if (items.size() == 1) return items[0];
  std::string out = "(";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + ")";
}

std::string ParamTuple(const std::vector<std::string>& types, int first) {
  std::vector<std::string> items;
  for (size_t i = 0; i < types.size(); ++i) items.push_back(fmt::format("${}::{}", first + i, types[i]));
  return Tuple(items);
}

}  // namespace

SqlCondition RangePredicate(const std::vector<std::string>& quoted_columns, const std::vector<std::string>& types,
                            const KeyRange& range, int first_param) {
  SqlCondition cond;
  std::string lhs = Tuple(quoted_columns);
  int next = first_param;
  if (range.after) {
    cond.sql = fmt::format("{} > {}", lhs, ParamTuple(types, next));
    cond.params.insert(cond.params.end(), range.after->begin(), range.after->end());
    next += static_cast<int>(types.size());
  }
  if (range.upto) {
    if (!cond.sql.empty()) cond.sql += " AND ";
    cond.sql += fmt::format("{} <= {}", lhs, ParamTuple(types, next));
    cond.params.insert(cond.params.end(), range.upto->begin(), range.upto->end());
  }
  if (cond.sql.empty()) cond.sql = "TRUE";
  return cond;
}

SqlCondition KeyEquals(const std::vector<std::string>& quoted_columns, const std::vector<std::string>& types,
                       const KeyTuple& key, int first_param) {
  SqlCondition cond;
  cond.sql = fmt::format("{} = {}", Tuple(quoted_columns), ParamTuple(types, first_param));
  cond.params = key;
  return cond;
}

SqlCondition KeyIn(const std::vector<std::string>& quoted_columns, const std::vector<std::string>& types,
                   const std::vector<KeyTuple>& keys, int first_param) {
  SqlCondition cond;
  if (keys.empty()) {
    cond.sql = "FALSE";
    return cond;
  }
  cond.sql = Tuple(quoted_columns) + " IN (";
  int next = first_param;
  for (size_t i = 0; i < keys.size(); ++i) {
    cond.sql += (i ? ", " : "") + ParamTuple(types, next);
    next += static_cast<int>(types.size());
    cond.params.insert(cond.params.end(), keys[i].begin(), keys[i].end());
  }
  cond.sql += ")";
  return cond;
}

std::string DisplayKey(const KeyTuple& key) {
  if (key.size() == 1) return key[0];
  std::string out = "(";
  for (size_t i = 0; i < key.size(); ++i) out += (i ? ", " : "") + key[i];
  return out + ")";
}

std::string DisplayRange(const KeyRange& range) {
  return fmt::format("({}, {}]", range.after ? DisplayKey(*range.after) : "-inf",
                     range.upto ? DisplayKey(*range.upto) : "+inf");
}

}  // namespace pgduplex
