// KeyRange: a half-open slice of a table in primary-key order, the unit
// `pgduplex verify` compares. A key is the text form of the key columns, in
// key-column order; both clusters cast it back with their own column types,
// so A and B may declare the key columns with different (compatible) types.
//
// Contract: SplitRange is pure; the ranges it returns cover exactly the
// outer range, in order, without overlap: (after, b1], (b1, b2], ...,
// (bn, upto]. RangePredicate renders a range as a WHERE condition with
// numbered text parameters; it only concatenates what the caller quoted.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pgduplex {

using KeyTuple = std::vector<std::string>;

struct KeyRange {
  std::optional<KeyTuple> after;  // exclusive lower bound; nullopt = from the first key
  std::optional<KeyTuple> upto;   // inclusive upper bound; nullopt = to the last key
  bool operator==(const KeyRange& o) const { return after == o.after && upto == o.upto; }
};

// Boundaries must be strictly increasing keys inside outer; duplicates and
// boundaries equal to outer.upto are dropped (they would make empty ranges).
std::vector<KeyRange> SplitRange(const KeyRange& outer, const std::vector<KeyTuple>& boundaries);

// Every `chunk_rows`-th key, given keys in order (for tests and small sets;
// verify asks the database for the same thing).
std::vector<KeyTuple> EveryNthKey(const std::vector<KeyTuple>& ordered_keys, size_t chunk_rows);

struct SqlCondition {
  std::string sql;                  // "TRUE" when the range is unbounded
  std::vector<std::string> params;  // text values for $first_param, ...
};

// quoted_columns: key columns already quoted; types: their SQL types on the
// cluster the condition runs on (used as casts of the parameters).
SqlCondition RangePredicate(const std::vector<std::string>& quoted_columns, const std::vector<std::string>& types,
                            const KeyRange& range, int first_param = 1);

// "(c1, c2) = ($1::t1, $2::t2)" style equality for one key.
SqlCondition KeyEquals(const std::vector<std::string>& quoted_columns, const std::vector<std::string>& types,
                       const KeyTuple& key, int first_param = 1);

// "(c1, c2) IN (($1::t1, $2::t2), ($3::t1, $4::t2))" for several keys.
SqlCondition KeyIn(const std::vector<std::string>& quoted_columns, const std::vector<std::string>& types,
                   const std::vector<KeyTuple>& keys, int first_param = 1);

// For messages: "42" or "(7, abc)".
std::string DisplayKey(const KeyTuple& key);
std::string DisplayRange(const KeyRange& range);

}  // namespace pgduplex
