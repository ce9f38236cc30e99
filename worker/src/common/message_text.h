// OneLine: an error message fit for one output line: secrets redacted
// (RedactSecrets), newlines and tabs of libpq/server messages turned into
// single spaces, trailing blanks dropped.
#pragma once

#include <string>

namespace pgduplex {

std::string OneLine(const std::string& message);

}  // namespace pgduplex
