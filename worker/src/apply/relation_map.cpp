#include "apply/relation_map.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <stdexcept>

#include "common/errors.h"

namespace pgduplex {

bool SourceRelation::SameDefinition(const SourceRelation& other) const {
  return schema == other.schema && name == other.name && root_schema == other.root_schema &&
         root_name == other.root_name && identity == other.identity && column_names == other.column_names &&
         column_is_key == other.column_is_key && partition_constraint == other.partition_constraint;
}

SourceRelation SourceRelationFromRecord(const v1::Relation& relation) {
  SourceRelation source;
  source.oid = relation.oid();
  source.schema = relation.schema();
  source.name = relation.name();
  source.root_schema = relation.root_schema();
  source.root_name = relation.root_name();
  source.partition_constraint = relation.partition_constraint();
  source.identity = relation.replica_identity();
  for (const auto& column : relation.columns()) {
    source.column_names.push_back(column.name());
    source.column_is_key.push_back(column.key());
  }
  return source;
}

void MapSourceNames(const NameMapping& mapping, Direction direction, SourceRelation* source) {
  TableName own{source->schema, source->name};
  TableName target = mapping.ToTarget(direction, own);
  // Columns are keyed by A's table: the partition's own entry, else its root's.
  TableName columns_of = own;
  if (!source->root_name.empty()) {
    TableName root{source->root_schema, source->root_name};
    TableName a_own = direction == Direction::kForward ? own : mapping.ToA(own);
    if (!mapping.HasColumnMapping(a_own)) columns_of = root;
    TableName root_target = mapping.ToTarget(direction, root);
    source->root_schema = root_target.schema;
    source->root_name = root_target.name;
  }
  std::map<std::string, std::string> seen;  // target column -> source column
  for (std::string& column : source->column_names) {
    std::string mapped = mapping.ColumnToTarget(direction, columns_of, column);
    auto [it, fresh] = seen.emplace(mapped, column);
    if (!fresh) {
      throw ApplyError(fmt::format("[mapping] gives columns \"{}\" and \"{}\" of table {} the same name \"{}\" on "
                                   "the target: the mapping must be one-to-one",
                                   it->second, column, own.Display(), mapped));
    }
    column = mapped;
  }
  if (target == own) return;
  source->source_name = own.Display();
  source->schema = target.schema;
  source->name = target.name;
}

bool TypeNeedsTextCompare(const std::string& type_name) {
  std::string base = type_name;
  while (base.size() > 2 && base.compare(base.size() - 2, 2, "[]") == 0) base.resize(base.size() - 2);
  // No equality operator (json, xml, point, polygon, path), or one that is
  // not identity: box and circle compare areas, lseg and line compare
  // lengths or slopes; their text forms tell rows apart.
  return base == "json" || base == "xml" || base == "point" || base == "polygon" || base == "path" ||
         base == "box" || base == "circle" || base == "lseg" || base == "line";
}

PreparedStatement* TargetRelation::Insert(bool skip_conflicts) {
  auto& slot = skip_conflicts ? insert_skip : insert;
  if (!slot) {
    slot = std::make_unique<PreparedStatement>();
    slot->name = fmt::format("pgduplex_{}_{}", serial, skip_conflicts ? "insert_skip" : "insert");
    slot->sql = BuildInsertSql(shape, skip_conflicts);
    slot->params = static_cast<int>(shape.columns.size());
  }
  return slot.get();
}

PreparedStatement* TargetRelation::Delete() {
  if (!remove) {
    remove = std::make_unique<PreparedStatement>();
    remove->name = fmt::format("pgduplex_{}_delete", serial);
    remove->sql = BuildDeleteSql(shape);
    for (const auto& column : shape.columns) remove->params += column.key ? 1 : 0;
  }
  return remove.get();
}

PreparedStatement* TargetRelation::Update(const std::string& mask) {
  auto it = updates.find(mask);
  if (it != updates.end()) return it->second.get();
  auto statement = std::make_unique<PreparedStatement>();
  statement->name = fmt::format("pgduplex_{}_update_{}", serial, updates.size());
  std::vector<bool> set(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) {
    set[i] = mask[i] == '1';
    statement->params += set[i] ? 1 : 0;
  }
  for (const auto& column : shape.columns) statement->params += column.key ? 1 : 0;
  statement->sql = BuildUpdateSql(shape, set);
  PreparedStatement* raw = statement.get();
  updates.emplace(mask, std::move(statement));
  return raw;
}

PreparedStatement* TargetRelation::Cached(const std::string& key, int params,
                                          const std::function<std::string()>& sql) {
  auto it = multi_.find(key);
  if (it != multi_.end()) return it->second.get();
  auto statement = std::make_unique<PreparedStatement>();
  statement->name = fmt::format("pgduplex_{}_m{}", serial, multi_.size());
  statement->sql = sql();
  statement->params = params;
  PreparedStatement* raw = statement.get();
  multi_.emplace(key, std::move(statement));
  return raw;
}

bool TargetRelation::Guarded() const { return shape.last_write.has_value() && shape.unique_key; }

PreparedStatement* TargetRelation::MultiInsert(int rows) {
  const bool guarded = shape.last_write && !shape.columns.empty();
  if (rows == 1 && !guarded) return Insert(false);
  int width = static_cast<int>(shape.columns.size()) + (guarded ? 1 : 0);
  return Cached(fmt::format("i{}", rows), width * rows, [&] { return BuildMultiInsertSql(shape, rows); });
}

PreparedStatement* TargetRelation::MultiDelete(int rows) {
  if (rows == 1 && !Guarded()) return Delete();
  int keys = Guarded() ? 1 : 0;
  for (const auto& column : shape.columns) keys += column.key ? 1 : 0;
  return Cached(fmt::format("d{}", rows), keys * rows, [&] { return BuildMultiDeleteSql(shape, rows); });
}

PreparedStatement* TargetRelation::MultiUpdate(const std::string& mask, int rows) {
  if (rows == 1 && !Guarded()) return Update(mask);
  int width = Guarded() ? 1 : 0;
  std::vector<bool> set(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) {
    set[i] = mask[i] == '1';
    width += (set[i] ? 1 : 0) + (shape.columns[i].key ? 1 : 0);  // a key column set to a new value is both
  }
  return Cached(fmt::format("u{}/{}", rows, mask), width * rows,
                [&] { return BuildMultiUpdateSql(shape, set, rows); });
}

void RelationMap::Retire(Entry& entry) {
  if (entry.target) retired_targets_.push_back(std::move(entry.target));
}

bool RelationMap::Define(const v1::Relation& relation) {
  auto source = std::make_unique<SourceRelation>(SourceRelationFromRecord(relation));
  if (mapping_) MapSourceNames(*mapping_, direction_, source.get());
  Entry& entry = entries_[relation.oid()];
  if (entry.source && entry.source->SameDefinition(*source)) return false;
  Retire(entry);
  if (entry.source) retired_sources_.push_back(std::move(entry.source));
  entry.source = std::move(source);
  return true;
}

TargetRelation* RelationMap::Find(uint32_t oid) const {
  auto it = entries_.find(oid);
  return it == entries_.end() ? nullptr : it->second.target.get();
}

const SourceRelation* RelationMap::Source(uint32_t oid) const {
  auto it = entries_.find(oid);
  return it == entries_.end() ? nullptr : it->second.source.get();
}

void RelationMap::InvalidateTargets() {
  for (auto& [oid, entry] : entries_) Retire(entry);
}

void RelationMap::ReleaseRetired() {
  // A drifted table is looked up again in the next transaction: the target
  // may have been repaired meanwhile.
  for (auto& [oid, entry] : entries_) {
    if (entry.target && (entry.target->conflict_only || entry.target->drift_view)) Retire(entry);
  }
  retired_targets_.clear();
  retired_sources_.clear();
}

}  // namespace pgduplex
