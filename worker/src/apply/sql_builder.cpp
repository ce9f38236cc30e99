#include "apply/sql_builder.h"

#include <fmt/format.h>

#include <algorithm>

namespace pgduplex {

namespace {
std::vector<int> KeyColumns(const TableShape& shape) {
  std::vector<int> key;
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    if (shape.columns[i].key) key.push_back(static_cast<int>(i));
  }
  return key;
}

// lhs = rhs with the column type's own equality operator.
std::string Equal(const ShapeColumn& column, const std::string& lhs, const std::string& rhs) {
  return fmt::format("{} {} {}", lhs, column.equality.empty() ? "=" : column.equality, rhs);
}

std::string WhereKey(const TableShape& shape, int first_param) {
  return BuildMatch(shape, KeyColumns(shape), first_param, shape.unique_key, /*qualify=*/false);
}

std::string Overriding(const TableShape& shape) {
  return shape.overriding_system_value ? " OVERRIDING SYSTEM VALUE" : "";
}

// 'text' as a string literal.
std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// w.roident is this direction's history (w: pg_xact_commit_timestamp_origin).
std::string SameHistory(const LastWriteGuard& guard) {
  if (guard.copy_origin_ids.empty()) return fmt::format("w.roident = {}", guard.origin_id);
  std::string ids = std::to_string(guard.origin_id);
  for (uint32_t id : guard.copy_origin_ids) ids += ", " + std::to_string(id);
  return fmt::format("w.roident IN ({})", ids);
}

// The row t may be changed by a change committed at `ts` (see LastWriteGuard).
std::string LastWriterIsOlder(const LastWriteGuard& guard, const std::string& ts) {
  if (guard.fast_guard) {
    std::string copies;
    for (uint32_t id : guard.copy_origin_ids) copies += (copies.empty() ? "" : ", ") + std::to_string(id);
    return fmt::format("pgduplex.written_before(t.xmin, {}, {}, {}, {})", ts, guard.change_wins_ties ? "true" : "false",
                       guard.origin_id, copies.empty() ? "NULL" : "ARRAY[" + copies + "]::pg_catalog.oid[]");
  }
  return fmt::format(
      "(SELECT {} OR w.\"timestamp\" IS NULL OR w.\"timestamp\" {} {} "
      "FROM pg_catalog.pg_xact_commit_timestamp_origin(t.xmin) AS w)",
      SameHistory(guard), guard.change_wins_ties ? "<=" : "<", ts);
}

// A local row held one of the values (claim_time over the named columns)
// later than `ts`.
std::string ClaimedAfter(const LastWriteGuard& guard, const std::string& names, const std::string& values,
                         const std::string& ts) {
  return fmt::format("coalesce(pgduplex.claim_time({}, ARRAY[{}]::text[], ARRAY[{}]::text[]) {} {}, false)",
                     guard.table_oid, names, values, guard.change_wins_ties ? ">" : ">=", ts);
}

// No local delete of the key (v."_i" for the key columns) is later than `ts`.
std::string NotDeletedLater(const TableShape& shape, const std::vector<int>& columns, const std::string& ts) {
  const LastWriteGuard& guard = *shape.last_write;
  std::string names, values;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!shape.columns[columns[i]].key) continue;
    names += (names.empty() ? "" : ", ") + Literal(shape.columns[columns[i]].name);
    values += fmt::format("{}v.\"_{}\"::text", values.empty() ? "" : ", ", i);
  }
  std::string guard_sql = fmt::format(
      "NOT coalesce(pgduplex.tombstone_time({}, ARRAY[{}]::text[], ARRAY[{}]::text[]) {} {}, false)", guard.table_oid,
      names, values, guard.change_wins_ties ? ">" : ">=", ts);
  // An initplan: asked once per statement, in its snapshot, like tombstone_time.
  if (guard.fast_guard) {
    guard_sql = fmt::format("(NOT (SELECT pgduplex.has_tombstones({})) OR {})", guard.table_oid, guard_sql);
  }
  if (!guard.value_claims) return guard_sql;
  bool claims = false;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!shape.columns[columns[i]].claimed) continue;
    claims = true;
    names += (names.empty() ? "" : ", ") + Literal(shape.columns[columns[i]].name);
    values += fmt::format("{}v.\"_{}\"::text", values.empty() ? "" : ", ", i);
  }
  if (!claims) return guard_sql;
  return guard_sql + " AND NOT " + ClaimedAfter(guard, names, values, ts);
}

// An UPDATE's row t and its new values v."_i" (SET columns first, then
// `first_key` on the key columns): what a claim lookup needs.
struct UpdateClaims {
  std::string names;      // the key and claimed columns, as claim_time takes them
  std::string values;     // their values once updated (v."_i" when set, else t's)
  std::string unchanged;  // every claimed column set keeps t's value; empty: none set
};
UpdateClaims ClaimsOfUpdate(const TableShape& shape, const std::vector<int>& columns, size_t first_key) {
  UpdateClaims out;
  for (size_t c = 0; c < shape.columns.size(); ++c) {
    const ShapeColumn& column = shape.columns[c];
    if (!column.key && !column.claimed) continue;
    auto set = std::find(columns.begin(), columns.begin() + static_cast<long>(first_key), static_cast<int>(c));
    std::string value = "t." + column.quoted_name + "::text";
    if (set != columns.begin() + static_cast<long>(first_key)) {
      std::string alias = fmt::format("v.\"_{}\"", set - columns.begin());
      value = alias + "::text";
      if (column.claimed) {
        out.unchanged += (out.unchanged.empty() ? "" : " AND ") + Equal(column, "t." + column.quoted_name, alias);
      }
    }
    out.names += (out.names.empty() ? "" : ", ") + Literal(column.name);
    out.values += (out.values.empty() ? "" : ", ") + value;
  }
  return out;
}

// The UPDATE's row keeps its claimed values, or takes values no local row
// held later than `ts` (empty: it sets no claimed column). A row that
// already holds a value needs no lookup: no later holder can have held it
// meanwhile (the unique index kept them apart).
std::string TakesNoLaterClaim(const TableShape& shape, const std::vector<int>& columns, size_t first_key,
                              const std::string& ts) {
  if (!shape.last_write->value_claims) return "";
  UpdateClaims claims = ClaimsOfUpdate(shape, columns, first_key);
  if (claims.unchanged.empty()) return "";
  return fmt::format("(coalesce({}, false) OR NOT {})", claims.unchanged,
                     ClaimedAfter(*shape.last_write, claims.names, claims.values, ts));
}
}  // namespace

std::string BuildMatch(const TableShape& shape, const std::vector<int>& columns, int first_param, bool unique,
                       bool qualify) {
  std::string out;
  int param = first_param;
  for (int index : columns) {
    const ShapeColumn& column = shape.columns[index];
    if (!out.empty()) out += " AND ";
    std::string name = qualify ? "t." + column.quoted_name : column.quoted_name;
    if (unique) {
      out += Equal(column, name, fmt::format("${}", param++));
    } else if (column.text_compare) {
      out += fmt::format("{}::text IS NOT DISTINCT FROM ${}::{}::text", name, param++, column.type_name);
    } else if (!column.equality.empty()) {
      // IS NOT DISTINCT FROM takes no OPERATOR(); spelled out.
      std::string value = fmt::format("${}::{}", param++, column.type_name);
      out += fmt::format("({} OR ({} IS NULL AND {} IS NULL))", Equal(column, name, value), name, value);
    } else {
      out += fmt::format("{} IS NOT DISTINCT FROM ${}::{}", name, param++, column.type_name);
    }
  }
  return out.empty() ? "true" : out;
}

std::string BuildInsertSql(const TableShape& shape, bool skip_conflicts) {
  std::string names, params;
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    if (i) {
      names += ", ";
      params += ", ";
    }
    names += shape.columns[i].quoted_name;
    params += fmt::format("${}", i + 1);
  }
  std::string sql = shape.columns.empty()
                        ? fmt::format("INSERT INTO {} DEFAULT VALUES", shape.quoted_table)
                        : fmt::format("INSERT INTO {} ({}){} VALUES ({})", shape.quoted_table, names,
                                      Overriding(shape), params);
  if (skip_conflicts) sql += " ON CONFLICT DO NOTHING";
  return sql;
}

std::string BuildUpdateSql(const TableShape& shape, const std::vector<bool>& set) {
  std::string assignments;
  int param = 1;
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    if (!set[i]) continue;
    if (!assignments.empty()) assignments += ", ";
    assignments += fmt::format("{} = ${}", shape.columns[i].quoted_name, param++);
  }
  if (assignments.empty()) {
    // Nothing to change, but the row must still be found (or reported missing).
    const std::string& first = shape.columns.empty() ? std::string("ctid") : shape.columns[0].quoted_name;
    for (const auto& column : shape.columns) {
      if (column.key) {
        assignments = fmt::format("{0} = {0}", column.quoted_name);
        break;
      }
    }
    if (assignments.empty()) assignments = fmt::format("{0} = {0}", first);
  }
  if (shape.unique_key) {
    return fmt::format("UPDATE {} SET {} WHERE {}", shape.quoted_table, assignments, WhereKey(shape, param));
  }
  // (tableoid, ctid): a ctid alone is not unique in a partitioned table.
  return fmt::format("UPDATE {0} SET {1} WHERE (tableoid, ctid) = (SELECT t.tableoid, t.ctid FROM {0} AS t "
                     "WHERE {2} LIMIT 1)",
                     shape.quoted_table, assignments,
                     BuildMatch(shape, KeyColumns(shape), param, false, /*qualify=*/true));
}

std::string BuildDeleteSql(const TableShape& shape) {
  if (shape.unique_key) {
    return fmt::format("DELETE FROM {} WHERE {}", shape.quoted_table, WhereKey(shape, 1));
  }
  return fmt::format("DELETE FROM {0} WHERE (tableoid, ctid) = (SELECT t.tableoid, t.ctid FROM {0} AS t "
                     "WHERE {1} LIMIT 1)",
                     shape.quoted_table, BuildMatch(shape, KeyColumns(shape), 1, false, /*qualify=*/true));
}

std::string BuildMultiInsertSql(const TableShape& shape, int rows) {
  if (shape.last_write && !shape.columns.empty()) return BuildGuardedInsertSql(shape, rows);
  if (rows == 1 || shape.columns.empty()) return BuildInsertSql(shape, false);
  std::string names;
  for (size_t i = 0; i < shape.columns.size(); ++i) names += (i ? ", " : "") + shape.columns[i].quoted_name;
  std::string values;
  int param = 1;
  for (int r = 0; r < rows; ++r) {
    values += r ? ", (" : "(";
    for (size_t i = 0; i < shape.columns.size(); ++i) values += fmt::format("{}${}", i ? ", " : "", param++);
    values += ")";
  }
  return fmt::format("INSERT INTO {} ({}){} VALUES {}", shape.quoted_table, names, Overriding(shape), values);
}

namespace {
// (VALUES ($1::t1, ...), ...) AS v("_0", ...) over `columns`, `rows` times;
// with the shape's last_write guard each row ends with its commit time,
// v."_ts".
std::string TypedValues(const TableShape& shape, const std::vector<int>& columns, int rows) {
  const bool ts = shape.last_write.has_value();
  std::string out = "(VALUES ";
  int param = 1;
  for (int r = 0; r < rows; ++r) {
    out += r ? ", (" : "(";
    for (size_t i = 0; i < columns.size(); ++i) {
      out += fmt::format("{}${}::{}", i ? ", " : "", param++, shape.columns[columns[i]].type_name);
    }
    if (ts) out += fmt::format("{}${}::pg_catalog.timestamptz", columns.empty() ? "" : ", ", param++);
    out += ")";
  }
  out += ") AS v(";
  for (size_t i = 0; i < columns.size(); ++i) out += fmt::format("{}\"_{}\"", i ? ", " : "", i);
  if (ts) out += columns.empty() ? "\"_ts\"" : ", \"_ts\"";
  return out + ")";
}

std::string JoinOnKey(const TableShape& shape, const std::vector<int>& columns, size_t first_key) {
  std::string out;
  for (size_t i = first_key; i < columns.size(); ++i) {
    const ShapeColumn& column = shape.columns[columns[i]];
    out += (out.empty() ? "" : " AND ") + Equal(column, "t." + column.quoted_name, fmt::format("v.\"_{}\"", i));
  }
  return out;
}
}  // namespace

namespace {
// The set columns, then the key columns (the multi-row UPDATE's VALUES).
std::vector<int> UpdateColumns(const TableShape& shape, const std::vector<bool>& set) {
  std::vector<int> columns;
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    if (set[i]) columns.push_back(static_cast<int>(i));
  }
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    if (shape.columns[i].key) columns.push_back(static_cast<int>(i));
  }
  return columns;
}
}  // namespace

std::string BuildMultiUpdateSql(const TableShape& shape, const std::vector<bool>& set, int rows) {
  if (rows == 1 && !shape.last_write) return BuildUpdateSql(shape, set);
  std::vector<int> columns = UpdateColumns(shape, set);  // the set columns, then the key columns
  size_t first_key = static_cast<size_t>(std::count(set.begin(), set.end(), true));
  std::string assignments;
  for (size_t i = 0; i < first_key; ++i) {
    assignments += fmt::format("{}{} = v.\"_{}\"", i ? ", " : "", shape.columns[columns[i]].quoted_name, i);
  }
  if (assignments.empty()) {  // nothing but the key: set it to itself
    assignments = fmt::format("{} = v.\"_{}\"", shape.columns[columns[first_key]].quoted_name, first_key);
  }
  std::string where = JoinOnKey(shape, columns, first_key);
  if (shape.last_write) {
    where += " AND " + LastWriterIsOlder(*shape.last_write, "v.\"_ts\"");
    std::string claims = TakesNoLaterClaim(shape, columns, first_key, "v.\"_ts\"");
    if (!claims.empty()) where += " AND " + claims;
  }
  return fmt::format("UPDATE {} AS t SET {} FROM {} WHERE {}", shape.quoted_table, assignments,
                     TypedValues(shape, columns, rows), where);
}

std::string BuildUpdateClaimTimeSql(const TableShape& shape, const std::vector<bool>& set) {
  std::vector<int> columns = UpdateColumns(shape, set);
  size_t first_key = static_cast<size_t>(std::count(set.begin(), set.end(), true));
  UpdateClaims claims = ClaimsOfUpdate(shape, columns, first_key);
  if (claims.unchanged.empty()) return "";
  return fmt::format(
      "SELECT ((extract(epoch FROM pgduplex.claim_time({}, ARRAY[{}]::text[], ARRAY[{}]::text[])) "
      "- 946684800) * 1000000)::bigint::text FROM {} AS t, {} WHERE {} AND NOT coalesce({}, false)",
      shape.last_write->table_oid, claims.names, claims.values, shape.quoted_table, TypedValues(shape, columns, 1),
      JoinOnKey(shape, columns, first_key), claims.unchanged);
}

std::string BuildMultiDeleteSql(const TableShape& shape, int rows) {
  if (rows == 1 && !shape.last_write) return BuildDeleteSql(shape);
  std::vector<int> key = KeyColumns(shape);
  std::string where = JoinOnKey(shape, key, 0);
  if (shape.last_write) where += " AND " + LastWriterIsOlder(*shape.last_write, "v.\"_ts\"");
  return fmt::format("DELETE FROM {} AS t USING {} WHERE {}", shape.quoted_table, TypedValues(shape, key, rows),
                     where);
}

std::string BuildGuardedInsertSql(const TableShape& shape, int rows) {
  std::vector<int> all(shape.columns.size());
  std::string names, selected;
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    all[i] = static_cast<int>(i);
    names += (i ? ", " : "") + shape.columns[i].quoted_name;
    selected += fmt::format("{}v.\"_{}\"", i ? ", " : "", i);
  }
  return fmt::format("INSERT INTO {} ({}){} SELECT {} FROM {} WHERE {}", shape.quoted_table, names,
                     Overriding(shape), selected,
                     TypedValues(shape, all, rows), NotDeletedLater(shape, all, "v.\"_ts\""));
}

std::string BuildLocalRowsSql(const TableShape& shape, const std::vector<int>& columns, bool unique,
                              bool with_commit_time) {
  std::string commit_time = "NULL::text";
  if (with_commit_time && shape.last_write) {
    // A row this direction wrote last is the same history: no time.
    commit_time = fmt::format(
        "(SELECT CASE WHEN {} THEN NULL ELSE ((extract(epoch FROM w.\"timestamp\") - 946684800) "
        "* 1000000)::bigint::text END FROM pg_catalog.pg_xact_commit_timestamp_origin(t.xmin) AS w)",
        SameHistory(*shape.last_write));
  } else if (with_commit_time) {
    commit_time =
        "((extract(epoch FROM pg_catalog.pg_xact_commit_timestamp(t.xmin)) - 946684800) * 1000000)::bigint::text";
  }
  return fmt::format("SELECT t.tableoid::text || ':' || t.ctid::text, pg_catalog.to_jsonb(t.*)::text, {} "
                     "FROM {} AS t WHERE {}",
                     commit_time, shape.quoted_table, BuildMatch(shape, columns, 1, unique, /*qualify=*/true));
}

namespace {
// SELECT pgduplex.<function>(table, names, $1..) as microseconds since
// 2000-01-01, for the key columns and (with_claimed) the claimed ones.
std::string BuildLookupTimeSql(const TableShape& shape, const char* function, bool with_claimed) {
  std::string names, values;
  int param = 1;
  for (const auto& column : shape.columns) {
    if (!column.key && !(with_claimed && column.claimed)) continue;
    names += (names.empty() ? "" : ", ") + Literal(column.name);
    values += fmt::format("{}${}", values.empty() ? "" : ", ", param++);
  }
  return fmt::format(
      "SELECT ((extract(epoch FROM pgduplex.{}({}, ARRAY[{}]::text[], ARRAY[{}]::text[])) "
      "- 946684800) * 1000000)::bigint::text",
      function, shape.last_write ? shape.last_write->table_oid : 0, names, values);
}
}  // namespace

std::string BuildTombstoneTimeSql(const TableShape& shape) {
  return BuildLookupTimeSql(shape, "tombstone_time", /*with_claimed=*/false);
}

std::string BuildClaimTimeSql(const TableShape& shape) {
  return BuildLookupTimeSql(shape, "claim_time", /*with_claimed=*/true);
}

namespace {
// ARRAY[...] of every column's name, for the pgduplex lookup functions.
std::string ColumnNamesArray(const TableShape& shape) {
  std::string names;
  for (const auto& column : shape.columns) names += (names.empty() ? "" : ", ") + Literal(column.name);
  return "ARRAY[" + names + "]::text[]";
}

// ARRAY[$first, ..] of `count` text params.
std::string ParamsArray(size_t first, size_t count) {
  std::string params;
  for (size_t i = 0; i < count; ++i) params += fmt::format("{}${}", i ? ", " : "", first + i);
  return "ARRAY[" + params + "]::text[]";
}
}  // namespace

std::string BuildKeylessSuccessorSql(const TableShape& shape) {
  return fmt::format(
      "SELECT k.hop::text, ((extract(epoch FROM k.changed_at) - 946684800) * 1000000)::bigint::text, "
      "k.successor IS NULL, s.v "
      "FROM pgduplex.keyless_successor({}, {}, {}) WITH ORDINALITY "
      "AS k(changed_at, successor, hop) "
      "LEFT JOIN LATERAL pg_catalog.unnest(k.successor) WITH ORDINALITY AS s(v, n) ON true "
      "ORDER BY k.hop, s.n",
      shape.last_write ? shape.last_write->table_oid : 0, ColumnNamesArray(shape),
      ParamsArray(1, shape.columns.size()));
}

std::string BuildKeylessAliasSql(const TableShape& shape, bool with_successor) {
  const size_t n = shape.columns.size();
  return fmt::format("SELECT pgduplex.keyless_alias({}, {}, {}, {}, ${}::pg_catalog.timestamptz)",
                     shape.last_write ? shape.last_write->table_oid : 0, ColumnNamesArray(shape), ParamsArray(1, n),
                     with_successor ? ParamsArray(n + 1, n) : "NULL", with_successor ? 2 * n + 1 : n + 1);
}

std::string BuildLastWriteTruncateSql(const TableShape& shape, const std::string& commit_time,
                                      const std::string& rows) {
  return fmt::format("DELETE FROM {} AS t WHERE {}{}", shape.quoted_table, rows.empty() ? "" : "(" + rows + ") AND ",
                     LastWriterIsOlder(*shape.last_write, Literal(commit_time) + "::pg_catalog.timestamptz"));
}

std::string BuildDeleteByRowIdSql(const TableShape& shape) {
  return fmt::format(
      "DELETE FROM {} WHERE ctid = ANY ($1::tid[]) AND tableoid::text || ':' || ctid::text = ANY ($2::text[])",
      shape.quoted_table);
}

std::string BuildTruncateSql(const std::vector<std::string>& quoted_tables, bool cascade, bool restart_identity) {
  std::string sql = "TRUNCATE TABLE ";
  for (size_t i = 0; i < quoted_tables.size(); ++i) {
    if (i) sql += ", ";
    sql += quoted_tables[i];
  }
  if (restart_identity) sql += " RESTART IDENTITY";
  if (cascade) sql += " CASCADE";
  return sql;
}

std::string BuildConflictInsertSql() {
  return "INSERT INTO pgduplex.conflicts (task, direction, relation, conflict_type, resolution, local_row, "
         "remote_row, source_lsn, remote_commit_ts) SELECT $1, $2, $3, $4, $5, $6::jsonb, $9::jsonb, $7::pg_lsn, "
         "$8::timestamptz";
}

std::string BuildRemoteRowSql(const TableShape& shape, const std::vector<int>& remote_columns) {
  std::string row;
  int param = 1;
  for (int index : remote_columns) {
    const ShapeColumn& column = shape.columns[index];
    if (!row.empty()) row += ", ";
    row += fmt::format("${}::{} AS {}", param++, column.type_name, column.quoted_name);
  }
  return fmt::format("SELECT pg_catalog.to_jsonb(r)::text FROM (SELECT {}) AS r", row);
}

std::string FormatKey(const std::vector<std::string>& names, const std::vector<const std::string*>& values) {
  std::string left, right;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) {
      left += ", ";
      right += ", ";
    }
    left += names[i];
    right += values[i] ? *values[i] : std::string("NULL");
  }
  return "(" + left + ")=(" + right + ")";
}

}  // namespace pgduplex
