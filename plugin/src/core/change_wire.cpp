#include "core/change_wire.h"

#include <cstring>

#include "core/no_postgres.h"

namespace pgduplex {
namespace {

// Field tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
constexpr char kRecordBegin = 1 << 3 | 2;
constexpr char kRecordCommit = 2 << 3 | 2;
constexpr char kRecordInsert = 4 << 3 | 2;
constexpr char kRecordUpdate = 5 << 3 | 2;
constexpr char kRecordDelete = 6 << 3 | 2;
constexpr char kTupleValue = 1 << 3 | 2;
constexpr char kValueText = 1 << 3 | 2;
constexpr char kValueNull = 2 << 3 | 0;
constexpr char kValueUnchangedToast = 3 << 3 | 0;

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline char* PutVarint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// A varint field, omitted when 0 as proto3 does.
inline size_t VarintFieldSize(uint64_t v) { return v == 0 ? 0 : 1 + VarintSize(v); }

inline char* PutVarintField(char tag, uint64_t v, char* p) {
  if (v == 0) return p;
  *p++ = tag;
  return PutVarint(v, p);
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

char* PutTuple(const TupleView& t, char* p) {
  for (uint32_t i = 0; i < t.count; ++i) {
    const ValueView& v = t.values[i];
    *p++ = kTupleValue;
    switch (v.kind) {
      case ValueKind::kText:
        p = PutVarint(1 + VarintSize(v.size) + v.size, p);
        *p++ = kValueText;
        p = PutVarint(v.size, p);
        if (v.size > 0) std::memcpy(p, v.data, v.size);
        p += v.size;
        break;
      case ValueKind::kNull:
        *p++ = 2;
        *p++ = kValueNull;
        *p++ = 1;
        break;
      case ValueKind::kUnchangedToast:
        *p++ = 2;
        *p++ = kValueUnchangedToast;
        *p++ = 1;
        break;
    }
  }
  return p;
}

inline char* PutEmbeddedHeader(char tag, size_t size, char* p) {
  *p++ = tag;
  return PutVarint(size, p);
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
  return Finish(VarintFieldSize(relation_oid) + EmbeddedSize(new_size_));
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
                (has_old_tuple_ ? EmbeddedSize(old_size_) : 0));
}

size_t ChangeWire::PrepareDelete(uint32_t relation_oid, OldTupleKind old_kind,
                                 const TupleView* old_tuple) noexcept {
  kind_ = Kind::kDelete;
  relation_oid_ = relation_oid;
  SetOld(old_kind, old_tuple);
  return Finish(VarintFieldSize(relation_oid) + VarintFieldSize(static_cast<uint64_t>(old_kind)) +
                (has_old_tuple_ ? EmbeddedSize(old_size_) : 0));
}

void ChangeWire::Write(char* p) const noexcept {
  switch (kind_) {
    case Kind::kBegin:
      p = PutEmbeddedHeader(kRecordBegin, body_size_, p);
      p = PutVarintField(1 << 3, begin_.xid, p);
      p = PutVarintField(2 << 3, begin_.final_lsn, p);
      p = PutVarintField(3 << 3, static_cast<uint64_t>(begin_.commit_time), p);
      if (origin_size_ > 0) {
        p = PutEmbeddedHeader(4 << 3 | 2, origin_size_, p);
        std::memcpy(p, begin_.origin, origin_size_);
      }
      break;
    case Kind::kCommit:
      p = PutEmbeddedHeader(kRecordCommit, body_size_, p);
      p = PutVarintField(1 << 3, commit_.commit_lsn, p);
      p = PutVarintField(2 << 3, commit_.end_lsn, p);
      PutVarintField(3 << 3, static_cast<uint64_t>(commit_.commit_time), p);
      break;
    case Kind::kInsert:
      p = PutEmbeddedHeader(kRecordInsert, body_size_, p);
      p = PutVarintField(1 << 3, relation_oid_, p);
      p = PutEmbeddedHeader(2 << 3 | 2, new_size_, p);
      PutTuple(new_tuple_, p);
      break;
    case Kind::kUpdate:
      p = PutEmbeddedHeader(kRecordUpdate, body_size_, p);
      p = PutVarintField(1 << 3, relation_oid_, p);
      p = PutEmbeddedHeader(2 << 3 | 2, new_size_, p);
      p = PutTuple(new_tuple_, p);
      p = PutVarintField(3 << 3, static_cast<uint64_t>(old_kind_), p);
      if (has_old_tuple_) {
        p = PutEmbeddedHeader(4 << 3 | 2, old_size_, p);
        PutTuple(old_tuple_, p);
      }
      break;
    case Kind::kDelete:
      p = PutEmbeddedHeader(kRecordDelete, body_size_, p);
      p = PutVarintField(1 << 3, relation_oid_, p);
      p = PutVarintField(2 << 3, static_cast<uint64_t>(old_kind_), p);
      if (has_old_tuple_) {
        p = PutEmbeddedHeader(3 << 3 | 2, old_size_, p);
        PutTuple(old_tuple_, p);
      }
      break;
  }
}

}  // namespace pgduplex
