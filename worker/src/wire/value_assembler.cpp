#include "wire/value_assembler.h"

#include <fmt/format.h>

#include <utility>

#include "common/errors.h"
#include "wire/record_decoder.h"

namespace pgduplex {

namespace {

// The Record's kind is its only field: a ValueChunk starts with this tag.
constexpr unsigned char kValueChunkTag = (v1::Record::kValueChunkFieldNumber << 3) | 2;

const char* TupleName(bool old_tuple) { return old_tuple ? "old" : "new"; }

uint32_t RelationOf(const v1::Record& record) {
  if (record.has_insert()) return record.insert().relation_oid();
  if (record.has_update()) return record.update().relation_oid();
  if (record.has_delete_()) return record.delete_().relation_oid();
  return 0;
}

[[noreturn]] void Refuse(Lsn lsn, const std::string& what) {
  throw DecodeError(fmt::format("value chunks at LSN {}: {}", LsnToString(lsn), what));
}

}  // namespace

v1::Record* ValueAssembler::Read(const char* data, size_t size, Lsn lsn, google::protobuf::Arena* arena,
                                 size_t* assembled_bytes) {
  if (assembled_bytes != nullptr) *assembled_bytes = 0;
  if (size > 0 && static_cast<unsigned char>(data[0]) == kValueChunkTag) {
    // Decoded off the arena into a reused message: the chunk's bytes are
    // appended to their value and not kept a second time.
    Status status = DecodeRecord(data, size, &chunk_);
    if (!status.ok() || !chunk_.has_value_chunk()) {
      throw DecodeError(fmt::format("record at LSN {} ({} bytes) is not a valid pgduplex value chunk: {}",
                                    LsnToString(lsn), size, status.ok() ? "no chunk" : status.message()));
    }
    AddChunk(chunk_.value_chunk(), lsn);
    return nullptr;
  }
  v1::Record* record = ReadRecord(data, size, lsn, arena);
  size_t filled = Fill(record, lsn);
  if (assembled_bytes != nullptr) *assembled_bytes = filled;
  return record;
}

void ValueAssembler::AddChunk(const v1::ValueChunk& chunk, Lsn lsn) {
  const bool old_tuple = chunk.old_tuple();
  const uint32_t column = chunk.column();
  Value* last = values_.empty() ? nullptr : &values_.back();
  if (last != nullptr && !last->complete() && (last->old_tuple != old_tuple || last->column != column)) {
    Refuse(lsn, fmt::format("a chunk of {} value {} arrived before {} value {} was complete ({} of {} bytes)",
                            TupleName(old_tuple), column, TupleName(last->old_tuple), last->column,
                            last->bytes.size(), last->total_size));
  }
  if (last == nullptr || last->complete()) {
    if (Find(old_tuple, column) != nullptr) {
      Refuse(lsn, fmt::format("a second value for {} value {} of one change", TupleName(old_tuple), column));
    }
    if (chunk.total_size() > max_value_size_) {
      Refuse(lsn, fmt::format("{} value {} announces {} bytes, more than the {} a value may have",
                              TupleName(old_tuple), column, chunk.total_size(), max_value_size_));
    }
    values_.push_back(Value{old_tuple, column, chunk.total_size(), {}});
    last = &values_.back();
    last->bytes.reserve(last->total_size);  // exactly what was announced: no growth by doubling
  }
  if (chunk.total_size() != last->total_size) {
    Refuse(lsn, fmt::format("{} value {} announced {} bytes, then {}", TupleName(old_tuple), column,
                            last->total_size, chunk.total_size()));
  }
  if (chunk.data().size() > last->total_size - last->bytes.size()) {
    Refuse(lsn, fmt::format("{} value {} has more than the {} bytes announced", TupleName(old_tuple), column,
                            last->total_size));
  }
  last->bytes.append(chunk.data());
}

size_t ValueAssembler::Fill(v1::Record* record, Lsn lsn) {
  if (record->has_relation()) Remember(record->relation());
  size_t filled = 0;
  if (record->has_insert()) {
    filled += FillTuple(record->mutable_insert()->mutable_new_tuple(), false, record->insert().relation_oid(), lsn);
  } else if (record->has_update()) {
    v1::Update* u = record->mutable_update();
    filled += FillTuple(u->mutable_new_tuple(), false, u->relation_oid(), lsn);
    if (u->has_old_tuple()) filled += FillTuple(u->mutable_old_tuple(), true, u->relation_oid(), lsn);
  } else if (record->has_delete_()) {
    v1::Delete* d = record->mutable_delete_();
    if (d->has_old_tuple()) filled += FillTuple(d->mutable_old_tuple(), true, d->relation_oid(), lsn);
  }
  if (!values_.empty()) {
    const Value& left = values_.front();
    std::string where = left.complete() ? "" : fmt::format(" ({} of {} bytes)", left.bytes.size(), left.total_size);
    const uint32_t oid = RelationOf(*record);
    std::string column = oid != 0 ? ColumnName(oid, left.column) : fmt::format("column {}", left.column);
    std::string what = fmt::format("{} record at LSN {} does not use the chunks of the {} value of {} that came "
                                   "before it{}",
                                   RecordKindName(*record), LsnToString(lsn), TupleName(left.old_tuple), column,
                                   where);
    values_.clear();
    throw DecodeError(what);
  }
  return filled;
}

size_t ValueAssembler::FillTuple(v1::Tuple* tuple, bool old_tuple, uint32_t relation_oid, Lsn lsn) {
  size_t filled = 0;
  for (int i = 0; i < tuple->values_size(); ++i) {
    v1::Value* value = tuple->mutable_values(i);
    if (value->datum_case() != v1::Value::kChunked) continue;
    const uint32_t column = static_cast<uint32_t>(i);
    Value* assembled = Find(old_tuple, column);
    if (assembled == nullptr || !assembled->complete()) {
      std::string have = assembled == nullptr ? "none of its chunks arrived"
                                              : fmt::format("{} of its {} bytes arrived", assembled->bytes.size(),
                                                            assembled->total_size);
      values_.clear();
      Refuse(lsn, fmt::format("{} is marked chunked in the {} tuple, but {}",
                              ColumnName(relation_oid, column), TupleName(old_tuple), have));
    }
    filled += assembled->bytes.size();
    value->set_text(std::move(assembled->bytes));  // moved into the record: the one copy
    values_.erase(values_.begin() + (assembled - values_.data()));
  }
  return filled;
}

ValueAssembler::Value* ValueAssembler::Find(bool old_tuple, uint32_t column) {
  for (Value& v : values_) {
    if (v.old_tuple == old_tuple && v.column == column) return &v;
  }
  return nullptr;
}

void ValueAssembler::Remember(const v1::Relation& relation) {
  RelationNames names;
  names.name = relation.schema() + "." + relation.name();
  for (const auto& column : relation.columns()) names.columns.push_back(column.name());
  relations_[relation.oid()] = std::move(names);
}

std::string ValueAssembler::ColumnName(uint32_t relation_oid, uint32_t column) const {
  auto it = relations_.find(relation_oid);
  if (it == relations_.end()) return fmt::format("column {} of relation {}", column, relation_oid);
  const RelationNames& names = it->second;
  if (column >= names.columns.size()) return fmt::format("column {} of {}", column, names.name);
  return fmt::format("column {} ({}) of {}", names.columns[column], column, names.name);
}

}  // namespace pgduplex
