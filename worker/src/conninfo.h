// Conninfo handling that keeps passwords out of every log line, error
// message and process title.
//
// Contract: RedactConninfo returns a conninfo string with the password (and
// any other secret keyword) replaced by "********", usable in messages.
// RedactSecrets scrubs "password=..." from any free text (libpq and server
// errors can quote a conninfo). Neither ever throws.
#pragma once

#include <string>

namespace pgduplex {

std::string RedactConninfo(const std::string& conninfo);
std::string RedactSecrets(const std::string& text);

}  // namespace pgduplex
