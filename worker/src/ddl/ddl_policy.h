// DdlPolicy: decides whether one captured DDL statement (a Ddl record from
// the forward stream) is carried to the target, and if not, the one reason
// the worker logs as a warning.
//
// Carried (for tables inside the sync scope):
//   CREATE TABLE (incl. ... PARTITION OF, UNLOGGED, LIKE, INHERITS)
//   DROP TABLE
//   ALTER TABLE with only these actions: RENAME TO, RENAME [COLUMN],
//     RENAME CONSTRAINT, ADD [COLUMN] (with or without DEFAULT),
//     ALTER [COLUMN] [SET DATA] TYPE, DROP [COLUMN], ADD CONSTRAINT / ADD
//     CHECK / PRIMARY KEY / UNIQUE / FOREIGN KEY / EXCLUDE,
//     ALTER [COLUMN] DROP DEFAULT, and (beyond the list, as safe)
//     ALTER [COLUMN] SET DEFAULT, SET NOT NULL, DROP NOT NULL,
//     DROP CONSTRAINT
//   CREATE [UNIQUE] INDEX (CONCURRENTLY is dropped: the target builds it
//     inside the apply transaction, which CONCURRENTLY cannot run in)
//   (TRUNCATE never reaches this class: it fires no event trigger and
//   arrives as a Truncate record.)
// Not carried, one reason each:
//   DDL run inside a function, procedure or DO block (in_function)
//   DDL in a transaction that also changed rows (has_dml; the other order,
//     rows changed after the DDL, is caught by MixedTransactionGuard)
//   statements with CASCADE or RESTRICT as drop behaviour (ON DELETE /
//     ON UPDATE CASCADE|RESTRICT referential actions are not drop behaviour
//     and are carried)
//   several statements sent in one query string (the trigger only sees the
//     whole string, so one command cannot be isolated); the worker's lexer
//     (sql_lexer.h) decides where statements end, as the server's scanner
//     does: a trailing ';' and comments are fine
//   DDL captured with standard_conforming_strings = off (or by an extension
//     before 1.1, which does not report it): '\' ends a literal on the
//     target but did not on the source
//   statements that can run a query whatever their tag: CREATE TABLE ...
//     AS, SELECT INTO, EXECUTE, and any statement with a data-modifying
//     WITH query (WITH x AS (INSERT|UPDATE|DELETE|MERGE ...))
//   any other command (CREATE VIEW, CREATE FUNCTION, ALTER INDEX, ...) or
//     ALTER TABLE action (SET SCHEMA, ATTACH PARTITION, OWNER TO, ...)
//   objects outside the scope (temporary tables too, but quietly)
// DDL run under session_replication_role = replica never arrives: the
// capture trigger skips it.
//
// Contract: Decide is pure given the resolver. It throws nothing of its own
// (std::bad_alloc aside); an exception from the resolver propagates
// unchanged, because it is not a decision about the DDL: the applier's
// resolver queries the target, and a lost connection or a conflict met
// while settling its pipeline must reach the retry / stop logic, not drop
// the DDL with a warning (the two sides would diverge). The resolver is
// only called for statements that passed every other check.
// WarningLine redacts secrets (ddl_redaction.h) from the statement.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pgduplex.pb.h"
#include "common/table_scope.h"

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

class DdlPolicy {
 public:
  // Finds the schema an unqualified table name resolves to under a
  // search_path (the worker answers from the target's catalog, which
  // mirrors the source's). nullopt = unknown.
  using SchemaResolver =
      std::function<std::optional<std::string>(const std::string& table, const std::vector<std::string>& search_path)>;

  explicit DdlPolicy(TableScope scope, SchemaResolver resolver = nullptr);

  DdlDecision Decide(const v1::Ddl& ddl) const;

  // The warning line for a decision that is not applied.
  static std::string WarningLine(const v1::Ddl& ddl, const DdlDecision& decision);

 private:
  TableScope scope_;
  SchemaResolver resolver_;
};

// Parses a search_path setting ("$user", public, "My Schema") into names.
std::vector<std::string> ParseSearchPath(const std::string& setting);

// Tracks one source transaction's mix of DDL and row changes so that DDL
// sharing a transaction with DML is not carried in either order:
//   * rows changed before the DDL: the plugin sets Ddl.has_dml, and
//     DdlPolicy refuses it;
//   * rows changed after the DDL: the worker holds each DDL it decided to
//     apply (Hold) instead of running it; the first row change of the same
//     transaction (OnRowChange) hands back the held statements, which are
//     then dropped with a warning; Commit (or a non-row record) hands back
//     the statements that are still good to run, in their original order.
// Holding never reorders anything: a held DDL is run before the next row
// change could be applied, or not at all.
class MixedTransactionGuard {
 public:
  // A DDL record accepted by the policy, waiting for what follows it.
  struct Held {
    const v1::Record* record = nullptr;  // stays owned by the caller
    DdlDecision decision;
    uint64_t lsn = 0;
    size_t bytes = 0;
  };

  void Begin();
  // Holds a DDL the policy accepted. If this transaction already changed
  // rows (has_dml should have said so), refuses it at once and returns it.
  std::optional<Held> Hold(Held held);
  // A row change arrived: the held DDL must be dropped; returns them (with
  // their reason filled in) for the warnings.
  std::vector<Held> OnRowChange();
  // Transaction end: the held DDL to apply now, in order.
  std::vector<Held> TakeForApply();
  bool holding() const { return !held_.empty(); }
  bool seen_rows() const { return seen_rows_; }

 private:
  std::vector<Held> held_;
  bool seen_rows_ = false;
};

}  // namespace pgduplex
