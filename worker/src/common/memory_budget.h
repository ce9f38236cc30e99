// MemoryBudget: how sync.apply_memory_mb is shared between the places where
// one direction's worker holds the records of the stream, so that a source
// transaction of any size is applied in bounded memory.
//
//   stream_queue   received payloads not yet decoded: the reader's queue
//                  stops reading at this many bytes (the walsender waits);
//                  as much again may be in the apply loop's hands, being
//                  decoded (each payload is freed once decoded);
//   held_records   decoded records of the open segment (kept for a replay
//                  until verified): at this many bytes the applier verifies
//                  what it sent, starts a new segment (SAVEPOINT) and drops
//                  them; a batch of several source transactions commits at
//                  its first source COMMIT past it;
//   statement      the values of one multi-row statement (libpq copies them
//                  into its send buffer): a table's run is sent at this many;
//   value_chunk    the plugin's value_chunk_size: a value longer than this
//                  crosses the connection in pieces of at most this size
//                  (1/32 of the total, at most 16 MiB; wire/value_assembler.h).
//
// 1/4 + 1/2 + 1/16 of the total; the rest is headroom for what is counted
// by encoded size only (protobuf's per-value overhead, libpq's buffers).
// What it does not bound: one record larger than a share is still held
// whole, and libpq keeps its send buffer at the size of the largest
// statement it sent (a single value of V bytes peaks at about 2 V: the
// decoded record and libpq's send buffer; 3 V with a plugin older than
// value chunks, whose one large message libpq's receive buffer keeps too).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgduplex {

struct MemoryBudget {
  static constexpr int kDefaultMb = 256;
  static constexpr int kMinMb = 16;
  static constexpr int kMaxMb = 1 << 20;  // 1 TB

  uint64_t total = static_cast<uint64_t>(kDefaultMb) << 20;

  static MemoryBudget FromMb(int mb) { return MemoryBudget{static_cast<uint64_t>(mb) << 20}; }

  size_t stream_queue() const { return static_cast<size_t>(total / 8); }
  size_t held_records() const { return static_cast<size_t>(total / 2); }
  size_t statement() const { return static_cast<size_t>(total / 16); }
  size_t value_chunk() const {
    constexpr uint64_t kMaxChunk = 16u << 20;
    return static_cast<size_t>(total / 32 < kMaxChunk ? total / 32 : kMaxChunk);
  }
};

}  // namespace pgduplex
