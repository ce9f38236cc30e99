#include "ops/check_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace pgduplex {

const char* ToString(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPass: return "PASS";
    case CheckStatus::kWarn: return "WARN";
    case CheckStatus::kFail: return "FAIL";
    case CheckStatus::kSkip: return "SKIP";
  }
  return "?";
}

std::string FormatCheckTable(const std::vector<CheckResult>& results) {
  size_t check_w = 5, cluster_w = 7;
  for (const auto& r : results) {
    check_w = std::max(check_w, r.check.size());
    cluster_w = std::max(cluster_w, r.cluster.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<8}{}\n", "CHECK", check_w, "CLUSTER", cluster_w, "RESULT",
                                "DETAIL");
  size_t passed = 0, warned = 0, failed = 0, skipped = 0;
  for (const auto& r : results) {
    out += fmt::format("{:<{}}  {:<{}}  {:<8}{}\n", r.check, check_w, r.cluster, cluster_w, ToString(r.status),
                       r.detail);
    if (!r.fix.empty() && r.status != CheckStatus::kPass && r.status != CheckStatus::kSkip) {
      out += fmt::format("{:<{}}fix: {}\n", "", check_w + cluster_w + 4 + 8, r.fix);
    }
    switch (r.status) {
      case CheckStatus::kPass: ++passed; break;
      case CheckStatus::kWarn: ++warned; break;
      case CheckStatus::kFail: ++failed; break;
      case CheckStatus::kSkip: ++skipped; break;
    }
  }
  out += fmt::format("\n{} passed, {} warning{}, {} failed{}\n", passed, warned, warned == 1 ? "" : "s", failed,
                     skipped ? fmt::format(", {} skipped", skipped) : std::string());
  return out;
}

int PrecheckExitCode(const std::vector<CheckResult>& results) {
  for (const auto& r : results) {
    if (r.status == CheckStatus::kFail) return 1;
  }
  return 0;
}

std::string JoinLimited(const std::vector<std::string>& items, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += fmt::format(" ... ({} more)", items.size() - limit);
  return out;
}

}  // namespace pgduplex
