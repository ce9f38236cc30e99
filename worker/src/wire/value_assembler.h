// ValueAssembler: puts large values back together from the ValueChunk
// records the plugin writes before their change (plugin option
// value_chunk_size; proto/pgduplex.proto, plugin/src/core/value_chunks.h).
//
// Why. A record carrying a 300 MB value arrived as one 300 MB CopyData
// message: libpq's receive buffer grew to it (and stays so), the record
// decoded from it was a second copy, libpq's send buffer building the
// statement a third. In chunks, the receive buffer stays at the chunk size
// and the value is assembled once, in the one std::string that becomes the
// change's value (reserved at its announced total size, so it never grows
// by doubling). The statement's parameters point into that string
// (apply/change_params.h): the value is held once, plus libpq's send buffer.
//
// Contract. Read() takes every payload in stream order. A ValueChunk is
// absorbed (nullptr returned); any other record is decoded on the arena
// (wire/record_decoder.h) and every `chunked` value of its tuples replaced
// by the assembled bytes, moved (not copied) into the record. Chunks out of
// order, of a value larger than announced or than the limit, missing,
// duplicated, left over, or followed by a record that is not their change
// throw DecodeError naming the LSN, the relation and the column, never
// guess. Reset() forgets a partly received value (a new session).
#pragma once

#include <google/protobuf/arena.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/lsn.h"
#include "pgduplex.pb.h"

namespace pgduplex {

class ValueAssembler {
 public:
  // A value may not exceed what PostgreSQL can store (1 GB).
  static constexpr uint64_t kMaxValueSize = 1ull << 30;

  explicit ValueAssembler(uint64_t max_value_size = kMaxValueSize) : max_value_size_(max_value_size) {}

  // One payload; nullptr when it was a ValueChunk. *assembled_bytes (when
  // given) = bytes of assembled values the returned record now holds.
  v1::Record* Read(const char* data, size_t size, Lsn lsn, google::protobuf::Arena* arena,
                   size_t* assembled_bytes = nullptr);

  // The parts, for tests and for callers that decoded already.
  void AddChunk(const v1::ValueChunk& chunk, Lsn lsn);
  // Fills `record`'s chunked values; checks that nothing is left over.
  size_t Fill(v1::Record* record, Lsn lsn);

  bool empty() const { return values_.empty(); }
  void Reset() { values_.clear(); }

 private:
  struct Value {
    bool old_tuple = false;
    uint32_t column = 0;
    uint64_t total_size = 0;
    std::string bytes;
    bool complete() const { return bytes.size() == total_size; }
  };

  void Remember(const v1::Relation& relation);
  size_t FillTuple(v1::Tuple* tuple, bool old_tuple, uint32_t relation_oid, Lsn lsn);
  Value* Find(bool old_tuple, uint32_t column);
  // "column body (3) of public.big" or "column 3 of relation 16384".
  std::string ColumnName(uint32_t relation_oid, uint32_t column) const;

  const uint64_t max_value_size_;
  std::vector<Value> values_;  // in arrival order; only the last may be incomplete
  v1::Record chunk_;           // reused: its data buffer keeps the chunk size
  struct RelationNames {
    std::string name;
    std::vector<std::string> columns;
  };
  std::unordered_map<uint32_t, RelationNames> relations_;  // from Relation records, for messages
};

}  // namespace pgduplex
