#include "common/last_error.h"

#include <regex>

namespace pgduplex {

std::string StampError(PgTimestamp at, const std::string& error) {
  std::string time = FormatPgTimestamp(at);  // "... 06:00:01.123456+00"
  auto dot = time.find('.');
  if (dot != std::string::npos) time.erase(dot, time.find('+', dot) - dot);
  return time + ": " + error;
}

StampedError ParseStampedError(const std::string& text) {
  static const std::regex kStamp(R"(^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00): )");
  std::smatch m;
  if (!std::regex_search(text, m, kStamp)) return {"", text};
  return {m[1].str(), text.substr(m.length(0))};
}

}  // namespace pgduplex
