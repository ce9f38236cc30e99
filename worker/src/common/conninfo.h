// Conninfo handling that keeps passwords out of every log line, error
// message and process title.
//
// Contract: RedactConninfo returns a conninfo string with the password (and
// any other secret keyword) replaced by "********", usable in messages.
// RedactSecrets scrubs "password=..." from any free text (libpq and server
// errors can quote a conninfo). None of these ever throws.
#pragma once

#include <optional>
#include <string>

namespace pgduplex {

std::string RedactConninfo(const std::string& conninfo);
std::string RedactSecrets(const std::string& text);

// nullopt when libpq accepts `conninfo` (keyword=value, URI, or a bare
// database name as PQconnectdbParams takes it), else libpq's reason (an
// unknown option, an unterminated quote, ...), secrets redacted.
std::optional<std::string> ConninfoError(const std::string& conninfo);

// True when `conninfo` itself holds a secret (password=, sslpassword=, or
// a URI's user:password@).
bool ConninfoHasPassword(const std::string& conninfo);

}  // namespace pgduplex
