#include "ops/row_diff.h"

#include <set>
#include <unordered_map>
#include <unordered_set>

namespace pgduplex {

namespace {
// Unambiguous single-string form of a key: each part as "<length>:<bytes>".
std::string Encode(const KeyTuple& key) {
  std::string out;
  for (const auto& part : key) out += std::to_string(part.size()) + ":" + part;
  return out;
}

std::vector<KeyTuple> Common(const std::vector<KeyTuple>& x, const std::vector<KeyTuple>& y) {
  std::unordered_set<std::string> in_y;
  for (const auto& k : y) in_y.insert(Encode(k));
  std::vector<KeyTuple> out;
  for (const auto& k : x) {
    if (in_y.count(Encode(k))) out.push_back(k);
  }
  return out;
}
}  // namespace

void RowDiff::Append(const RowDiff& other) {
  missing_on_b.insert(missing_on_b.end(), other.missing_on_b.begin(), other.missing_on_b.end());
  extra_on_b.insert(extra_on_b.end(), other.extra_on_b.begin(), other.extra_on_b.end());
  changed.insert(changed.end(), other.changed.begin(), other.changed.end());
}

RowDiff DiffRowHashes(const std::vector<RowHash>& a, const std::vector<RowHash>& b) {
  std::unordered_map<std::string, const std::string*> b_hash;
  b_hash.reserve(b.size());
  for (const auto& row : b) b_hash.emplace(Encode(row.key), &row.hash);
  std::unordered_set<std::string> seen_a;
  seen_a.reserve(a.size());
  RowDiff diff;
  for (const auto& row : a) {
    std::string encoded = Encode(row.key);
    if (!seen_a.insert(encoded).second) continue;
    auto it = b_hash.find(encoded);
    if (it == b_hash.end()) {
      diff.missing_on_b.push_back(row.key);
    } else if (*it->second != row.hash) {
      diff.changed.push_back(row.key);
    }
  }
  std::unordered_set<std::string> seen_b;
  for (const auto& row : b) {
    std::string encoded = Encode(row.key);
    if (!seen_a.count(encoded) && seen_b.insert(encoded).second) diff.extra_on_b.push_back(row.key);
  }
  return diff;
}

RowDiff IntersectDiffs(const RowDiff& first, const RowDiff& second) {
  RowDiff out;
  out.missing_on_b = Common(first.missing_on_b, second.missing_on_b);
  out.extra_on_b = Common(first.extra_on_b, second.extra_on_b);
  out.changed = Common(first.changed, second.changed);
  return out;
}

}  // namespace pgduplex
