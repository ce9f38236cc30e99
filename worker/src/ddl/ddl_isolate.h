// DdlIsolate: which statement of a multi-statement query string one
// captured DDL record is about. The capture trigger sees the client's whole
// query text (psql -c "CREATE TABLE x (...); ALTER TABLE y ..."), once per
// command, under that command's tag, so the worker finds the command: the
// first statement after the previous match (of the same text in the same
// source transaction) whose leading words give the record's tag and which
// names the record's object (Ddl.object_identity). A statement the trigger
// does not capture (a temporary table) is thus skipped, not mistaken for
// the next one.
//
// Not isolated, with a reason naming why: a string that also holds a
// statement that can run DDL itself (DO, CALL, SELECT, WITH, VALUES,
// EXECUTE: the record may be about what that ran), or transaction control
// (BEGIN, COMMIT, ...: the records then belong to several transactions),
// or no statement matching the record.
//
// A single statement is always "isolated" (index 0), whatever its words.
// Contract: pure, never throws (std::bad_alloc aside).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/sql_lexer.h"
#include "pgduplex.pb.h"

namespace pgduplex {

struct IsolatedStatement {
  bool several = false;     // the text held more than one statement
  size_t index = 0;         // the matched statement, when refusal is empty
  std::string refusal;      // why it could not be isolated
  // The capture trigger's in_function compares the tag with the text's
  // first word, which for a later statement of a string is another
  // statement's: for an isolated statement this is the right answer.
  bool in_function = false;
};

// `from`: the first statement index that may match (one past the previous
// match of this text in this source transaction).
IsolatedStatement IsolateStatement(const v1::Ddl& ddl, const std::vector<SqlStatement>& statements, size_t from);

// The command tag a statement's leading words give ("CREATE TABLE",
// "CREATE INDEX", "ALTER TABLE", "CREATE FUNCTION", "CREATE TEMP TABLE",
// "CREATE TABLE AS", ...), upper case; "" when the words give none.
std::string LeadingCommandTag(const std::vector<SqlToken>& tokens);

}  // namespace pgduplex
