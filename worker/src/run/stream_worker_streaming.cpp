// StreamWorker, streaming of in-progress transactions (proto_version 2):
// the negotiation at START_REPLICATION, the spooling of stream blocks and
// the apply of a streamed transaction at its StreamCommit. Why a spool: see
// run/stream_spool.h.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/conninfo.h"
#include "common/errors.h"
#include "common/memory_budget.h"
#include "run/stream_worker.h"
#include "wire/record_decoder.h"
#include "wire/record_envelope.h"

namespace pgduplex {

// Asks for proto_version 2 with streaming 'on' when sync.streaming is on,
// and for large values in chunks (value_chunk_size), unless the source's
// plugin refused either before in this process: an older plugin refuses an
// option it does not know, and the direction then runs without it.
void StreamWorker::StartStreaming(Lsn start) {
  spool_.reset();
  direct_xid_ = 0;
  values_.Reset();
  for (;;) {
    PluginOptions options = PluginOptionsFor(config_, direction_);
    if (!plugin_lacks_value_chunks_) {
      options = WithValueChunks(options, MemoryBudget::FromMb(config_.sync.apply_memory_mb).value_chunk());
    }
    const bool streaming = config_.sync.streaming && !plugin_lacks_streaming_;
    if (streaming) {
      OpenSpool();
      options = WithStreaming(options);
    }
    try {
      stream_->StartReplication(slot_, start, options);
      return;
    } catch (const ConnectionError&) {
      throw;
    } catch (const PgError& e) {
      if (streaming && IsStreamingRefusal(e.what())) {
        OnStreamingRefused(e.what());
      } else if (!plugin_lacks_value_chunks_ && IsValueChunksRefusal(e.what())) {
        OnValueChunksRefused(e.what());
      } else {
        throw;
      }
    }
  }
}

void StreamWorker::OpenSpool() {
  if (spool_) return;
  try {
    spool_ = std::make_unique<StreamSpool>(SpoolDirectoryFor(config_, direction_));
  } catch (const ConfigError& e) {
    // An unusable spool directory stays unusable: not retried.
    throw OperatorActionRequired(fmt::format("sync.spool_directory: {}", e.what()));
  }
}

// An old plugin (before pgduplex 1.3) speaks proto_version 1 only. With
// sync.streaming set in the file that is the operator's to fix; left to its
// default, the direction runs without streaming and says so once.
void StreamWorker::OnStreamingRefused(const std::string& error) {
  const char* source = TaskConfig::SourceLabel(direction_);
  spool_.reset();
  if (config_.sync.streaming_explicit) {
    throw OperatorActionRequired(fmt::format(
        "sync.streaming = true, but the pgduplex plugin on cluster {} is older than pgduplex 1.3 and does not "
        "speak proto_version 2 (streaming): install pgduplex 1.3 or later on cluster {} and run ALTER EXTENSION "
        "pgduplex UPDATE there, or set sync.streaming = false ({})",
        source, source, RedactSecrets(error)));
  }
  spdlog::warn(
      "the pgduplex plugin on cluster {} is older than pgduplex 1.3 and cannot stream transactions in progress: "
      "large transactions reach the target only after they were decoded whole (install pgduplex 1.3 or later on "
      "cluster {} and run ALTER EXTENSION pgduplex UPDATE there to stream them)",
      source, source);
  plugin_lacks_streaming_ = true;
}

// An old plugin (before pgduplex 1.4) sends every value whole: it works,
// with a large value held about three times in the worker. Said once.
void StreamWorker::OnValueChunksRefused(const std::string& error) {
  const char* source = TaskConfig::SourceLabel(direction_);
  spdlog::warn(
      "the pgduplex plugin on cluster {} is older than pgduplex 1.4 and cannot send large values in chunks: a "
      "value of V bytes takes about 3 V of this worker's memory instead of 2 V (install pgduplex 1.4 or later on "
      "cluster {} and run ALTER EXTENSION pgduplex UPDATE there; {})",
      source, source, RedactSecrets(error.substr(0, error.find('\n'))));
  plugin_lacks_value_chunks_ = true;
}

// Inside a stream block every record but StreamStop goes to the spool as
// it came, undecoded (wire/record_envelope.h). True when it was handled so.
bool StreamWorker::SpoolIfInBlock(const StreamItem& item) {
  if (!spool_ || !spool_->InBlock() || direct_xid_ != 0) return false;
  RecordEnvelope envelope = PeekEnvelope(item.payload, item.payload_size, item.data_start);
  switch (envelope.kind) {
    case v1::Record::kStreamStopFieldNumber: spool_->EndBlock(); return true;
    case v1::Record::kRelationFieldNumber:
    case v1::Record::kInsertFieldNumber:
    case v1::Record::kUpdateFieldNumber:
    case v1::Record::kDeleteFieldNumber:
    case v1::Record::kTruncateFieldNumber:
    case v1::Record::kDdlFieldNumber:
    case v1::Record::kMessageFieldNumber:
    case v1::Record::kValueChunkFieldNumber:
      spool_->Append(envelope.stream_xid, item.data_start, item.payload, item.payload_size);
      return true;
    default:
      throw DecodeError(fmt::format("record at LSN {} (kind {}) may not appear inside the stream block of "
                                    "transaction {}",
                                    LsnToString(item.data_start), envelope.kind, spool_->block_xid()));
  }
}

void StreamWorker::OnStreamRecord(const v1::Record& record) {
  if (!spool_) {
    throw DecodeError(fmt::format("a {} record arrived, but this session did not ask for streaming",
                                  RecordKindName(record)));
  }
  switch (record.kind_case()) {
    case v1::Record::kStreamStart: OnStreamStart(record.stream_start()); break;
    case v1::Record::kStreamStop: spool_->EndBlock(); break;  // throws: not in a block
    case v1::Record::kStreamAbort:
      if (direct_xid_ != 0) throw DecodeError("stream abort of a transaction that committed");
      spool_->Abort(record.stream_abort().xid(), record.stream_abort().subxid());
      break;
    case v1::Record::kStreamCommit: EndStreamed(record.stream_commit()); break;
    default: break;
  }
}

// A block written before the commit goes to the spool. The one written at
// the commit (commit_lsn set) opens the source transaction in the applier,
// replays the spooled blocks into it, and is then applied as it arrives.
void StreamWorker::OnStreamStart(const v1::StreamStart& start) {
  const uint32_t xid = start.xid();
  if (start.commit_lsn() == 0) {
    spool_->StartBlock(xid, start.first_segment());
    return;
  }
  // `start` lives on the applier's arena, which the replay may reset.
  BeginStreamed(xid, start.commit_lsn(), start.commit_time(), std::string(start.origin()));
  spool_->StartDirectBlock(xid);
  direct_xid_ = xid;
}

// The spooled transaction goes through the normal path, as Begin, its
// records in order, Commit: commit order, batching, conflicts and progress
// are those of any other transaction.
// Takes its arguments by value or as copies: the replay may reset the arena
// the record they came from lives on.
void StreamWorker::BeginStreamed(uint32_t xid, uint64_t commit_lsn, int64_t commit_time, const std::string& origin) {
  if (applier_->InSourceTransaction()) {
    throw DecodeError(fmt::format("streamed transaction {} commits inside another transaction", xid));
  }
  spdlog::debug("applying streamed transaction {} ({} bytes spooled)", xid, spool_->spooled_bytes(xid));
  auto* begin = google::protobuf::Arena::CreateMessage<v1::Begin>(applier_->arena());
  begin->set_xid(xid);
  begin->set_final_lsn(commit_lsn);
  begin->set_commit_time(commit_time);
  begin->set_origin(origin);
  applier_->OnBegin(*begin);
  if (!spool_->Holds(xid)) return;  // all of it is in the block at the commit
  spool_->Replay(xid, [this](Lsn lsn, const char* data, size_t size) {
    size_t assembled = 0;
    const v1::Record* record = values_.Read(data, size, lsn, applier_->arena(), &assembled);
    if (record != nullptr) DispatchRecord(*record, lsn, size + assembled);
  });
}

void StreamWorker::EndStreamed(const v1::StreamCommit& commit) {
  // Copied: `commit` lives on the applier's arena, which a replay may reset.
  const uint32_t xid = commit.xid();
  const uint64_t commit_lsn = commit.commit_lsn();
  const uint64_t end_lsn = commit.end_lsn();
  const int64_t commit_time = commit.commit_time();
  if (direct_xid_ != 0 && direct_xid_ != xid) {
    throw DecodeError(fmt::format("stream commit of transaction {} while {} is applied", xid, direct_xid_));
  }
  if (direct_xid_ == 0) BeginStreamed(xid, commit_lsn, commit_time, std::string(commit.origin()));
  direct_xid_ = 0;
  auto* end = google::protobuf::Arena::CreateMessage<v1::Commit>(applier_->arena());
  end->set_commit_lsn(commit_lsn);
  end->set_end_lsn(end_lsn);
  end->set_commit_time(commit_time);
  applier_->OnCommit(*end);
}

}  // namespace pgduplex
