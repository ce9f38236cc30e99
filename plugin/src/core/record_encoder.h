// RecordEncoder: turns decoded changes into pgduplex.v1.Record wire bytes.
//
// Contract. One encoder per decoding session. Each Encode* call replaces the
// current record and computes its wire size; the caller then provides a
// buffer of size() bytes and calls WriteTo(), which serializes straight into
// it (the PostgreSQL layer hands over the tail of ctx->out, so the bytes are
// written once, with no intermediate copy). What the views point to (column
// values, names) must stay valid until WriteTo(). Every method is noexcept
// and reports failures as a Status; nothing here includes a PostgreSQL
// header.
//
// Speed. Begin, Commit, Insert, Update and Delete — nearly every record of
// a busy stream — are written directly in the wire format (change_wire.h):
// values are copied once, from the views into the output. The rare records
// (Relation, Truncate, Ddl, LogicalMessage, Heartbeat) fill ONE reused
// pgduplex.v1::Record whose per-kind messages the encoder owns and attaches
// only for the duration of an encode/write, so switching kinds never frees
// and reallocates them. After a very large record the buffers are released
// again, so one huge message does not pin memory for the session.
#ifndef PGDUPLEX_CORE_RECORD_ENCODER_H_
#define PGDUPLEX_CORE_RECORD_ENCODER_H_

#include <cstddef>
#include <cstdint>

#include "core/change_view.h"
#include "core/status.h"

namespace pgduplex {

class RecordEncoder {
 public:
  // A record may not exceed what a PostgreSQL buffer can hold (1 GB, less
  // the walsender's message header).
  static constexpr size_t kMaxRecordSize = 0x3fffffff - 64;

  // nullptr when out of memory.
  static RecordEncoder* Create() noexcept;
  static void Destroy(RecordEncoder* encoder) noexcept;

  RecordEncoder(const RecordEncoder&) = delete;
  RecordEncoder& operator=(const RecordEncoder&) = delete;

  Status EncodeBegin(const BeginView& begin) noexcept;
  Status EncodeCommit(const CommitView& commit) noexcept;
  Status EncodeRelation(const RelationView& relation) noexcept;
  Status EncodeInsert(uint32_t relation_oid, const TupleView& new_tuple) noexcept;
  // old_tuple is ignored (may be nullptr) when old_kind is kNone.
  Status EncodeUpdate(uint32_t relation_oid, const TupleView& new_tuple,
                      OldTupleKind old_kind, const TupleView* old_tuple) noexcept;
  Status EncodeDelete(uint32_t relation_oid, OldTupleKind old_kind,
                      const TupleView* old_tuple) noexcept;
  Status EncodeTruncate(const TruncateView& truncate) noexcept;
  // `json` is the UTF-8 content of a pgduplex.ddl_log row. An error
  // status when it is not what the event trigger writes (see ddl_message.h).
  Status EncodeDdl(const char* json, size_t size, bool has_dml) noexcept;
  // `content` is the payload of a 'pgduplex.heartbeat' message; an error
  // status when malformed (see heartbeat_message.h).
  Status EncodeHeartbeat(const char* content, size_t size, uint64_t lsn) noexcept;
  Status EncodeMessage(const MessageView& message) noexcept;
  // Part of a large value (plugin option value_chunk_size; see
  // core/value_chunks.h), written before its change.
  Status EncodeValueChunk(const ValueChunkView& chunk) noexcept;

  // Streaming of in-progress transactions (proto_version 2; see
  // proto/pgduplex.proto). Inside a stream block, SetStreamXid(xid) makes
  // every Relation, Insert, Update, Delete, Truncate, Ddl and message
  // record encoded next carry stream_xid = xid; SetStreamXid(0) ends that.
  void SetStreamXid(uint32_t xid) noexcept;
  // `committed` (or nullptr): the transaction committed, this is its last
  // block (commit_lsn, commit_time and origin go into the StreamStart).
  Status EncodeStreamStart(uint32_t xid, bool first_segment, const StreamCommitView* committed) noexcept;
  Status EncodeStreamStop() noexcept;
  Status EncodeStreamCommit(const StreamCommitView& commit) noexcept;
  Status EncodeStreamAbort(uint32_t xid, uint32_t subxid) noexcept;

  // Wire size of the record encoded last (0 after a failed Encode*).
  size_t size() const noexcept;
  // Serializes the record encoded last into dst (room for size() bytes).
  void WriteTo(char* dst) noexcept;

 private:
  struct Impl;
  template <typename Fn>
  static Status RunGuarded(Impl* impl, const char* what, Fn&& fn) noexcept;
  explicit RecordEncoder(Impl* impl) noexcept : impl_(impl) {}
  ~RecordEncoder();

  Impl* impl_;
};

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_RECORD_ENCODER_H_
