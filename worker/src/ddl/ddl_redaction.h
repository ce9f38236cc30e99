// DdlRedaction: the text of a captured DDL statement as it may appear in a
// log line, an error message or a conflict row: with every secret it may
// carry replaced by "********".
//
// Redacted (the statement is lexed, so quotes and comments cannot move what
// counts as a literal):
//   * the string literal(s) following an option or keyword whose name
//     contains "password", "passwd", "passphrase" or "secret":
//     CREATE/ALTER ROLE|USER ... [ENCRYPTED] PASSWORD '...',
//     CREATE/ALTER USER MAPPING ... OPTIONS ([ADD|SET] password '...'),
//     CREATE/ALTER SERVER ... OPTIONS (password '...'), "password" '...';
//   * inside any other string literal, the value of a conninfo-like
//     password=... / sslpassword=... and the password of a
//     scheme://user:password@host URI (CREATE SUBSCRIPTION ... CONNECTION,
//     a dsn option, a column DEFAULT).
// Comments and everything else are kept as written.
//
// Contract: pure, never throws (std::bad_alloc aside). What is a literal
// depends on standard_conforming_strings in the session that ran the
// statement ('a\' ends at the backslash only when it is on), and the
// setting may be unknown (extension 1.0): the statement is read both ways
// and whatever either reading takes for a secret is masked.
#pragma once

#include <string>
#include <string_view>

namespace pgduplex {

std::string RedactDdlSecrets(std::string_view statement);

}  // namespace pgduplex
