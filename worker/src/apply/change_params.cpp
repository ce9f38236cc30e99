#include "apply/change_params.h"

#include <fmt/format.h>

namespace pgduplex {

const char* const kUnknownValue = "\x01<unchanged toast>";

bool TupleFits(const TargetRelation& relation, const v1::Tuple& tuple, std::string* error) {
  if (static_cast<size_t>(tuple.values_size()) == relation.shape.columns.size()) return true;
  *error = fmt::format("a tuple of {} has {} values but the relation has {} columns", relation.display,
                       tuple.values_size(), relation.shape.columns.size());
  return false;
}

void TupleValues(const v1::Tuple& tuple, std::vector<const char*>* values) {
  values->clear();
  for (const auto& value : tuple.values()) values->push_back(ValueText(value));
}

void InsertParams(const TargetRelation& relation, const v1::Insert& insert, std::vector<const char*>* values) {
  TupleValues(insert.new_tuple(), values);
}

namespace {
// The value that identifies the row for key column `index`.
bool KeyValueOf(const TargetRelation& relation, int index, const v1::Tuple* old_tuple, v1::OldTuple old_kind,
                const v1::Tuple* new_tuple, const char** out, std::string* error) {
  const char* value = nullptr;
  bool from_old = old_tuple && (old_kind == v1::OLD_TUPLE_FULL || relation.source->column_is_key[index]);
  if (from_old) {
    value = ValueText(old_tuple->values(index));
  } else if (new_tuple) {
    value = ValueText(new_tuple->values(index));
  } else {
    *error = fmt::format("cannot find the row in {}: key column {} is not part of the source's replica identity",
                         relation.display, relation.source->column_names[index]);
    return false;
  }
  if (value == kUnknownValue) {
    *error = fmt::format("cannot find the row in {}: the value of key column {} was not sent (unchanged TOAST)",
                         relation.display, relation.source->column_names[index]);
    return false;
  }
  *out = value;
  return true;
}

bool NoKey(const TargetRelation& relation, const char* what, std::string* error) {
  if (relation.has_key) return false;
  *error = fmt::format("cannot apply {} to {}: it has no primary key or replica identity index on the target "
                       "and no replica identity on the source (give it a primary key, or ALTER TABLE ... REPLICA "
                       "IDENTITY FULL on the source)",
                       what, relation.display);
  return true;
}
}  // namespace

bool UpdateParams(const TargetRelation& relation, const v1::Update& update, std::string* mask,
                  std::vector<const char*>* values, std::string* error) {
  if (NoKey(relation, "an UPDATE", error)) return false;
  const v1::Tuple& new_tuple = update.new_tuple();
  bool has_old = update.old_kind() != v1::OLD_TUPLE_NONE;
  const v1::Tuple* old_tuple = has_old ? &update.old_tuple() : nullptr;
  if (!TupleFits(relation, new_tuple, error) || (old_tuple && !TupleFits(relation, *old_tuple, error))) return false;
  const auto& columns = relation.shape.columns;
  mask->assign(columns.size(), '0');
  values->clear();
  // Under last-write-wins a change that wins replaces the whole row version:
  // an unchanged (TOAST) value is taken from a full old image when there is
  // one, lest the local row's value of it survive beside the change's.
  const bool whole = relation.shape.last_write && update.old_kind() == v1::OLD_TUPLE_FULL;
  for (size_t i = 0; i < columns.size(); ++i) {
    const char* value = ValueText(new_tuple.values(static_cast<int>(i)));
    if (value == kUnknownValue && whole) value = ValueText(old_tuple->values(static_cast<int>(i)));
    if (value == kUnknownValue) continue;
    if (columns[i].key && !has_old) continue;
    (*mask)[i] = '1';
    values->push_back(value);
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!columns[i].key) continue;
    const char* value;
    if (!KeyValueOf(relation, static_cast<int>(i), old_tuple, update.old_kind(), &new_tuple, &value, error)) {
      return false;
    }
    values->push_back(value);
  }
  return true;
}

bool DeleteParams(const TargetRelation& relation, const v1::Delete& remove, std::vector<const char*>* values,
                  std::string* error) {
  if (NoKey(relation, "a DELETE", error)) return false;
  if (remove.old_kind() == v1::OLD_TUPLE_NONE) {
    *error = fmt::format("a DELETE on {} carries no old key: the source table has no replica identity (give "
                         "it a primary key, or ALTER TABLE ... REPLICA IDENTITY FULL)",
                         relation.display);
    return false;
  }
  if (!TupleFits(relation, remove.old_tuple(), error)) return false;
  values->clear();
  const auto& columns = relation.shape.columns;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!columns[i].key) continue;
    const char* value;
    if (!KeyValueOf(relation, static_cast<int>(i), &remove.old_tuple(), remove.old_kind(), nullptr, &value, error)) {
      return false;
    }
    values->push_back(value);
  }
  return true;
}

bool ChangeKey(const TargetRelation& relation, const v1::Record& record, std::vector<const char*>* values,
               std::string* error) {
  values->clear();
  // The tuples read below must have one value per column: a short one
  // (malformed record) would be read past its end.
  if (record.has_insert() && !TupleFits(relation, record.insert().new_tuple(), error)) return false;
  if (record.has_update()) {
    const v1::Update& u = record.update();
    if (!TupleFits(relation, u.new_tuple(), error)) return false;
    if (u.old_kind() != v1::OLD_TUPLE_NONE && !TupleFits(relation, u.old_tuple(), error)) return false;
  }
  if (record.has_delete_() && !TupleFits(relation, record.delete_().old_tuple(), error)) return false;
  const auto& columns = relation.shape.columns;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!columns[i].key) continue;
    const char* value = nullptr;
    bool ok = true;
    if (record.has_insert()) {
      value = ValueText(record.insert().new_tuple().values(static_cast<int>(i)));
    } else if (record.has_update()) {
      const v1::Update& u = record.update();
      bool has_old = u.old_kind() != v1::OLD_TUPLE_NONE;
      ok = KeyValueOf(relation, static_cast<int>(i), has_old ? &u.old_tuple() : nullptr, u.old_kind(),
                      &u.new_tuple(), &value, error);
    } else if (record.has_delete_()) {
      const v1::Delete& d = record.delete_();
      ok = KeyValueOf(relation, static_cast<int>(i), &d.old_tuple(), d.old_kind(), nullptr, &value, error);
    }
    if (!ok) return false;
    values->push_back(value);
  }
  return true;
}

bool WholeNewRow(const TargetRelation& relation, const v1::Update& update, std::vector<const char*>* values) {
  TupleValues(update.new_tuple(), values);
  bool full_old = update.old_kind() == v1::OLD_TUPLE_FULL &&
                  static_cast<size_t>(update.old_tuple().values_size()) == values->size();
  for (size_t i = 0; i < values->size(); ++i) {
    if ((*values)[i] != kUnknownValue) continue;
    if (!full_old) return false;
    const char* old_value = ValueText(update.old_tuple().values(static_cast<int>(i)));
    if (old_value == kUnknownValue) return false;
    (*values)[i] = old_value;
  }
  return true;
}

std::string DescribeKey(const TargetRelation& relation, const v1::Record& record) {
  std::vector<const char*> values;
  std::string error;
  if (!ChangeKey(relation, record, &values, &error)) return "(key unknown)";
  std::vector<std::string> names;
  std::vector<std::string> texts;
  for (size_t i = 0; i < relation.shape.columns.size(); ++i) {
    if (relation.shape.columns[i].key) names.push_back(relation.source->column_names[i]);
  }
  std::vector<const std::string*> pointers;
  texts.reserve(values.size());
  for (const char* v : values) texts.push_back(v ? std::string(v) : std::string("NULL"));
  for (const auto& t : texts) pointers.push_back(&t);
  return FormatKey(names, pointers);
}

}  // namespace pgduplex
