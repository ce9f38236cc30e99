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
#include <utility>
#include <vector>

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

// The connection settings every connection of the worker gets unless
// `conninfo` sets them itself (the operator's win): TCP keepalives that
// find a peer gone silent in about 50 s (idle 20 s, then 3 probes 10 s
// apart) and connect_timeout=30, so that neither an idle connection nor a
// connection attempt waits on a vanished host for as long as the OS would.
// (Keepalives do nothing on a unix socket, which is fine.) Returns the
// keyword/value pairs to add, in a fixed order.
std::vector<std::pair<std::string, std::string>> ConnectionDefaults(const std::string& conninfo);

}  // namespace pgduplex
