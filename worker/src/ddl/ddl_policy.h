// DdlPolicy: decides whether one captured DDL statement (a Ddl record from
// the forward stream) is carried to the target, and if not, the one reason
// the worker logs as a warning. It decides over the statement as read by
// ParseDdl (ddl/ddl_parse.h) and the schemas the caller looked up for the
// names the record leaves unqualified; it reads no catalog itself.
//
// Carried (for tables inside the sync scope):
//   CREATE TABLE (incl. ... PARTITION OF, UNLOGGED, LIKE, INHERITS)
//   CREATE TABLE ... AS and SELECT ... INTO, run on the target as an empty
//     CREATE TABLE ... AS ... WITH NO DATA (ddl_create_table_as.h): the rows
//     the source wrote follow the record (captured at command start) and
//     are applied into it
//   DROP TABLE
//   ALTER TABLE with only these actions: RENAME TO, RENAME [COLUMN],
//     RENAME CONSTRAINT, ADD [COLUMN] (with or without DEFAULT),
//     ALTER [COLUMN] [SET DATA] TYPE, DROP [COLUMN], ADD CONSTRAINT / ADD
//     CHECK / PRIMARY KEY / UNIQUE / FOREIGN KEY / EXCLUDE,
//     ALTER [COLUMN] DROP DEFAULT, and (beyond the list, as safe)
//     ALTER [COLUMN] SET DEFAULT, SET NOT NULL, DROP NOT NULL,
//     DROP CONSTRAINT
//   CREATE [OR REPLACE] TYPE / DOMAIN / FUNCTION whose schema holds synced
//     tables (what their columns, defaults, CHECKs and generated columns
//     use; run as their author like the rest)
//   CREATE [UNIQUE] INDEX (CONCURRENTLY is dropped: the target builds it
//     inside the apply transaction, which CONCURRENTLY cannot run in)
//   (TRUNCATE never reaches this class: it fires no event trigger and
//   arrives as a Truncate record.)
// DDL sharing a transaction with row changes (Ddl.has_dml, or rows after
// it) is carried: the applier runs it where it came, in the same target
// transaction as those rows.
// Not carried, one reason each:
//   DDL run inside a function, procedure or DO block (in_function)
//   statements with CASCADE or RESTRICT as drop behaviour (ON DELETE /
//     ON UPDATE CASCADE|RESTRICT referential actions are not drop behaviour
//     and are carried)
//   a statement of a query string of several that cannot be isolated
//     (ddl_isolate.h: the others are each carried or refused on their own);
//   ADD COLUMN with a default each side would compute on its own (now(),
//     random(), nextval, serial, identity: volatile_default.h);
//     the worker's lexer (sql_lexer.h) decides where statements end, as
//     the server's scanner does: a trailing ';' and comments are fine
//   DDL captured with standard_conforming_strings = off (or by an extension
//     before 1.1, which does not report it): '\' ends a literal on the
//     target but did not on the source
//   statements that can run a query whatever their tag: EXECUTE (also
//     CREATE TABLE ... AS EXECUTE), a SELECT INTO under another tag, and
//     any statement with a data-modifying WITH query (WITH x AS
//     (INSERT|UPDATE|DELETE|MERGE ...))
//   any other command (CREATE VIEW, ALTER TYPE, ALTER INDEX, ...) or
//     ALTER TABLE action (SET SCHEMA, ATTACH PARTITION, OWNER TO, ...)
//   tables whose schema cannot be told (unqualified, not settled by the
//     record, not found by the caller's look-up): refused, not guessed
//   objects outside the scope (temporary tables too, but quietly)
// DDL run under session_replication_role = replica never arrives: the
// capture trigger skips it.
//
// Contract: Decide is pure and noexcept: a function of the record, its
// parse and the looked-up schemas. The look-ups (which may need the
// applier to settle its pipeline, and so may meet a conflict or a lost
// connection) are the caller's, done before Decide is called; what they
// throw is never mistaken for a decision about the DDL.
// WarningLine redacts secrets (ddl_redaction.h) from the statement.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/table_scope.h"
#include "ddl/ddl_parse.h"
#include "pgduplex.pb.h"

namespace pgduplex {

struct DdlDecision {
  bool apply = false;
  // When apply: the statement to run on the target (the source's text, or
  // a rewrite of it, e.g. without CONCURRENTLY).
  std::string statement;
  // When !apply: why, for the single warning line.
  std::string reason;
  // When !apply and quiet: log at debug level only (temporary tables, which
  // applications create all the time and which are never synchronized).
  bool quiet = false;
  // The tables the statement names, schema-resolved (for logs and for the
  // caller's relation cache).
  std::vector<TableName> tables;
};

// The answers to ParsedDdl::NamesToLookUp: table name -> the schema it
// resolves to under the statement's search_path (in the target's catalog,
// which mirrors the source's). A name without an entry was not found.
using SchemaLookups = std::map<std::string, std::string>;

class DdlPolicy {
 public:
  explicit DdlPolicy(TableScope scope);

  DdlDecision Decide(const v1::Ddl& ddl, const ParsedDdl& parsed, const SchemaLookups& looked_up) const noexcept;

  // The warning line for a decision that is not applied.
  static std::string WarningLine(const v1::Ddl& ddl, const DdlDecision& decision);

 private:
  DdlDecision DecideObject(const ParsedDdl& parsed, const SchemaLookups& looked_up) const;
  TableScope scope_;
};

}  // namespace pgduplex
