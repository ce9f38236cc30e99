// DdlParse: what one captured DDL statement (a Ddl record of the forward
// stream) touches, read from its text without any connection: the command
// kind, the tables it names as written, and the shapes the policy
// (ddl/ddl_policy.h) refuses. Deciding is not done here.
//
// Five command families are read, one file each (ddl_parse_create_table,
// _drop_table, _alter_table, _create_index, _create_object: TYPE, DOMAIN,
// FUNCTION); any other command tag is kOther
// and its text is not read. Nor is the text read when the record says it
// does not hold the command as the worker's lexer would read it: DDL run
// inside a function (the text is the call: DO, SELECT f(), CALL p()) or
// captured with standard_conforming_strings = off ('\' would not end a
// literal as it did on the source). The policy refuses both.
//
// Each named table gets the schema the record itself settles: the one
// written, else the dropped object's identity (DROP TABLE: object_identity),
// else, for the statement's own object (the created or altered table, an
// index's table), the schema the capture trigger reported. Unqualified names
// the record does not settle are listed by NamesToLookUp: the caller looks
// them up in the target's catalog under `search_path` (which may need a
// quiet connection: the applier does it at a settled point, before calling
// the policy) and hands the answers to DdlPolicy::Decide.
//
// Contract: ParseDdl is pure and throws nothing (std::bad_alloc aside).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ddl/ddl_tokens.h"
#include "pgduplex.pb.h"

namespace pgduplex {

enum class DdlCommand {
  kOther, kCreateTable, kDropTable, kAlterTable, kCreateIndex,
  kCreateType, kCreateDomain, kCreateFunction  // objects a table may use (ddl_parse_create_object.cpp)
};

// A table the statement names.
struct DdlTable {
  WrittenName written;
  // The statement's own object: an unqualified name may take the schema the
  // capture trigger reported (Ddl.schema).
  bool own_object = false;
  // As far as the record settles it; empty: to be looked up.
  std::string schema;
};

struct ParsedDdl {
  DdlCommand command = DdlCommand::kOther;
  // The text was read (see the header comment for when it is not).
  bool read = false;
  // When read: why the statement cannot be carried as read (several
  // statements, a query inside, not of the tagged kind, ...); empty if it
  // can. Nothing below is filled when this is set.
  std::string refusal;
  // The one statement, as it would run on the target (CREATE INDEX without
  // CONCURRENTLY: the target builds it inside the apply transaction).
  std::string statement;
  std::vector<DdlTable> tables;
  // CREATE TYPE / DOMAIN / FUNCTION: the created object (not a table).
  std::optional<DdlTable> object;
  // CREATE TABLE ... PARTITION OF parent.
  std::optional<DdlTable> partition_parent;
  // CREATE TABLE ... AS or SELECT INTO (tags CREATE TABLE AS, SELECT INTO):
  // `statement` is its rewrite as an empty CREATE TABLE ... AS ... WITH NO
  // DATA (ddl_create_table_as.h); the rows follow in the stream.
  bool create_table_as = false;
  // CREATE TEMP TABLE, or DROP TABLE of a temporary schema's table.
  bool temporary = false;
  // CASCADE or RESTRICT as drop behaviour.
  bool drop_behaviour = false;
  // The first ALTER TABLE action not carried ("SET SCHEMA OTHER"); empty if
  // none.
  std::string unsupported_action;
  // The record came with a query string of several statements (ddl_isolate.h)
  // and, when `isolated` is set, is about statements[statement_index].
  bool several = false;
  size_t statement_index = 0;
  std::string isolated;
  // Ddl.in_function, corrected for a statement isolated from a string.
  bool in_function = false;
  // ALTER TABLE ... ADD COLUMN with a default each side would compute on its
  // own (volatile_default.h): what was found ("now()"); empty if none.
  std::string volatile_default;
  // The search_path the statement ran under (Ddl.search_path, parsed).
  std::vector<std::string> search_path;

  // Unqualified table names whose schema the record does not settle, each
  // once, in the order written.
  std::vector<std::string> NamesToLookUp() const;
};

// `from`: for a string of several statements, the first that may match
// (one past the previous match of the same text in the source transaction).
ParsedDdl ParseDdl(const v1::Ddl& ddl, size_t from = 0);

// pg_temp, pg_temp_3: a session's temporary schema.
bool IsTemporarySchema(const std::string& schema);

// Parses a search_path setting ("$user", public, "My Schema") into names.
std::vector<std::string> ParseSearchPath(const std::string& setting);

}  // namespace pgduplex
