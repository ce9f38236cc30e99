#include "ops/catalog.h"

#include <fmt/format.h>

#include <algorithm>

namespace pgduplex {

namespace {
std::string RegclassText(PgConnection& conn, const TableName& table) {
  return conn.QuoteIdent(table.schema) + "." + conn.QuoteIdent(table.name);
}
}  // namespace

std::string QualifiedName(PgConnection& conn, const TableName& table) {
  // The server's quote_ident quotes only when needed: readable statements.
  auto name = conn.Scalar("SELECT quote_ident($1) || '.' || quote_ident($2)", {table.schema, table.name});
  return name ? *name : RegclassText(conn, table);
}

bool RelationExists(PgConnection& conn, const TableName& table) {
  auto oid = conn.Scalar("SELECT to_regclass($1)::oid", {RegclassText(conn, table)});
  return oid.has_value();
}

char RelationKind(PgConnection& conn, const TableName& table) {
  auto kind = conn.Scalar("SELECT relkind FROM pg_class WHERE oid = to_regclass($1)", {RegclassText(conn, table)});
  return kind && !kind->empty() ? (*kind)[0] : '\0';
}

std::vector<ColumnInfo> TableColumns(PgConnection& conn, const TableName& table) {
  PgResult r = conn.ExecParams(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated <> '' "
      "FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attnum",
      {RegclassText(conn, table)});
  std::vector<ColumnInfo> columns;
  for (int i = 0; i < r.rows(); ++i) {
    columns.push_back({r.Get(i, 0), r.Get(i, 1), r.Get(i, 2) == "t", r.Get(i, 3) == "t"});
  }
  return columns;
}

TableKey FindTableKey(PgConnection& conn, const TableName& table) {
  // Primary key first, then unique indexes on plain NOT NULL columns, no
  // predicate, no expression; the oldest such index wins (deterministic).
  PgResult r = conn.ExecParams(
      "SELECT i.indexrelid::regclass::text, i.indisprimary, "
      "       array_to_string(array_agg(a.attname ORDER BY k.ord), chr(1)) "
      "FROM pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indisvalid "
      "  AND i.indexprs IS NULL AND i.indpred IS NULL "
      "GROUP BY i.indexrelid, i.indisprimary "
      "HAVING bool_and(a.attnotnull) AND bool_and(k.attnum > 0) "
      "ORDER BY i.indisprimary DESC, i.indexrelid LIMIT 1",
      {RegclassText(conn, table)});
  TableKey key;
  if (r.rows() == 0) return key;
  key.source = r.Get(0, 1) == "t" ? "primary key" : "unique index " + r.Get(0, 0);
  std::string joined = r.Get(0, 2);
  size_t start = 0;
  while (true) {
    size_t sep = joined.find('\x01', start);
    key.columns.push_back(joined.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return key;
}

const char* const kDefaultSequenceDependencies =
    "SELECT d.refobjid AS seq, ad.adrelid AS rel, ad.adnum AS attnum FROM pg_catalog.pg_attrdef ad "
    "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.objid = ad.oid "
    "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass";

std::vector<SequenceUse> SequencesUsedBy(PgConnection& conn, const std::vector<TableName>& tables) {
  // Owned sequences (serial: deptype 'a', identity: 'i') and sequences named
  // in a column DEFAULT (the attrdef depends on the sequence, deptype 'n').
  PgResult r = conn.Exec(
      "SELECT sn.nspname, s.relname, tn.nspname, t.relname, a.attname, bool_or(a.attidentity <> '') "
      "FROM ("
      "  SELECT d.objid AS seq, d.refobjid AS rel, d.refobjsubid AS attnum FROM pg_depend d "
      "  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
      "    AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 "
      "  UNION " +
      std::string(kDefaultSequenceDependencies) +
      ") u "
      "JOIN pg_class s ON s.oid = u.seq AND s.relkind = 'S' "
      "JOIN pg_namespace sn ON sn.oid = s.relnamespace "
      "JOIN pg_class t ON t.oid = u.rel JOIN pg_namespace tn ON tn.oid = t.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.attnum AND NOT a.attisdropped "
      "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5");
  std::vector<SequenceUse> uses;
  for (int i = 0; i < r.rows(); ++i) {
    TableName table{r.Get(i, 2), r.Get(i, 3)};
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) continue;
    uses.push_back({{r.Get(i, 0), r.Get(i, 1)}, table, r.Get(i, 4), r.Get(i, 5) == "t"});
  }
  return uses;
}

SequenceState ReadSequence(PgConnection& conn, const TableName& sequence) {
  SequenceState state;
  std::string name = RegclassText(conn, sequence);
  PgResult p = conn.ExecParams(
      "SELECT seqincrement, seqmin, seqmax FROM pg_sequence WHERE seqrelid = to_regclass($1)", {name});
  if (p.rows() == 0) return state;
  state.exists = true;
  state.increment = std::stoll(p.Get(0, 0));
  state.min_value = std::stoll(p.Get(0, 1));
  state.max_value = std::stoll(p.Get(0, 2));
  PgResult r = conn.Exec(fmt::format("SELECT last_value, is_called FROM {}", name));
  state.last_value = std::stoll(r.Get(0, 0));
  state.is_called = r.Get(0, 1) == "t";
  return state;
}

std::vector<std::optional<int64_t>> ColumnMaxByResidue(PgConnection& conn, const TableName& table,
                                                       const std::string& column, int modulus) {
  std::vector<std::optional<int64_t>> out(static_cast<size_t>(modulus));
  if (!RelationExists(conn, table)) return out;
  std::string col = conn.QuoteIdent(column);
  std::string select;
  for (int r = 0; r < modulus; ++r) {
    select += fmt::format("{}max({}::int8) FILTER (WHERE (({}::int8 % {}) + {}) % {} = {})", r ? ", " : "", col,
                          col, modulus, modulus, modulus, r);
  }
  PgResult res = conn.Exec(fmt::format("SELECT {} FROM {}", select, RegclassText(conn, table)));
  for (int r = 0; r < modulus; ++r) {
    if (!res.IsNull(0, r)) out[r] = std::stoll(res.Get(0, r));
  }
  return out;
}

void SetCanonicalTextOutput(PgConnection& conn) {
  conn.Exec(
      "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
      "SET extra_float_digits = 1; SET bytea_output = 'hex'; SET lc_monetary = 'C'; "
      "SET lc_numeric = 'C'; SET search_path = pg_catalog");
}

}  // namespace pgduplex
