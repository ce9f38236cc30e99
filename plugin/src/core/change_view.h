// Plain views of what the PostgreSQL layer decoded, handed to the
// RecordEncoder.
//
// The PostgreSQL layer turns tuples and catalog data into these structs
// (pointers into memory it owns, usually its per-change memory context); the
// encoder copies what it needs and keeps no pointer after the call returns.
// They are aggregates of scalars and pointers: no constructors, no
// destructors, nothing that could throw or be skipped by a longjmp.
#ifndef PGDUPLEX_CORE_CHANGE_VIEW_H_
#define PGDUPLEX_CORE_CHANGE_VIEW_H_

#include <cstddef>
#include <cstdint>

namespace pgduplex {

// One column value. kText points at `size` bytes of the type's text output
// (not NUL-terminated as far as the encoder cares); the other kinds carry
// no bytes. kChunked: the bytes went out in ValueChunk records just before
// (core/value_chunks.h); `size` keeps the value's length.
enum class ValueKind : uint8_t { kText = 0, kNull = 1, kUnchangedToast = 2, kChunked = 3 };

struct ValueView {
  const char* data;
  uint32_t size;
  ValueKind kind;
};

// The values of one tuple, one per column of the Relation record.
struct TupleView {
  const ValueView* values;
  uint32_t count;
};

// Numbers equal to the wire enums pgduplex.v1.ReplicaIdentity / OldTuple.
enum class ReplicaIdentityKind : uint8_t {
  kDefault = 0,
  kNothing = 1,
  kFull = 2,
  kIndex = 3,
};
enum class OldTupleKind : uint8_t { kNone = 0, kKey = 1, kFull = 2 };

// Strings below are NUL-terminated UTF-8 (the wire format's `string`
// fields must be valid UTF-8; the encoder checks).
struct ColumnView {
  const char* name;
  const char* type_name;
  uint32_t type_oid;
  int32_t typmod;
  bool key;
};

struct RelationView {
  uint32_t oid;
  const char* schema;
  const char* name;
  const ColumnView* columns;
  uint32_t column_count;
  ReplicaIdentityKind replica_identity;
  uint32_t root_oid;        // 0 unless the relation is a partition
  const char* root_schema;  // nullptr unless root_oid != 0
  const char* root_name;
  const char* partition_constraint;  // nullptr unless root_oid != 0
};

struct BeginView {
  uint32_t xid;
  uint64_t final_lsn;
  int64_t commit_time;
  const char* origin;  // nullptr or "" when the transaction has none
};

struct CommitView {
  uint64_t commit_lsn;
  uint64_t end_lsn;
  int64_t commit_time;
};

// The commit of a streamed transaction (proto_version 2); also what a
// StreamStart of the block written at the commit carries (end_lsn unused).
struct StreamCommitView {
  uint32_t xid;
  uint64_t commit_lsn;
  uint64_t end_lsn;
  int64_t commit_time;
  const char* origin;  // nullptr or "" when the transaction has none
};

struct TruncateView {
  const uint32_t* relation_oids;
  uint32_t count;
  bool cascade;
  bool restart_identity;
};

// One ValueChunk record: `size` bytes of column `column`'s value (of the old
// tuple when old_tuple), whose whole length is total_size.
struct ValueChunkView {
  bool old_tuple;
  uint32_t column;
  uint64_t total_size;
  const char* data;
  size_t size;
};

struct MessageView {
  const char* prefix;  // NUL-terminated UTF-8
  const char* content;
  size_t content_size;
  bool transactional;
  uint64_t lsn;
};

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_CHANGE_VIEW_H_
