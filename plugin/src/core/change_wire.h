// ChangeWire: the wire bytes of the records a busy stream is made of —
// Begin, Commit, Insert, Update, Delete, ValueChunk — written directly, without
// building protobuf messages.
//
// Why. Filling a protobuf Record copies every column value into a
// std::string, then walks the message twice (ByteSizeLong, serialize). On
// pgbench that was about 12% of all decoding time and made pgduplex slower
// than pgoutput. Here the size is summed from the views and the values are
// copied once, straight into the output buffer.
//
// Contract. The bytes are exactly what protobuf serializes for the same
// pgduplex.v1.Record (fields in number order, proto3 defaults omitted,
// oneof members always written); tests/unit/record_encoder_test.cpp checks
// that byte for byte. Prepare* copies the view structs but not what they
// point to (values, origin name): that must stay valid until Write().
#ifndef PGDUPLEX_CORE_CHANGE_WIRE_H_
#define PGDUPLEX_CORE_CHANGE_WIRE_H_

#include <cstddef>
#include <cstdint>

#include "core/change_view.h"

namespace pgduplex {

class ChangeWire {
 public:
  ChangeWire() = default;
  ChangeWire(const ChangeWire&) = delete;
  ChangeWire& operator=(const ChangeWire&) = delete;

  // Each returns the size of the whole Record.
  size_t PrepareBegin(const BeginView& begin) noexcept;
  size_t PrepareCommit(const CommitView& commit) noexcept;
  size_t PrepareInsert(uint32_t relation_oid, const TupleView& new_tuple) noexcept;
  size_t PrepareUpdate(uint32_t relation_oid, const TupleView& new_tuple,
                       OldTupleKind old_kind, const TupleView* old_tuple) noexcept;
  size_t PrepareDelete(uint32_t relation_oid, OldTupleKind old_kind,
                       const TupleView* old_tuple) noexcept;
  size_t PrepareValueChunk(const ValueChunkView& chunk) noexcept;

  // Inside a stream block (proto_version 2): the xid the next Insert,
  // Update and Delete carry as stream_xid; 0 outside one (field omitted).
  void set_stream_xid(uint32_t xid) noexcept { stream_xid_ = xid; }

  // Writes the prepared record (size as returned) to dst.
  void Write(char* dst) const noexcept;

 private:
  enum class Kind : uint8_t { kBegin, kCommit, kInsert, kUpdate, kDelete, kValueChunk };

  size_t Finish(size_t body) noexcept;
  void SetOld(OldTupleKind old_kind, const TupleView* old_tuple) noexcept;

  Kind kind_ = Kind::kBegin;
  size_t body_size_ = 0;       // the Record's kind message
  size_t new_size_ = 0;        // new Tuple message
  size_t old_size_ = 0;        // old Tuple message
  BeginView begin_{};
  CommitView commit_{};
  size_t origin_size_ = 0;
  uint32_t relation_oid_ = 0;
  OldTupleKind old_kind_ = OldTupleKind::kNone;
  TupleView new_tuple_{};
  TupleView old_tuple_{};
  bool has_old_tuple_ = false;
  ValueChunkView chunk_{};
  uint32_t stream_xid_ = 0;
};

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_CHANGE_WIRE_H_
