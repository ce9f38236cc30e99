#include "common/conninfo.h"

#include <libpq-fe.h>

#include <regex>

namespace pgduplex {

namespace {
bool IsSecretKeyword(const std::string& keyword) {
  return keyword == "password" || keyword == "sslpassword";
}

// As libpq's recognized_connection_string(): anything else is taken by
// PQconnectdbParams (expand_dbname) as a plain database name.
bool IsConnectionString(const std::string& conninfo) {
  return conninfo.find('=') != std::string::npos || conninfo.rfind("postgresql://", 0) == 0 ||
         conninfo.rfind("postgres://", 0) == 0;
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

std::optional<std::string> ConninfoError(const std::string& conninfo) {
  if (!IsConnectionString(conninfo)) return std::nullopt;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string reason = error ? error : "cannot be parsed";
  if (error) PQfreemem(error);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  return "is not a valid libpq conninfo: " + RedactSecrets(reason);
}

bool ConninfoHasPassword(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (!options) return false;
  bool found = false;
  for (PQconninfoOption* option = options; option->keyword; ++option) {
    if (IsSecretKeyword(option->keyword) && option->val && *option->val) found = true;
  }
  PQconninfoFree(options);
  return found;
}

std::vector<std::pair<std::string, std::string>> ConnectionDefaults(const std::string& conninfo) {
  static const std::vector<std::pair<std::string, std::string>> kDefaults = {
      {"keepalives", "1"},        {"keepalives_idle", "20"}, {"keepalives_interval", "10"},
      {"keepalives_count", "3"},  {"connect_timeout", "30"},
  };
  std::vector<std::string> set;
  // A bare database name sets nothing else; an unparsable conninfo fails
  // in PQconnectdbParams with libpq's own reason.
  if (IsConnectionString(conninfo)) {
    if (PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr)) {
      for (PQconninfoOption* option = options; option->keyword; ++option) {
        if (option->val && *option->val) set.emplace_back(option->keyword);
      }
      PQconninfoFree(options);
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : kDefaults) {
    bool operator_set = false;
    for (const auto& keyword : set) operator_set = operator_set || keyword == entry.first;
    if (!operator_set) out.push_back(entry);
  }
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
