// Process-wide logging: one line per event, "time level [task/direction]
// message", to stderr. Every message passes through RedactSecrets.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace pgduplex {

// Call once at start; scope is e.g. "shop/forward" or "shop".
void InitLogging(const std::string& scope, bool verbose = false);

}  // namespace pgduplex
