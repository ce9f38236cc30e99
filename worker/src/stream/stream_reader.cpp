#include "stream/stream_reader.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace pgduplex {

namespace {
constexpr auto kStatusInterval = std::chrono::seconds(1);
constexpr auto kQuietStatusInterval = std::chrono::seconds(10);
constexpr int kPollMs = 100;
}  // namespace

StreamReader::StreamReader(std::unique_ptr<ReplicationStream> stream, size_t max_bytes,
                           std::chrono::milliseconds receive_timeout)
    : stream_(std::move(stream)), max_bytes_(max_bytes), receive_timeout_(receive_timeout) {}

StreamReader::~StreamReader() { Stop(); }

void StreamReader::Start() { thread_ = std::thread([this] { Run(); }); }

void StreamReader::Publish(Lsn flush, Lsn apply) {
  flush_.store(flush, std::memory_order_relaxed);
  apply_.store(apply, std::memory_order_relaxed);
}

void StreamReader::SendStatus(bool reply_requested) {
  StandbyStatus status;
  Lsn flush = flush_.load(std::memory_order_relaxed);
  status.flush = flush;
  status.write = std::max(received_.load(std::memory_order_relaxed), flush);
  status.apply = std::min(std::max(apply_.load(std::memory_order_relaxed), flush), status.write);
  status.send_time = PgNow();
  status.reply_requested = reply_requested;
  stream_->SendStatus(status);
  reported_flush_ = flush;
}

void StreamReader::Run() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_status{};
  Clock::time_point heard = Clock::now();  // the server's last sign of life, or our last pause
  Clock::time_point pinged{};              // when we last asked for a reply
  try {
    ServerMessage message;
    while (!stop_.load(std::memory_order_relaxed)) {
      auto now = Clock::now();
      heard = std::max(heard, stream_->last_activity());
      if (now - heard >= receive_timeout_) {
        throw ConnectionError(fmt::format(
            "cluster {}: nothing received on the replication connection for {} s (retry.receive_timeout_sec): "
            "connection taken as lost",
            stream_->label(), std::chrono::duration_cast<std::chrono::seconds>(now - heard).count()));
      }
      bool ping = now - heard >= receive_timeout_ / 2 && pinged < heard;
      Lsn flush = flush_.load(std::memory_order_relaxed);
      if ((flush != reported_flush_ && now - last_status >= kStatusInterval) ||
          now - last_status >= kQuietStatusInterval || ping) {
        SendStatus(ping);
        last_status = now;
        if (ping) pinged = now;
      }
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (queued_bytes_ >= max_bytes_) {
          space_.wait_for(lock, std::chrono::milliseconds(kPollMs));
          heard = Clock::now();  // not reading: the server's silence is ours
          continue;
        }
      }
      if (stream_->Receive(kPollMs, &message) != ReplicationStream::ReceiveStatus::kMessage) continue;
      received_.store(std::max(received_.load(std::memory_order_relaxed), message.wal_end),
                      std::memory_order_relaxed);
      if (message.kind == ServerMessage::kKeepalive && message.reply_requested) {
        SendStatus(false);
        last_status = Clock::now();
      }
      StreamItem item;
      item.keepalive = message.kind == ServerMessage::kKeepalive;
      item.data_start = message.data_start;
      item.wal_end = message.wal_end;
      if (!item.keepalive) {
        item.payload = message.payload;
        item.payload_size = message.payload_size;
        item.message = stream_->TakeBuffer();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      queued_bytes_ += message.payload_size + 64;
      queue_.push_back(std::move(item));
      if (consumer_waiting_) ready_.notify_one();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::current_exception();
    ready_.notify_one();
  }
}

bool StreamReader::Take(std::vector<StreamItem>* items, int timeout_ms) {
  items->clear();
  std::unique_lock<std::mutex> lock(mutex_);
  if (queue_.empty() && !failure_ && timeout_ms > 0) {
    consumer_waiting_ = true;
    ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return !queue_.empty() || failure_; });
    consumer_waiting_ = false;
  }
  if (queue_.empty()) {
    if (failure_) std::rethrow_exception(failure_);
    return false;
  }
  items->swap(queue_);
  queued_bytes_ = 0;
  space_.notify_one();
  return true;
}

void StreamReader::Recycle(std::vector<StreamItem>* items) { items->clear(); }

void StreamReader::Stop() {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  if (!stream_) return;
  try {
    if (!failure_ && stream_->streaming()) SendStatus(false);
  } catch (const std::exception& e) {
    spdlog::debug("final standby status update: {}", e.what());
  }
  stream_->Finish();
}

}  // namespace pgduplex
