#include "core/change_wire.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstring>

#include "core/no_postgres.h"
#include "pgduplex.pb.h"

namespace pgduplex {
namespace {

// The wire primitives (tags, varints) are protobuf's own; only the walk over
// the views is ours. Field numbers come from the generated code.
using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;
using Bytes = uint8_t*;

constexpr uint32_t Embedded(int field) {
  return WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}
constexpr uint32_t Varint(int field) { return WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_VARINT); }

constexpr uint32_t kRecordBegin = Embedded(v1::Record::kBeginFieldNumber);
constexpr uint32_t kRecordCommit = Embedded(v1::Record::kCommitFieldNumber);
constexpr uint32_t kRecordInsert = Embedded(v1::Record::kInsertFieldNumber);
constexpr uint32_t kRecordUpdate = Embedded(v1::Record::kUpdateFieldNumber);
constexpr uint32_t kRecordDelete = Embedded(v1::Record::kDeleteFieldNumber);
constexpr uint32_t kRecordValueChunk = Embedded(v1::Record::kValueChunkFieldNumber);
constexpr uint32_t kTupleValue = Embedded(v1::Tuple::kValuesFieldNumber);
constexpr uint32_t kValueText = Embedded(v1::Value::kTextFieldNumber);
constexpr uint32_t kValueNull = Varint(v1::Value::kNullFieldNumber);
constexpr uint32_t kValueUnchangedToast = Varint(v1::Value::kUnchangedToastFieldNumber);
constexpr uint32_t kValueChunked = Varint(v1::Value::kChunkedFieldNumber);

inline size_t VarintSize(uint64_t v) { return CodedOutputStream::VarintSize64(v); }

inline Bytes PutVarint(uint64_t v, Bytes p) { return CodedOutputStream::WriteVarint64ToArray(v, p); }

inline Bytes PutTag(uint32_t tag, Bytes p) { return CodedOutputStream::WriteTagToArray(tag, p); }

// A varint field (every tag here is one byte), omitted when 0 as proto3 does.
inline size_t VarintFieldSize(uint64_t v) { return v == 0 ? 0 : 1 + VarintSize(v); }

inline Bytes PutVarintField(uint32_t tag, uint64_t v, Bytes p) {
  if (v == 0) return p;
  return PutVarint(v, PutTag(tag, p));
}

// A length-delimited field holding `size` bytes.
inline size_t EmbeddedSize(size_t size) { return 1 + VarintSize(size) + size; }

inline size_t ValueSize(const ValueView& v) {
  return v.kind == ValueKind::kText ? EmbeddedSize(v.size) : 2;
}

size_t TupleSize(const TupleView& t) {
  size_t size = 0;
  for (uint32_t i = 0; i < t.count; ++i) size += EmbeddedSize(ValueSize(t.values[i]));
  return size;
}

inline Bytes PutEmbeddedHeader(uint32_t tag, size_t size, Bytes p) { return PutVarint(size, PutTag(tag, p)); }

// A bool field that is always true (the oneof markers).
inline Bytes PutMarker(uint32_t tag, Bytes p) {
  p = PutEmbeddedHeader(kTupleValue, 2, p);
  return WireFormatLite::WriteBoolToArray(static_cast<int>(tag >> 3), true, p);
}

Bytes PutTuple(const TupleView& t, Bytes p) {
  for (uint32_t i = 0; i < t.count; ++i) {
    const ValueView& v = t.values[i];
    switch (v.kind) {
      case ValueKind::kText:
        p = PutEmbeddedHeader(kTupleValue, EmbeddedSize(v.size), p);
        p = PutEmbeddedHeader(kValueText, v.size, p);
        if (v.size > 0) std::memcpy(p, v.data, v.size);
        p += v.size;
        break;
      case ValueKind::kNull:
        p = PutMarker(kValueNull, p);
        break;
      case ValueKind::kUnchangedToast:
        p = PutMarker(kValueUnchangedToast, p);
        break;
      case ValueKind::kChunked:
        p = PutMarker(kValueChunked, p);
        break;
    }
  }
  return p;
}

}  // namespace

size_t ChangeWire::Finish(size_t body) noexcept {
  body_size_ = body;
  return EmbeddedSize(body);
}

void ChangeWire::SetOld(OldTupleKind old_kind, const TupleView* old_tuple) noexcept {
  old_kind_ = old_kind;
  has_old_tuple_ = old_kind != OldTupleKind::kNone && old_tuple != nullptr;
  old_tuple_ = has_old_tuple_ ? *old_tuple : TupleView{};
  old_size_ = has_old_tuple_ ? TupleSize(old_tuple_) : 0;
}

size_t ChangeWire::PrepareBegin(const BeginView& begin) noexcept {
  kind_ = Kind::kBegin;
  begin_ = begin;
  origin_size_ = begin.origin != nullptr ? std::strlen(begin.origin) : 0;
  return Finish(VarintFieldSize(begin.xid) + VarintFieldSize(begin.final_lsn) +
                VarintFieldSize(static_cast<uint64_t>(begin.commit_time)) +
                (origin_size_ > 0 ? EmbeddedSize(origin_size_) : 0));
}

size_t ChangeWire::PrepareCommit(const CommitView& commit) noexcept {
  kind_ = Kind::kCommit;
  commit_ = commit;
  return Finish(VarintFieldSize(commit.commit_lsn) + VarintFieldSize(commit.end_lsn) +
                VarintFieldSize(static_cast<uint64_t>(commit.commit_time)));
}

size_t ChangeWire::PrepareInsert(uint32_t relation_oid, const TupleView& new_tuple) noexcept {
  kind_ = Kind::kInsert;
  relation_oid_ = relation_oid;
  new_tuple_ = new_tuple;
  new_size_ = TupleSize(new_tuple);
  return Finish(VarintFieldSize(relation_oid) + EmbeddedSize(new_size_) + VarintFieldSize(stream_xid_));
}

size_t ChangeWire::PrepareUpdate(uint32_t relation_oid, const TupleView& new_tuple,
                                 OldTupleKind old_kind, const TupleView* old_tuple) noexcept {
  kind_ = Kind::kUpdate;
  relation_oid_ = relation_oid;
  new_tuple_ = new_tuple;
  SetOld(old_kind, old_tuple);
  new_size_ = TupleSize(new_tuple);
  return Finish(VarintFieldSize(relation_oid) + EmbeddedSize(new_size_) +
                VarintFieldSize(static_cast<uint64_t>(old_kind)) +
                (has_old_tuple_ ? EmbeddedSize(old_size_) : 0) + VarintFieldSize(stream_xid_));
}

size_t ChangeWire::PrepareDelete(uint32_t relation_oid, OldTupleKind old_kind,
                                 const TupleView* old_tuple) noexcept {
  kind_ = Kind::kDelete;
  relation_oid_ = relation_oid;
  SetOld(old_kind, old_tuple);
  return Finish(VarintFieldSize(relation_oid) + VarintFieldSize(static_cast<uint64_t>(old_kind)) +
                (has_old_tuple_ ? EmbeddedSize(old_size_) : 0) + VarintFieldSize(stream_xid_));
}

size_t ChangeWire::PrepareValueChunk(const ValueChunkView& chunk) noexcept {
  kind_ = Kind::kValueChunk;
  chunk_ = chunk;
  return Finish(VarintFieldSize(chunk.old_tuple ? 1 : 0) + VarintFieldSize(chunk.column) +
                VarintFieldSize(chunk.total_size) + (chunk.size > 0 ? EmbeddedSize(chunk.size) : 0) +
                VarintFieldSize(stream_xid_));
}

void ChangeWire::Write(char* dst) const noexcept {
  Bytes p = reinterpret_cast<Bytes>(dst);
  switch (kind_) {
    case Kind::kBegin:
      p = PutEmbeddedHeader(kRecordBegin, body_size_, p);
      p = PutVarintField(Varint(v1::Begin::kXidFieldNumber), begin_.xid, p);
      p = PutVarintField(Varint(v1::Begin::kFinalLsnFieldNumber), begin_.final_lsn, p);
      p = PutVarintField(Varint(v1::Begin::kCommitTimeFieldNumber), static_cast<uint64_t>(begin_.commit_time), p);
      if (origin_size_ > 0) {
        p = PutEmbeddedHeader(Embedded(v1::Begin::kOriginFieldNumber), origin_size_, p);
        std::memcpy(p, begin_.origin, origin_size_);
      }
      break;
    case Kind::kCommit:
      p = PutEmbeddedHeader(kRecordCommit, body_size_, p);
      p = PutVarintField(Varint(v1::Commit::kCommitLsnFieldNumber), commit_.commit_lsn, p);
      p = PutVarintField(Varint(v1::Commit::kEndLsnFieldNumber), commit_.end_lsn, p);
      PutVarintField(Varint(v1::Commit::kCommitTimeFieldNumber), static_cast<uint64_t>(commit_.commit_time), p);
      break;
    case Kind::kInsert:
      p = PutEmbeddedHeader(kRecordInsert, body_size_, p);
      p = PutVarintField(Varint(v1::Insert::kRelationOidFieldNumber), relation_oid_, p);
      p = PutEmbeddedHeader(Embedded(v1::Insert::kNewTupleFieldNumber), new_size_, p);
      p = PutTuple(new_tuple_, p);
      PutVarintField(Varint(v1::Insert::kStreamXidFieldNumber), stream_xid_, p);
      break;
    case Kind::kUpdate:
      p = PutEmbeddedHeader(kRecordUpdate, body_size_, p);
      p = PutVarintField(Varint(v1::Update::kRelationOidFieldNumber), relation_oid_, p);
      p = PutEmbeddedHeader(Embedded(v1::Update::kNewTupleFieldNumber), new_size_, p);
      p = PutTuple(new_tuple_, p);
      p = PutVarintField(Varint(v1::Update::kOldKindFieldNumber), static_cast<uint64_t>(old_kind_), p);
      if (has_old_tuple_) {
        p = PutEmbeddedHeader(Embedded(v1::Update::kOldTupleFieldNumber), old_size_, p);
        p = PutTuple(old_tuple_, p);
      }
      PutVarintField(Varint(v1::Update::kStreamXidFieldNumber), stream_xid_, p);
      break;
    case Kind::kDelete:
      p = PutEmbeddedHeader(kRecordDelete, body_size_, p);
      p = PutVarintField(Varint(v1::Delete::kRelationOidFieldNumber), relation_oid_, p);
      p = PutVarintField(Varint(v1::Delete::kOldKindFieldNumber), static_cast<uint64_t>(old_kind_), p);
      if (has_old_tuple_) {
        p = PutEmbeddedHeader(Embedded(v1::Delete::kOldTupleFieldNumber), old_size_, p);
        p = PutTuple(old_tuple_, p);
      }
      PutVarintField(Varint(v1::Delete::kStreamXidFieldNumber), stream_xid_, p);
      break;
    case Kind::kValueChunk:
      p = PutEmbeddedHeader(kRecordValueChunk, body_size_, p);
      p = PutVarintField(Varint(v1::ValueChunk::kOldTupleFieldNumber), chunk_.old_tuple ? 1 : 0, p);
      p = PutVarintField(Varint(v1::ValueChunk::kColumnFieldNumber), chunk_.column, p);
      p = PutVarintField(Varint(v1::ValueChunk::kTotalSizeFieldNumber), chunk_.total_size, p);
      if (chunk_.size > 0) {
        p = PutEmbeddedHeader(Embedded(v1::ValueChunk::kDataFieldNumber), chunk_.size, p);
        std::memcpy(p, chunk_.data, chunk_.size);
        p += chunk_.size;
      }
      PutVarintField(Varint(v1::ValueChunk::kStreamXidFieldNumber), stream_xid_, p);
      break;
  }
}

}  // namespace pgduplex
