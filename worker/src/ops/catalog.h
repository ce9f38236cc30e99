// Catalog queries shared by the operator commands (precheck, verify,
// sequences, drop): what a table's columns and key are, which sequences feed
// the synced tables, whether an object exists.
//
// Contract: every function runs read-only SQL on one connection and throws
// PgError (naming the cluster) on failure. Names come back unquoted; callers
// quote with PgConnection::QuoteIdent. Nothing here decides anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/pg_connection.h"
#include "common/table_scope.h"

namespace pgduplex {

struct ColumnInfo {
  std::string name;
  std::string type;       // format_type(atttypid, atttypmod), e.g. "numeric(10,2)"
  bool not_null = false;
  bool generated = false;  // GENERATED ALWAYS AS (...) STORED: never written
};

// The columns that identify a row: the primary key, or else the first
// unique index whose columns are all NOT NULL (no expression, no predicate).
struct TableKey {
  std::vector<std::string> columns;  // empty = the table has no usable key
  std::string source;                // "primary key" or the index name
};

// A sequence and a column it feeds (owned by it, identity, or DEFAULT
// nextval of it). One row per (sequence, column).
struct SequenceUse {
  TableName sequence;
  TableName table;
  std::string column;
  bool identity = false;
};

// Current state of one sequence: its relation (last_value, is_called) and
// its pg_sequence parameters. pg_sequences.last_value is not enough: it is
// NULL after RESTART, hiding the value nextval will hand out next.
struct SequenceState {
  bool exists = false;
  int64_t last_value = 0;
  bool is_called = false;
  int64_t increment = 1;
  int64_t min_value = 1;
  int64_t max_value = 0;

  // What the next nextval() returns (ignoring per-session caches).
  int64_t NextValue() const { return is_called ? last_value + increment : last_value; }
  // The furthest value nextval() may have handed out; nullopt = none since
  // the last RESTART / setval(.., false).
  std::optional<int64_t> HighestUsed() const {
    return is_called ? std::optional<int64_t>(last_value) : std::nullopt;
  }
};

bool RelationExists(PgConnection& conn, const TableName& table);
// pg_class.relkind ('r', 'p', ...), or '\0' when the relation does not exist.
char RelationKind(PgConnection& conn, const TableName& table);
std::vector<ColumnInfo> TableColumns(PgConnection& conn, const TableName& table);
TableKey FindTableKey(PgConnection& conn, const TableName& table);
// A subquery (seq, rel, attnum): the sequences named in a column DEFAULT
// (nextval('seq'): the attrdef depends on the sequence), owned or not.
extern const char* const kDefaultSequenceDependencies;

std::vector<SequenceUse> SequencesUsedBy(PgConnection& conn, const std::vector<TableName>& tables);
SequenceState ReadSequence(PgConnection& conn, const TableName& sequence);
// The largest value of column in each residue class modulo `modulus`
// (index r holds max(column) over values v with v mod modulus = r, r >= 0);
// nullopt for a class with no value. modulus 1 = plain max(column).
// All nullopt when the table does not exist.
std::vector<std::optional<int64_t>> ColumnMaxByResidue(PgConnection& conn, const TableName& table,
                                                       const std::string& column, int modulus);

// schema.name, each part quoted as needed.
std::string QualifiedName(PgConnection& conn, const TableName& table);

// Fixes every setting that changes how a value prints as text (time zone,
// date style, float digits, bytea and interval output), so that the same row
// renders the same bytes on both clusters.
void SetCanonicalTextOutput(PgConnection& conn);

}  // namespace pgduplex
