// Whether the task config file exposes a password to other local users.
//
// Contract: ReadablePasswordWarning returns a one-line warning (naming the
// file, the key and the mode; no secret) when a conninfo in the config holds
// a password and the file's mode lets its group or others read it; nullopt
// otherwise, or when the mode is unknown (a config not read from a file).
// ChmodFix is the command that fixes it. Pure: unit-tested on hand-made
// configs; precheck shows it as a WARN line, `run` logs it once at start.
#pragma once

#include <optional>
#include <string>

#include "common/config.h"

namespace pgduplex {

std::optional<std::string> ReadablePasswordWarning(const TaskConfig& config);
std::string ChmodFix(const TaskConfig& config);

}  // namespace pgduplex
