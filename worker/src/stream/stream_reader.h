// StreamReader: reads a started ReplicationStream on a thread of its own,
// so the walsender keeps streaming while the apply loop waits for the
// target (a commit, a conflict replay, a slow statement).
//
// It queues XLogData payloads and keepalives, in stream order, up to
// max_bytes (then it stops reading; the walsender waits): each payload
// stays in the buffer libpq returned it in, handed over without a copy. It answers
// keepalives that request a reply at once, and sends a standby status
// update at least every second, always with the positions the apply loop
// last published: the reader never decides what is durable.
//
// Receive timeout: when the walsender sent nothing (no data, no keepalive)
// for half of receive_timeout while the reader was reading, the next status
// update asks for a reply (as PostgreSQL's walreceiver does with
// wal_receiver_timeout); when it stays silent for all of receive_timeout,
// the stream fails with ConnectionError (a half-open connection: the
// peer's host gone, a firewall dropping packets), which the run loop
// retries like any lost connection. Time spent not reading because the
// queue is full does not count.
//
// Contract: one producer (the thread), one consumer (the apply loop).
// Take() hands over everything queued; when the stream failed it first
// hands over what was queued before the failure, then rethrows the
// failure. Stop() sends a final status update, ends the COPY and joins.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/lsn.h"
#include "stream/replication_stream.h"

namespace pgduplex {

struct StreamItem {
  bool keepalive = false;
  Lsn data_start = kInvalidLsn;  // XLogData: WAL position of the record
  Lsn wal_end = kInvalidLsn;
  // XLogData: the message as libpq returned it and the encoded record in
  // it, not copied (a large record is held once, until it is decoded).
  ReplicationStream::Buffer message;
  const char* payload = nullptr;
  size_t payload_size = 0;

  // Frees the message (the apply loop decoded it).
  void Release() {
    message.reset();
    payload = nullptr;
    payload_size = 0;
  }
};

class StreamReader {
 public:
  StreamReader(std::unique_ptr<ReplicationStream> stream, size_t max_bytes,
               std::chrono::milliseconds receive_timeout);
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  void Start();
  // Moves every queued item into *items (cleared first), waiting up to
  // timeout_ms for one. False when nothing came.
  bool Take(std::vector<StreamItem>* items, int timeout_ms);
  // Frees consumed items.
  void Recycle(std::vector<StreamItem>* items);
  // The positions to report: flush must be durable on the target.
  void Publish(Lsn flush, Lsn apply);
  // Final status update, end of COPY, thread joined. Never throws.
  void Stop();

  Lsn received() const { return received_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void SendStatus(bool reply_requested);

  std::unique_ptr<ReplicationStream> stream_;
  const size_t max_bytes_;
  const std::chrono::milliseconds receive_timeout_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  std::mutex mutex_;
  std::condition_variable ready_;     // items queued (consumer waits)
  std::condition_variable space_;     // room in the queue (producer waits)
  std::vector<StreamItem> queue_;
  size_t queued_bytes_ = 0;
  bool consumer_waiting_ = false;
  std::exception_ptr failure_;

  std::atomic<Lsn> received_{kInvalidLsn};
  std::atomic<Lsn> flush_{kInvalidLsn};
  std::atomic<Lsn> apply_{kInvalidLsn};
  Lsn reported_flush_ = kInvalidLsn;
};

}  // namespace pgduplex
