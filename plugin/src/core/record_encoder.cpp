#include "core/record_encoder.h"

#include <cstring>
#include <exception>
#include <new>

#include "pgduplex.pb.h"

#include "core/change_wire.h"
#include "core/ddl_message.h"
#include "core/heartbeat_message.h"
#include "core/utf8.h"
#include "core/no_postgres.h"

namespace pgduplex {
namespace {

// Records above this size release their buffers after being written.
constexpr size_t kTrimThreshold = 1 << 20;

bool Utf8(const char* s) noexcept { return s == nullptr || IsValidUtf8(s, std::strlen(s)); }

}  // namespace

struct RecordEncoder::Impl {
  // Begin, Commit and row changes: written directly (see change_wire.h).
  ChangeWire wire;
  bool wire_pending = false;
  // The other, rare, records go through protobuf. Their messages are owned
  // here and attached to `record` only between an Encode* call and
  // WriteTo(), so that switching kinds never frees and reallocates them.
  v1::Record record;
  v1::Relation relation;
  v1::Truncate truncate;
  v1::Ddl ddl;
  v1::LogicalMessage message;
  v1::Heartbeat heartbeat;
  v1::StreamStart stream_start;
  v1::StreamStop stream_stop;
  v1::StreamCommit stream_commit;
  v1::StreamAbort stream_abort;
  uint32_t stream_xid = 0;  // SetStreamXid
  DdlMessage ddl_scratch;
  HeartbeatMessage heartbeat_scratch;
  bool attached = false;  // a member above is attached to `record`
  size_t size = 0;

  ~Impl() { Detach(); }

  // Undoes every attachment so that `record` never deletes one of the
  // members above, and forgets the pending record. Safe at any time.
  void Detach() noexcept {
    if (attached) {
      switch (record.kind_case()) {
        case v1::Record::kRelation: record.unsafe_arena_release_relation(); break;
        case v1::Record::kTruncate: record.unsafe_arena_release_truncate(); break;
        case v1::Record::kDdl: record.unsafe_arena_release_ddl(); break;
        case v1::Record::kMessage: record.unsafe_arena_release_message(); break;
        case v1::Record::kHeartbeat: record.unsafe_arena_release_heartbeat(); break;
        case v1::Record::kStreamStart: record.unsafe_arena_release_stream_start(); break;
        case v1::Record::kStreamStop: record.unsafe_arena_release_stream_stop(); break;
        case v1::Record::kStreamCommit: record.unsafe_arena_release_stream_commit(); break;
        case v1::Record::kStreamAbort: record.unsafe_arena_release_stream_abort(); break;
        default: break;  // nothing else is ever attached
      }
      attached = false;
    }
    wire_pending = false;
    size = 0;
  }

  // Gives back the memory a very large record left in reused buffers.
  void Trim() {
    Detach();
    relation = v1::Relation();
    ddl = v1::Ddl();
    message = v1::LogicalMessage();
    heartbeat = v1::Heartbeat();
    ddl_scratch = DdlMessage();
    heartbeat_scratch = HeartbeatMessage();
  }

  Status Check(size_t wanted) {
    if (wanted > kMaxRecordSize) {
      Detach();
      return Status::Error("record of %zu bytes exceeds the limit of %zu bytes", wanted,
                           kMaxRecordSize);
    }
    size = wanted;
    return Status::OK();
  }

  Status FinishWire(size_t wanted) {
    wire_pending = true;
    return Check(wanted);
  }

  // Called right after a member was attached to `record`.
  Status FinishMessage() {
    attached = true;
    return Check(record.ByteSizeLong());
  }
};

// Runs an encode step with every exception turned into a Status; on failure
// nothing stays attached.
template <typename Fn>
Status RecordEncoder::RunGuarded(Impl* impl, const char* what, Fn&& fn) noexcept {
  try {
    impl->Detach();
    Status s = fn();
    if (!s.ok()) impl->Detach();
    return s;
  } catch (const std::bad_alloc&) {
    impl->Detach();
    return Status::Error("out of memory encoding %s record", what);
  } catch (const std::exception& e) {
    impl->Detach();
    return Status::Error("cannot encode %s record: %s", what, e.what());
  } catch (...) {
    impl->Detach();
    return Status::Error("cannot encode %s record", what);
  }
}

RecordEncoder* RecordEncoder::Create() noexcept {
  try {
    Impl* impl = new Impl();
    RecordEncoder* encoder = new (std::nothrow) RecordEncoder(impl);
    if (encoder == nullptr) delete impl;
    return encoder;
  } catch (...) {
    return nullptr;
  }
}

void RecordEncoder::Destroy(RecordEncoder* encoder) noexcept { delete encoder; }

RecordEncoder::~RecordEncoder() { delete impl_; }

size_t RecordEncoder::size() const noexcept { return impl_->size; }

void RecordEncoder::WriteTo(char* dst) noexcept {
  Impl* impl = impl_;
  if (impl->size == 0) return;
  if (impl->wire_pending)
    impl->wire.Write(dst);
  else
    impl->record.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(dst));
  const bool large = impl->size > kTrimThreshold && !impl->wire_pending;
  impl->Detach();
  if (large) {
    try {
      impl->Trim();
    } catch (...) {
      // Trimming only gives memory back; failing to is harmless.
    }
  }
}

Status RecordEncoder::EncodeBegin(const BeginView& in) noexcept {
  return RunGuarded(impl_, "begin", [&] {
    if (!Utf8(in.origin)) return Status::Error("origin name is not valid UTF-8");
    return impl_->FinishWire(impl_->wire.PrepareBegin(in));
  });
}

Status RecordEncoder::EncodeCommit(const CommitView& in) noexcept {
  return RunGuarded(impl_, "commit",
                    [&] { return impl_->FinishWire(impl_->wire.PrepareCommit(in)); });
}

Status RecordEncoder::EncodeValueChunk(const ValueChunkView& in) noexcept {
  return RunGuarded(impl_, "value chunk", [&] {
    if (in.size == 0 || in.size > in.total_size)
      return Status::Error("chunk of %zu bytes of a value of %llu bytes", in.size,
                           static_cast<unsigned long long>(in.total_size));
    return impl_->FinishWire(impl_->wire.PrepareValueChunk(in));
  });
}

Status RecordEncoder::EncodeRelation(const RelationView& in) noexcept {
  return RunGuarded(impl_, "relation", [&] {
    if (in.schema == nullptr || in.name == nullptr)
      return Status::Error("relation %u has no name", in.oid);
    if (!Utf8(in.schema) || !Utf8(in.name) || !Utf8(in.root_schema) || !Utf8(in.root_name))
      return Status::Error("name of relation %u is not valid UTF-8", in.oid);
    v1::Relation& m = impl_->relation;
    m.set_oid(in.oid);
    m.set_schema(in.schema);
    m.set_name(in.name);
    m.set_replica_identity(static_cast<v1::ReplicaIdentity>(in.replica_identity));
    m.set_root_oid(in.root_oid);
    m.set_root_schema(in.root_oid != 0 && in.root_schema ? in.root_schema : "");
    m.set_root_name(in.root_oid != 0 && in.root_name ? in.root_name : "");
    if (!Utf8(in.partition_constraint))
      return Status::Error("partition constraint of relation %u is not valid UTF-8", in.oid);
    m.set_partition_constraint(in.root_oid != 0 && in.partition_constraint ? in.partition_constraint : "");
    m.set_stream_xid(impl_->stream_xid);
    auto* columns = m.mutable_columns();
    columns->Clear();
    for (uint32_t i = 0; i < in.column_count; ++i) {
      const ColumnView& c = in.columns[i];
      if (c.name == nullptr || c.type_name == nullptr)
        return Status::Error("column %u of relation %u has no name", i, in.oid);
      if (!Utf8(c.name) || !Utf8(c.type_name))
        return Status::Error("a column name of relation %u is not valid UTF-8", in.oid);
      v1::Column* col = columns->Add();
      col->set_name(c.name);
      col->set_type_oid(c.type_oid);
      col->set_type_name(c.type_name);
      col->set_typmod(c.typmod);
      col->set_key(c.key);
    }
    impl_->record.unsafe_arena_set_allocated_relation(&m);
    return impl_->FinishMessage();
  });
}

Status RecordEncoder::EncodeInsert(uint32_t relation_oid, const TupleView& new_tuple) noexcept {
  return RunGuarded(impl_, "insert", [&] {
    return impl_->FinishWire(impl_->wire.PrepareInsert(relation_oid, new_tuple));
  });
}

Status RecordEncoder::EncodeUpdate(uint32_t relation_oid, const TupleView& new_tuple,
                                   OldTupleKind old_kind,
                                   const TupleView* old_tuple) noexcept {
  return RunGuarded(impl_, "update", [&] {
    if (old_kind != OldTupleKind::kNone && old_tuple == nullptr)
      return Status::Error("update of relation %u: old tuple missing", relation_oid);
    return impl_->FinishWire(
        impl_->wire.PrepareUpdate(relation_oid, new_tuple, old_kind, old_tuple));
  });
}

Status RecordEncoder::EncodeDelete(uint32_t relation_oid, OldTupleKind old_kind,
                                   const TupleView* old_tuple) noexcept {
  return RunGuarded(impl_, "delete", [&] {
    if (old_kind != OldTupleKind::kNone && old_tuple == nullptr)
      return Status::Error("delete of relation %u: old tuple missing", relation_oid);
    return impl_->FinishWire(impl_->wire.PrepareDelete(relation_oid, old_kind, old_tuple));
  });
}

Status RecordEncoder::EncodeTruncate(const TruncateView& in) noexcept {
  return RunGuarded(impl_, "truncate", [&] {
    v1::Truncate& m = impl_->truncate;
    auto* oids = m.mutable_relation_oids();
    oids->Clear();
    oids->Reserve(static_cast<int>(in.count));
    for (uint32_t i = 0; i < in.count; ++i) oids->Add(in.relation_oids[i]);
    m.set_cascade(in.cascade);
    m.set_restart_identity(in.restart_identity);
    m.set_stream_xid(impl_->stream_xid);
    impl_->record.unsafe_arena_set_allocated_truncate(&m);
    return impl_->FinishMessage();
  });
}

Status RecordEncoder::EncodeDdl(const char* json, size_t size, bool has_dml) noexcept {
  return RunGuarded(impl_, "DDL", [&] {
    DdlMessage& d = impl_->ddl_scratch;
    Status s = ParseDdlMessage(json, size, &d);
    if (!s.ok()) return s;
    v1::Ddl& m = impl_->ddl;
    m.set_statement(d.statement);
    m.set_search_path(d.search_path);
    m.set_role(d.role);
    m.set_command_tag(d.command_tag);
    m.set_object_type(d.object_type);
    m.set_object_identity(d.object_identity);
    m.set_schema(d.schema);
    m.set_in_function(d.in_function);
    m.set_has_dml(has_dml);
    m.set_standard_conforming_strings(d.standard_conforming_strings);
    m.set_stream_xid(impl_->stream_xid);
    impl_->record.unsafe_arena_set_allocated_ddl(&m);
    return impl_->FinishMessage();
  });
}

Status RecordEncoder::EncodeHeartbeat(const char* content, size_t size, uint64_t lsn) noexcept {
  return RunGuarded(impl_, "heartbeat", [&] {
    HeartbeatMessage& h = impl_->heartbeat_scratch;
    Status s = ParseHeartbeatMessage(content, size, &h);
    if (!s.ok()) return s;
    v1::Heartbeat& m = impl_->heartbeat;
    m.set_source_time(h.source_time);
    m.set_task(h.task);
    m.set_lsn(lsn);
    impl_->record.unsafe_arena_set_allocated_heartbeat(&m);
    return impl_->FinishMessage();
  });
}

Status RecordEncoder::EncodeMessage(const MessageView& in) noexcept {
  return RunGuarded(impl_, "message", [&] {
    if (in.prefix == nullptr || !Utf8(in.prefix))
      return Status::Error("message prefix is not valid UTF-8");
    v1::LogicalMessage& m = impl_->message;
    m.set_prefix(in.prefix);
    m.mutable_content()->assign(in.content, in.content_size);
    m.set_transactional(in.transactional);
    m.set_lsn(in.lsn);
    m.set_stream_xid(impl_->stream_xid);
    impl_->record.unsafe_arena_set_allocated_message(&m);
    return impl_->FinishMessage();
  });
}

void RecordEncoder::SetStreamXid(uint32_t xid) noexcept {
  impl_->stream_xid = xid;
  impl_->wire.set_stream_xid(xid);
}

Status RecordEncoder::EncodeStreamStart(uint32_t xid, bool first_segment,
                                        const StreamCommitView* committed) noexcept {
  return RunGuarded(impl_, "stream start", [&] {
    if (committed != nullptr && !Utf8(committed->origin)) return Status::Error("origin name is not valid UTF-8");
    v1::StreamStart& m = impl_->stream_start;
    m.set_xid(xid);
    m.set_first_segment(first_segment);
    m.set_commit_lsn(committed != nullptr ? committed->commit_lsn : 0);
    m.set_commit_time(committed != nullptr ? committed->commit_time : 0);
    m.set_origin(committed != nullptr && committed->origin != nullptr ? committed->origin : "");
    impl_->record.unsafe_arena_set_allocated_stream_start(&m);
    return impl_->FinishMessage();
  });
}

Status RecordEncoder::EncodeStreamStop() noexcept {
  return RunGuarded(impl_, "stream stop", [&] {
    impl_->record.unsafe_arena_set_allocated_stream_stop(&impl_->stream_stop);
    return impl_->FinishMessage();
  });
}

Status RecordEncoder::EncodeStreamCommit(const StreamCommitView& in) noexcept {
  return RunGuarded(impl_, "stream commit", [&] {
    if (!Utf8(in.origin)) return Status::Error("origin name is not valid UTF-8");
    v1::StreamCommit& m = impl_->stream_commit;
    m.set_xid(in.xid);
    m.set_commit_lsn(in.commit_lsn);
    m.set_end_lsn(in.end_lsn);
    m.set_commit_time(in.commit_time);
    m.set_origin(in.origin != nullptr ? in.origin : "");
    impl_->record.unsafe_arena_set_allocated_stream_commit(&m);
    return impl_->FinishMessage();
  });
}

Status RecordEncoder::EncodeStreamAbort(uint32_t xid, uint32_t subxid) noexcept {
  return RunGuarded(impl_, "stream abort", [&] {
    v1::StreamAbort& m = impl_->stream_abort;
    m.set_xid(xid);
    m.set_subxid(subxid);
    impl_->record.unsafe_arena_set_allocated_stream_abort(&m);
    return impl_->FinishMessage();
  });
}

}  // namespace pgduplex
