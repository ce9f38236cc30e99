#include "common/config_secrets.h"

#include <fmt/format.h>

#include "common/conninfo.h"

namespace pgduplex {

std::optional<std::string> ReadablePasswordWarning(const TaskConfig& config) {
  if (config.file_mode < 0 || (config.file_mode & 044) == 0) return std::nullopt;
  std::string keys;
  if (ConninfoHasPassword(config.a.conninfo)) keys = "a.conninfo";
  if (ConninfoHasPassword(config.b.conninfo)) keys += keys.empty() ? "b.conninfo" : " and b.conninfo";
  if (keys.empty()) return std::nullopt;
  const char* who = (config.file_mode & 004) ? ((config.file_mode & 040) ? "group and others" : "others") : "group";
  return fmt::format("{} holds a password ({}) and is readable by {} (mode {:04o})", config.path, keys, who,
                     config.file_mode);
}

std::string ChmodFix(const TaskConfig& config) {
  return fmt::format("chmod 600 '{}' (or move the password to ~/.pgpass)", config.path);
}

}  // namespace pgduplex
