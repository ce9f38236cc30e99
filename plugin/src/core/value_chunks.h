// ValueChunks: how a column value longer than the chunk size is cut into
// ValueChunk records (plugin option value_chunk_size; proto/pgduplex.proto).
//
// Why. One CopyData message per record means a record carrying a 300 MB
// value makes the client's libpq grow its receive buffer to 300 MB (and keep
// it), copy the message out once more, and the client decode it into a
// third buffer. Sent in chunks, the value crosses the connection in pieces
// of at most chunk_size bytes and the client assembles it once.
//
// Contract. chunk_size 0 means never: values travel whole. A value travels
// in chunks when it is text and longer than chunk_size (a value of exactly
// chunk_size bytes travels whole). Its chunks are ChunkCount() pieces, in
// order, each chunk_size bytes but the last (never empty). Plain C++: the
// PostgreSQL layer writes each chunk as its own record, then the change
// with the value marked kChunked (MarkChunked).
#ifndef PGDUPLEX_CORE_VALUE_CHUNKS_H_
#define PGDUPLEX_CORE_VALUE_CHUNKS_H_

#include <cstddef>
#include <cstdint>

#include "core/change_view.h"

namespace pgduplex {

// The smallest and largest chunk_size a client may ask for.
constexpr size_t kMinValueChunkSize = 1024;
constexpr size_t kMaxValueChunkSize = 256u << 20;

inline bool TravelsInChunks(const ValueView& value, size_t chunk_size) noexcept {
  return chunk_size > 0 && value.kind == ValueKind::kText && value.size > chunk_size;
}

// Number of chunks of a value that TravelsInChunks.
inline size_t ChunkCount(const ValueView& value, size_t chunk_size) noexcept {
  return (static_cast<size_t>(value.size) + chunk_size - 1) / chunk_size;
}

// The index-th chunk (index < ChunkCount) of column `column`'s value.
inline ValueChunkView ChunkAt(const ValueView& value, uint32_t column, bool old_tuple, size_t chunk_size,
                              size_t index) noexcept {
  const size_t offset = index * chunk_size;
  const size_t left = value.size - offset;
  return ValueChunkView{old_tuple, column, value.size, value.data + offset, left < chunk_size ? left : chunk_size};
}

// After its chunks were written: the change carries the `chunked` marker.
inline void MarkChunked(ValueView* value) noexcept { value->kind = ValueKind::kChunked; }

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_VALUE_CHUNKS_H_
