// CheckResult and the table `pgduplex precheck` prints: one line per check
// and cluster, PASS / WARN / FAIL / SKIP, what was found and, unless it
// passed or was skipped, how to fix it. SKIP: the check cannot apply yet
// (e.g. B has no tables before the initial copy creates them).
//
// Contract: FormatCheckTable is pure; columns are aligned to the widest
// cell, the fix goes on its own line under the detail. PrecheckExitCode is
// 1 when any result is FAIL, else 0.
#pragma once

#include <string>
#include <vector>

namespace pgduplex {

enum class CheckStatus { kPass, kWarn, kFail, kSkip };
const char* ToString(CheckStatus status);

struct CheckResult {
  std::string check;    // e.g. "wal_level"
  std::string cluster;  // "a", "b", "a+b"
  CheckStatus status = CheckStatus::kPass;
  std::string detail;   // what was found
  std::string fix;      // what to do; empty for PASS
};

inline CheckResult Pass(std::string check, std::string cluster, std::string detail) {
  return {std::move(check), std::move(cluster), CheckStatus::kPass, std::move(detail), ""};
}
inline CheckResult Warn(std::string check, std::string cluster, std::string detail, std::string fix) {
  return {std::move(check), std::move(cluster), CheckStatus::kWarn, std::move(detail), std::move(fix)};
}
inline CheckResult Skip(std::string check, std::string cluster, std::string detail) {
  return {std::move(check), std::move(cluster), CheckStatus::kSkip, std::move(detail), ""};
}
inline CheckResult Fail(std::string check, std::string cluster, std::string detail, std::string fix) {
  return {std::move(check), std::move(cluster), CheckStatus::kFail, std::move(detail), std::move(fix)};
}

std::string FormatCheckTable(const std::vector<CheckResult>& results);
int PrecheckExitCode(const std::vector<CheckResult>& results);

// "a, b, c" with at most `limit` items and "... (N more)".
std::string JoinLimited(const std::vector<std::string>& items, size_t limit = 10);

}  // namespace pgduplex
