#include "conninfo.h"

#include <libpq-fe.h>

#include <regex>

namespace pgduplex {

namespace {
bool IsSecretKeyword(const std::string& keyword) {
  return keyword == "password" || keyword == "sslpassword";
}
}  // namespace

std::string RedactConninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    if (error) PQfreemem(error);
    return "<unparsable conninfo>";
  }
  std::string out;
  for (PQconninfoOption* option = options; option->keyword; ++option) {
    if (!option->val || !*option->val) continue;
    std::string keyword = option->keyword;
    if (!out.empty()) out += ' ';
    out += keyword + "=" + (IsSecretKeyword(keyword) ? std::string("********") : std::string(option->val));
  }
  PQconninfoFree(options);
  return out;
}

std::string RedactSecrets(const std::string& text) {
  static const std::regex kKeyValue(R"((password|sslpassword)\s*=\s*('([^'\\]|\\.)*'|[^\s]*))",
                                    std::regex::icase);
  static const std::regex kUri(R"((postgres(ql)?://[^:/@\s]*:)[^@\s]*@)", std::regex::icase);
  std::string out = std::regex_replace(text, kKeyValue, "$1=********");
  return std::regex_replace(out, kUri, "$1********@");
}

}  // namespace pgduplex
