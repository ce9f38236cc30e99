#include "core/record_decoder.h"

#include <climits>
#include <new>
#include <cstdint>
#include <string>

#include "core/no_postgres.h"

namespace pgduplex {
namespace {

// The field number of the first field in wire bytes, or 0.
uint64_t FirstFieldNumber(const unsigned char* p, size_t size) {
  uint64_t tag = 0;
  int shift = 0;
  for (size_t i = 0; i < size; ++i) {
    unsigned char c = p[i];
    if (shift > 63) return 0;
    tag |= static_cast<uint64_t>(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return tag >> 3;
    shift += 7;
  }
  return 0;
}

Status CheckTuple(const v1::Tuple& tuple, const char* what) {
  for (int i = 0; i < tuple.values_size(); ++i) {
    const v1::Value& v = tuple.values(i);
    switch (v.datum_case()) {
      case v1::Value::kText:
        break;
      case v1::Value::kNull:
        if (!v.null()) return Status::Error("%s value %d: null is false", what, i);
        break;
      case v1::Value::kUnchangedToast:
        if (!v.unchanged_toast())
          return Status::Error("%s value %d: unchanged_toast is false", what, i);
        break;
      case v1::Value::kChunked:
        if (!v.chunked()) return Status::Error("%s value %d: chunked is false", what, i);
        break;
      case v1::Value::DATUM_NOT_SET:
        return Status::Error("%s value %d is neither text, null, unchanged TOAST nor chunked", what, i);
    }
  }
  return Status::OK();
}

Status CheckOld(int kind, bool has_old, const v1::Tuple& old, const char* what) {
  if (!v1::OldTuple_IsValid(kind))
    return Status::Error("%s has unknown old_kind %d", what, kind);
  if (kind == v1::OLD_TUPLE_NONE && has_old)
    return Status::Error("%s has an old tuple but old_kind NONE", what);
  if (kind != v1::OLD_TUPLE_NONE && !has_old)
    return Status::Error("%s has old_kind %d but no old tuple", what, kind);
  return has_old ? CheckTuple(old, "old tuple") : Status::OK();
}

}  // namespace

Status ValidateRecord(const v1::Record& record) noexcept {
  switch (record.kind_case()) {
    case v1::Record::kBegin:
    case v1::Record::kCommit:
    case v1::Record::kTruncate:
    case v1::Record::kDdl:
    case v1::Record::kMessage:
    case v1::Record::kHeartbeat:
    case v1::Record::kStreamStart:
    case v1::Record::kStreamStop:
    case v1::Record::kStreamCommit:
    case v1::Record::kStreamAbort:
      return Status::OK();
    case v1::Record::kValueChunk: {
      const v1::ValueChunk& c = record.value_chunk();
      if (c.data().empty() || c.data().size() > c.total_size())
        return Status::Error("value chunk of column %u has %zu bytes of a value of %llu bytes", c.column(),
                             c.data().size(), static_cast<unsigned long long>(c.total_size()));
      return Status::OK();
    }
    case v1::Record::kRelation: {
      const v1::Relation& r = record.relation();
      if (!v1::ReplicaIdentity_IsValid(r.replica_identity()))
        return Status::Error("relation %u has unknown replica identity %d", r.oid(),
                             static_cast<int>(r.replica_identity()));
      return Status::OK();
    }
    case v1::Record::kInsert: {
      const v1::Insert& m = record.insert();
      if (!m.has_new_tuple()) return Status::Error("insert has no new tuple");
      return CheckTuple(m.new_tuple(), "new tuple");
    }
    case v1::Record::kUpdate: {
      const v1::Update& m = record.update();
      if (!m.has_new_tuple()) return Status::Error("update has no new tuple");
      Status s = CheckTuple(m.new_tuple(), "new tuple");
      if (!s.ok()) return s;
      return CheckOld(m.old_kind(), m.has_old_tuple(), m.old_tuple(), "update");
    }
    case v1::Record::kDelete: {
      const v1::Delete& m = record.delete_();
      return CheckOld(m.old_kind(), m.has_old_tuple(), m.old_tuple(), "delete");
    }
    case v1::Record::KIND_NOT_SET:
      break;
  }
  return Status::Error("record has no kind");
}

const char* RecordKindName(const v1::Record& record) noexcept {
  switch (record.kind_case()) {
    case v1::Record::kBegin: return "begin";
    case v1::Record::kCommit: return "commit";
    case v1::Record::kRelation: return "relation";
    case v1::Record::kInsert: return "insert";
    case v1::Record::kUpdate: return "update";
    case v1::Record::kDelete: return "delete";
    case v1::Record::kTruncate: return "truncate";
    case v1::Record::kDdl: return "ddl";
    case v1::Record::kMessage: return "message";
    case v1::Record::kHeartbeat: return "heartbeat";
    case v1::Record::kStreamStart: return "stream_start";
    case v1::Record::kStreamStop: return "stream_stop";
    case v1::Record::kStreamCommit: return "stream_commit";
    case v1::Record::kStreamAbort: return "stream_abort";
    case v1::Record::kValueChunk: return "value_chunk";
    case v1::Record::KIND_NOT_SET: break;
  }
  return "unknown";
}

Status DecodeRecord(const void* data, size_t size, v1::Record* record) noexcept {
  try {
    if (size > static_cast<size_t>(INT_MAX))
      return Status::Error("record of %zu bytes is too large", size);
    if (!record->ParseFromArray(data, static_cast<int>(size)))
      return Status::Error("corrupt or truncated record (%zu bytes)", size);
    if (record->kind_case() == v1::Record::KIND_NOT_SET && size > 0) {
      // A kind added by a later version parses as an unknown field: name it.
      uint64_t field = FirstFieldNumber(static_cast<const unsigned char*>(data), size);
      return Status::Error("record kind %llu is unknown to wire format version 2",
                           static_cast<unsigned long long>(field));
    }
    return ValidateRecord(*record);
  } catch (const std::bad_alloc&) {
    return Status::Error("out of memory decoding a record of %zu bytes", size);
  } catch (...) {
    return Status::Error("cannot decode record of %zu bytes", size);
  }
}

}  // namespace pgduplex
