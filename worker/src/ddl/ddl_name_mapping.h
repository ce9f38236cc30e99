// DdlNameMapping: a forward DDL statement (A's names) rewritten to the
// names B keeps the objects under ([mapping], common/name_mapping.h), or
// the one reason it cannot be.
//
// Rewritten, token by token (the worker's lexer: quotes and comments never
// move a boundary):
//   * every schema-qualified name s.n whose B name differs -> B's name
//     (a table of a renamed schema, a renamed table, also a function or
//     type of a renamed schema);
//   * an unqualified table name in a table position (after TABLE [IF [NOT]
//     EXISTS], ONLY, REFERENCES, LIKE, PARTITION OF, CREATE INDEX ... ON,
//     a DROP TABLE list) whose settled schema (the parse's, else the
//     caller's look-up) maps elsewhere -> B's qualified name;
//   * when the statement names exactly one table whose columns are
//     renamed: each unquoted or quoted identifier equal to one of those A
//     column names (not a function call, not part of a qualified name) ->
//     B's column name.
// Refused (returned as the reason):
//   * ALTER TABLE ... RENAME TO of a table [mapping] renames (the new A name
//     would have no B counterpart);
//   * a statement naming several tables whose columns are renamed;
//   * a renamed column whose name is also an SQL keyword of the statement;
//   * a mapped table the rewrite did not find in a table position.
// Contract: pure, noexcept apart from std::bad_alloc.
#pragma once

#include <string>

#include "common/name_mapping.h"
#include "ddl/ddl_parse.h"
#include "ddl/ddl_policy.h"

namespace pgduplex {

struct MappedDdl {
  std::string statement;  // when refusal is empty
  std::string refusal;
};

MappedDdl MapDdlNames(const std::string& statement, const ParsedDdl& parsed, const SchemaLookups& looked_up,
                      const NameMapping& mapping);

}  // namespace pgduplex
