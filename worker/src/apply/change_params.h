// ChangeParams: the text parameters of one change's statement, taken from
// the record's tuples without copying (pointers into the record, which
// lives on the batch arena).
//
// Rules (see DESIGN.md "TOAST" and "Replica identity"):
//   * INSERT sends every column.
//   * UPDATE sets every column whose new value was sent (unchanged-TOAST
//     columns are left out); key columns are set only when an old image is
//     present (the key may have changed). The row is found by the old key
//     when there is an old image, else by the new tuple's key.
//   * DELETE finds the row by the old image's key.
//   * A key value that is unknown (unchanged TOAST, or not part of the old
//     image) makes the change inexpressible: a clear error, never a guess.
//
// Contract: pure; pointers are nullptr for SQL NULL.
#pragma once

#include <string>
#include <vector>

#include "apply/relation_map.h"
#include "pgduplex.pb.h"

namespace pgduplex {

// Marks a column whose value is not known (unchanged TOAST).
extern const char* const kUnknownValue;

// Text of a value: its bytes, nullptr for NULL, kUnknownValue for unchanged TOAST.
inline const char* ValueText(const v1::Value& value) {
  switch (value.datum_case()) {
    case v1::Value::kText: return value.text().c_str();
    case v1::Value::kUnchangedToast: return kUnknownValue;
    default: return nullptr;
  }
}

// Checks that a tuple has one value per column of the relation.
bool TupleFits(const TargetRelation& relation, const v1::Tuple& tuple, std::string* error);

void InsertParams(const TargetRelation& relation, const v1::Insert& insert, std::vector<const char*>* values);

bool UpdateParams(const TargetRelation& relation, const v1::Update& update, std::string* mask,
                  std::vector<const char*>* values, std::string* error);

bool DeleteParams(const TargetRelation& relation, const v1::Delete& remove, std::vector<const char*>* values,
                  std::string* error);

// Key values (in key column order) identifying the row the change targets.
bool ChangeKey(const TargetRelation& relation, const v1::Record& record, std::vector<const char*>* values,
               std::string* error);

// The new row of an UPDATE with unchanged-TOAST columns filled from a FULL
// old image. Returns false when some column stays unknown.
bool WholeNewRow(const TargetRelation& relation, const v1::Update& update, std::vector<const char*>* values);

// Values of every column of a tuple (kUnknownValue where not sent).
void TupleValues(const v1::Tuple& tuple, std::vector<const char*>* values);

// "(id)=(5)" for the change's key, for messages.
std::string DescribeKey(const TargetRelation& relation, const v1::Record& record);

}  // namespace pgduplex
