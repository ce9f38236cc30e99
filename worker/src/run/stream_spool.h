// StreamSpool: the streamed transactions of one session (proto_version 2),
// each written to its own file until its StreamCommit or StreamAbort.
//
// Why a spool rather than applying while the transaction streams (a second
// target session committing at StreamCommit): commit order and conflicts
// stay exactly what the normal apply path does, because a streamed
// transaction is applied by that path, at its commit, in commit order, like
// any other; a second session would hold row locks for the whole life of
// the source transaction, could deadlock with the first over rows that
// interleaved small transactions touch, and its conflicts could not be
// judged against rows not yet committed. PostgreSQL's own subscriber
// (streaming = on, before PostgreSQL 16's parallel apply) spools the same
// way. What streaming gains is kept: the transaction crosses the network
// while it runs on the source, nothing spills on the source, and the worker
// reads it back from a local file at commit.
//
// Files: <directory>/<xid>.spool, one record after another as
// [u32 size][u64 lsn][size bytes of the record, as received]. Writes go
// through a 1 MB stdio buffer; reading back holds one record at a time, so
// memory is bounded by the largest record, not by the transaction. The
// directory is private (EnsurePrivateDirectory) and emptied when a session
// starts: the source streams every unfinished transaction again from its
// start (exactly-once comes from the replication origin, as for all else).
// A file is removed at its transaction's commit (after it was applied) or
// abort, and all of them when the spool is destroyed.
//
// Subtransactions: the first record of each subtransaction (stream_xid not
// the top-level xid) is remembered with its offset; StreamAbort of that
// subtransaction truncates the file there, dropping its changes and every
// later one (which belong to it or to its children), as PostgreSQL's
// subscriber does.
//
// The block written once the transaction committed (StreamStart with a
// commit_lsn) is not spooled: the caller replays the earlier blocks and
// applies that one as it arrives, so that the part sent at commit is
// applied while it is received, as without streaming.
//
// Contract: protocol violations (a block inside a block, a commit of a
// transaction never started) throw DecodeError; I/O failures throw
// SpoolError naming the file. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/lsn.h"

namespace pgduplex {

class SpoolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StreamSpool {
 public:
  // Called once per spooled record, in order: its WAL position and bytes.
  using RecordFn = std::function<void(Lsn lsn, const char* data, size_t size)>;

  // Ensures `directory` is private and removes every spool file in it.
  explicit StreamSpool(std::string directory);
  ~StreamSpool();
  StreamSpool(const StreamSpool&) = delete;
  StreamSpool& operator=(const StreamSpool&) = delete;

  void StartBlock(uint32_t xid, bool first_segment);
  // A block the caller applies as it arrives (the one written at the
  // transaction's commit): nothing of it is spooled.
  void StartDirectBlock(uint32_t xid);
  bool Holds(uint32_t xid) const { return files_.count(xid) != 0; }
  void EndBlock();
  bool InBlock() const { return block_xid_ != 0; }
  uint32_t block_xid() const { return block_xid_; }
  // A record of the open block; stream_xid is the (sub)transaction's.
  void Append(uint32_t stream_xid, Lsn lsn, const char* data, size_t size);
  // StreamAbort: all of xid (subxid == xid), or subxid and what followed it.
  // An xid this spool does not hold is ignored (nothing of it was sent).
  void Abort(uint32_t xid, uint32_t subxid);
  // StreamCommit: hands every record of xid to fn, then removes its file.
  void Replay(uint32_t xid, const RecordFn& fn);

  // Streamed transactions not yet committed or aborted.
  size_t open_transactions() const { return files_.size(); }
  uint64_t spooled_bytes(uint32_t xid) const;
  std::string PathOf(uint32_t xid) const;
  const std::string& directory() const { return directory_; }

 private:
  struct Subxact {
    uint32_t xid;
    uint64_t offset;
  };
  struct File {
    std::FILE* stream = nullptr;
    uint64_t size = 0;
    std::vector<Subxact> subxacts;
  };

  File& Open(uint32_t xid);
  void Remove(uint32_t xid);
  void Write(File& file, uint32_t xid, const void* data, size_t size);
  void RemoveAllFiles();

  std::string directory_;
  std::map<uint32_t, File> files_;
  uint32_t block_xid_ = 0;
};

}  // namespace pgduplex
