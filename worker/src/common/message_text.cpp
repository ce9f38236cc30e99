#include "common/message_text.h"

#include "common/conninfo.h"

namespace pgduplex {

std::string OneLine(const std::string& message) {
  std::string redacted = RedactSecrets(message);
  std::string out;
  for (char c : redacted) {
    bool blank = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (blank) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace pgduplex
