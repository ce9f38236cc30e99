// RelationMap::Resolve: a source relation's table on the target, read from
// the target's catalog once per relation definition: the table (or, for a
// partition the target lacks, its root's), its columns and their equality
// operators, the unique indexes and the key, the traits the apply order
// relies on, the owner; renames captured on the target (carried_renames.h)
// for names it lacks, and a conflict-only view (schema drift) otherwise.
#include <fmt/format.h>

#include <map>
#include <optional>
#include <stdexcept>

#include "apply/carried_renames.h"
#include "apply/relation_map.h"
#include "common/errors.h"

namespace pgduplex {

namespace {
std::optional<std::string> FindTable(PgConnection& target, const std::string& schema, const std::string& name) {
  return target.Scalar(
      "SELECT c.oid::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
      {schema, name});
}

struct TargetTable {
  std::string oid;
  std::string schema;
  std::string name;
};

// The same schema and name; for a partition missing on the target, its
// root's.
std::optional<TargetTable> FindTargetTable(PgConnection& target, const SourceRelation& source) {
  if (std::optional<std::string> oid = FindTable(target, source.schema, source.name)) {
    return TargetTable{*oid, source.schema, source.name};
  }
  if (!source.root_name.empty()) {
    if (std::optional<std::string> oid = FindTable(target, source.root_schema, source.root_name)) {
      return TargetTable{*oid, source.root_schema, source.root_name};
    }
  }
  return std::nullopt;
}

struct TargetColumn {
  std::string type;
  bool generated;
  std::string equality;
  bool identity_always = false;  // GENERATED ALWAYS AS IDENTITY
};

// Target columns by name.
// With each column, the equality operator of its type's (or domain base
// type's) default btree or hash operator class when that operator is not
// in pg_catalog (see ShapeColumn::equality).
std::map<std::string, TargetColumn> ReadTargetColumns(PgConnection& target, const std::string& table_oid) {
  PgResult columns = target.ExecParams(
      "SELECT a.attname, pg_catalog.format_type(a.atttypid, -1), a.attgenerated <> '', "
      "  (SELECT pg_catalog.format('OPERATOR(%I.%s)', n.nspname, o.oprname) "
      "     FROM pg_catalog.pg_type ty "
      "     JOIN pg_catalog.pg_opclass c ON c.opcdefault "
      "      AND c.opcintype = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END "
      "     JOIN pg_catalog.pg_am m ON m.oid = c.opcmethod AND m.amname IN ('btree', 'hash') "
      "     JOIN pg_catalog.pg_amop ao ON ao.amopfamily = c.opcfamily AND ao.amopmethod = m.oid "
      "      AND ao.amoplefttype = c.opcintype AND ao.amoprighttype = c.opcintype "
      "      AND ao.amopstrategy = CASE WHEN m.amname = 'btree' THEN 3 ELSE 1 END "
      "     JOIN pg_catalog.pg_operator o ON o.oid = ao.amopopr "
      "     JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
      "    WHERE ty.oid = a.atttypid AND n.nspname <> 'pg_catalog' "
      "    ORDER BY m.amname = 'btree' DESC LIMIT 1), "
      "  a.attidentity = 'a' "
      "FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
      {table_oid});
  std::map<std::string, TargetColumn> target_columns;
  for (int i = 0; i < columns.rows(); ++i) {
    target_columns[columns.Get(i, 0)] = {columns.Get(i, 1), columns.Get(i, 2) == "t", columns.Get(i, 3),
                                         columns.Get(i, 4) == "t"};
  }
  return target_columns;
}

// Every source column, in source order, as the target has it (the caller
// took out the ones it lacks). Returns each column's position by name.
std::map<std::string, int> MapColumns(PgConnection& target, const std::map<std::string, TargetColumn>& target_columns,
                                      const SourceRelation& source, const std::string& label,
                                      TargetRelation* relation) {
  std::map<std::string, int> position;
  for (size_t i = 0; i < source.column_names.size(); ++i) {
    const std::string& column = source.column_names[i];
    auto found = target_columns.find(column);
    if (found == target_columns.end()) throw std::logic_error("MapColumns: a missing column was not taken out");
    if (found->second.generated) {
      throw ApplyError(fmt::format("column \"{}\" of table {} on cluster {} is generated, but the source sends "
                                   "values for it",
                                   column, relation->display, label));
    }
    // The source's value of a GENERATED ALWAYS identity column is the row's.
    if (found->second.identity_always) relation->shape.overriding_system_value = true;
    ShapeColumn shape_column;
    shape_column.quoted_name = target.QuoteIdent(column);
    shape_column.name = column;
    shape_column.type_name = found->second.type;
    shape_column.text_compare = TypeNeedsTextCompare(shape_column.type_name);
    shape_column.equality = found->second.equality;
    relation->shape.columns.push_back(std::move(shape_column));
    position[column] = static_cast<int>(i);
  }
  return position;
}

// A conflict-only relation (schema drift): every source column, as text,
// for the conflict row's remote_row.
std::unique_ptr<TargetRelation> DriftView(PgConnection& target, const SourceRelation& source, ConflictType type,
                                          std::vector<std::string> missing, std::string display) {
  auto view = std::make_unique<TargetRelation>();
  view->source = &source;
  view->conflict_only = true;
  view->drift_type = type;
  view->missing_columns = std::move(missing);
  view->display = std::move(display);
  view->source_display = source.DisplayBoth();
  for (const std::string& name : source.column_names) {
    ShapeColumn column;
    column.quoted_name = target.QuoteIdent(name);
    column.name = name;
    column.type_name = "text";
    view->shape.columns.push_back(std::move(column));
  }
  return view;
}

SourceRelation Project(const SourceRelation& source, const std::vector<int>& kept) {
  SourceRelation projected = source;
  projected.column_names.clear();
  projected.column_is_key.clear();
  for (int i : kept) {
    projected.column_names.push_back(source.column_names[i]);
    projected.column_is_key.push_back(source.column_is_key[i]);
  }
  return projected;
}

// The key candidates among the unique indexes (positions in source column
// order).
struct KeyIndexes {
  std::vector<int> primary;
  std::vector<int> replident;
};

// Unique indexes (plain columns, no predicate), primary key first, into
// relation->unique_indexes; an index with a column the source does not
// send is left out.
KeyIndexes ReadUniqueIndexes(PgConnection& target, const std::string& table_oid,
                             const std::map<std::string, int>& position, TargetRelation* relation) {
  PgResult indexes = target.ExecParams(
      "SELECT i.indexrelid::text, i.indisprimary, i.indisreplident, a.attname "
      "FROM pg_catalog.pg_index i "
      "CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1::oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL "
      "AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts "
      "ORDER BY i.indisprimary DESC, i.indisreplident DESC, i.indexrelid, k.ord",
      {table_oid});
  KeyIndexes keys;
  std::string current;
  std::vector<int> columns_of_index;
  bool usable = true, is_primary = false, is_replident = false;
  auto finish_index = [&]() {
    if (current.empty()) return;
    if (usable && !columns_of_index.empty()) {
      relation->unique_indexes.push_back(columns_of_index);
      if (is_primary && keys.primary.empty()) keys.primary = columns_of_index;
      if (is_replident && keys.replident.empty()) keys.replident = columns_of_index;
    }
  };
  for (int i = 0; i < indexes.rows(); ++i) {
    if (indexes.Get(i, 0) != current) {
      finish_index();
      current = indexes.Get(i, 0);
      columns_of_index.clear();
      usable = true;
      is_primary = indexes.Get(i, 1) == "t";
      is_replident = indexes.Get(i, 2) == "t";
    }
    auto found = position.find(indexes.Get(i, 3));
    if (found == position.end()) {
      usable = false;
    } else {
      columns_of_index.push_back(found->second);
    }
  }
  finish_index();
  return keys;
}

// The key rows are found by: the primary key, else the replica identity
// index, else the source's replica identity columns.
void ChooseKey(const SourceRelation& source, const KeyIndexes& keys, TargetRelation* relation) {
  std::vector<int> key = !keys.primary.empty() ? keys.primary : keys.replident;
  relation->shape.unique_key = !key.empty();
  if (key.empty()) {
    for (size_t i = 0; i < source.column_is_key.size(); ++i) {
      if (source.column_is_key[i]) key.push_back(static_cast<int>(i));
    }
  }
  for (int index : key) relation->shape.columns[index].key = true;
  relation->has_key = !key.empty();
  for (const auto& columns : relation->unique_indexes) {
    if (columns == key) continue;
    for (int index : columns) relation->shape.columns[index].claimed = true;
  }
}

// What the apply order may rely on: triggers that fire for the apply
// session, and unique constraints besides the key; and the owner.
void ReadApplyTraits(PgConnection& target, const std::string& table_oid, TargetRelation* relation) {
  PgResult traits = target.ExecParams(
      "SELECT (SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid = $1::oid AND NOT tgisinternal "
      "AND tgenabled IN ('A', 'R')), "
      "(SELECT count(*) FROM pg_catalog.pg_index WHERE indrelid = $1::oid AND indisunique), "
      "(SELECT count(*) FROM pg_catalog.pg_constraint WHERE conrelid = $1::oid AND contype = 'x'), "
      "(SELECT relowner::text FROM pg_catalog.pg_class WHERE oid = $1::oid)",
      {table_oid});
  relation->ordered = traits.Get(0, 0) != "0";
  relation->compactable_updates = relation->shape.unique_key && !relation->ordered && traits.Get(0, 1) == "1" &&
                                  traits.Get(0, 2) == "0";
  relation->owner = static_cast<uint32_t>(std::stoul(traits.Get(0, 3)));
}

// The source relation with the names the target lacks translated through
// the renames captured there (carried_renames.h), keeping a translated name
// only where the target has it; nullptr when nothing is missing or none
// translates. May re-find the table (a renamed table) and its columns.
std::unique_ptr<SourceRelation> TranslateMissing(PgConnection& target, const SourceRelation& source,
                                                 std::optional<TargetTable>& table,
                                                 std::map<std::string, TargetColumn>& target_columns) {
  bool missing = !table;
  for (const auto& column : source.column_names) missing = missing || !target_columns.count(column);
  if (!missing) return nullptr;
  std::unique_ptr<SourceRelation> renamed = TranslateCarriedRenames(target, source);
  if (!renamed) return nullptr;
  if (table) {
    renamed->schema = source.schema;
    renamed->name = source.name;
  } else if (auto found = FindTargetTable(target, *renamed)) {
    table = found;
    target_columns = ReadTargetColumns(target, table->oid);
  } else {
    return nullptr;
  }
  bool changed = renamed->name != source.name;
  for (size_t i = 0; i < source.column_names.size(); ++i) {
    std::string& name = renamed->column_names[i];
    if (target_columns.count(source.column_names[i]) || !target_columns.count(name)) name = source.column_names[i];
    changed = changed || name != source.column_names[i];
  }
  if (!changed) return nullptr;
  return renamed;
}
}  // namespace

TargetRelation* RelationMap::Resolve(uint32_t oid, PgConnection& target) {
  auto it = entries_.find(oid);
  if (it == entries_.end() || !it->second.source) {
    throw ApplyError(fmt::format("change for relation OID {} arrived before its Relation record", oid));
  }
  Entry& entry = it->second;
  if (entry.target) return entry.target.get();
  std::optional<TargetTable> table = FindTargetTable(target, *entry.source);
  std::map<std::string, TargetColumn> target_columns;
  if (table) target_columns = ReadTargetColumns(target, table->oid);
  // A name missing here may be one pgduplex carried a rename of.
  std::unique_ptr<SourceRelation> renamed = TranslateMissing(target, *entry.source, table, target_columns);
  const SourceRelation& source = renamed ? *renamed : *entry.source;
  auto keep_renamed = [&](TargetRelation* relation) {
    if (renamed) relation->renamed_source = std::move(renamed);
    return relation;
  };

  if (!table && !missing_table_is_conflict_) {
    throw ApplyError(fmt::format("table {} does not exist on cluster {} (create it there, or take it out of "
                                 "sync.tables{}; a warning says so if its CREATE TABLE was not carried); "
                                 "nothing after it is applied",
                                 source.DisplayBoth(), target_label_,
                                 source.source_name.empty() ? "" : ", or correct [mapping]"));
  }
  if (!table) {
    entry.target = DriftView(target, source, ConflictType::kTargetTableMissing, {}, source.Display());
    return keep_renamed(entry.target.get());
  }
  std::vector<std::string> missing;
  std::vector<int> kept;
  bool key_missing = false;
  for (size_t i = 0; i < source.column_names.size(); ++i) {
    if (target_columns.count(source.column_names[i])) {
      kept.push_back(static_cast<int>(i));
    } else {
      missing.push_back(source.column_names[i]);
      key_missing = key_missing || source.column_is_key[i];
    }
  }
  std::string display = table->schema + "." + table->name;
  if (key_missing) {
    // The row cannot be placed: every change is recorded, none applied.
    entry.target = DriftView(target, source, ConflictType::kTargetColumnMissing, std::move(missing), display);
    // The table is there: a TRUNCATE of it still applies.
    entry.target->oid = static_cast<uint32_t>(std::stoul(table->oid));
    entry.target->shape.quoted_table = target.QuoteIdent(table->schema) + "." + target.QuoteIdent(table->name);
    entry.target->via_root = table->name != source.name || table->schema != source.schema;
    ReadApplyTraits(target, table->oid, entry.target.get());
    return keep_renamed(entry.target.get());
  }
  auto relation = std::make_unique<TargetRelation>();
  relation->source = &source;
  if (!missing.empty()) {
    relation->projected_source = std::make_unique<SourceRelation>(Project(source, kept));
    relation->source = relation->projected_source.get();
    relation->kept = kept;
    relation->missing_columns = missing;
    relation->source_display = source.DisplayBoth();
    relation->drift_view = DriftView(target, source, ConflictType::kTargetColumnMissing, missing, display);
    relation->drift_view->drift_placeable = true;
  }
  relation->serial = next_serial_++;
  relation->oid = static_cast<uint32_t>(std::stoul(table->oid));
  relation->display = display;
  relation->shape.quoted_table = target.QuoteIdent(table->schema) + "." + target.QuoteIdent(table->name);
  relation->via_root = table->name != source.name || table->schema != source.schema;
  std::map<std::string, int> position =
      MapColumns(target, target_columns, *relation->source, target_label_, relation.get());
  ChooseKey(*relation->source, ReadUniqueIndexes(target, table->oid, position, relation.get()), relation.get());
  ReadApplyTraits(target, table->oid, relation.get());

  entry.target = std::move(relation);
  return keep_renamed(entry.target.get());
}

}  // namespace pgduplex
