#include "wire/message_screen.h"

#include <fmt/format.h>

#include "core/heartbeat_message.h"
#include "core/message_prefixes.h"
#include "common/lsn.h"

namespace pgduplex {

namespace {

// Prefixes and task names are the source's: keep them short and printable
// in a log line.
std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 64)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return text.size() > 64 ? out + "..." : out;
}
}  // namespace

MessageScreen::MessageScreen(std::string task, std::atomic<uint64_t>* forged_total,
                             std::chrono::seconds warn_interval)
    : task_(std::move(task)), forged_total_(forged_total), warn_interval_(warn_interval) {}

MessageScreen::Outcome MessageScreen::OnHeartbeat(const v1::Heartbeat& heartbeat, PgTimestamp now,
                                                  Clock::time_point at) {
  return Heartbeat(heartbeat.task(), heartbeat.source_time(), heartbeat.lsn(), now, at);
}

MessageScreen::Outcome MessageScreen::OnMessage(const v1::LogicalMessage& message, PgTimestamp now,
                                                Clock::time_point at) {
  const std::string& prefix = message.prefix();
  if (prefix.rfind(kMessagePrefixNamespace, 0) != 0) return {};
  std::string where = fmt::format("at LSN {}", LsnToString(message.lsn()));
  if (prefix == kHeartbeatMessagePrefix) {
    // The plugin passes a heartbeat on as a plain message when it could not
    // parse it; parse it here with the same code to say why.
    HeartbeatMessage parsed;
    Status status = ParseHeartbeatMessage(message.content().data(), message.content().size(), &parsed);
    if (!status.ok()) return Forged(fmt::format("{} message {}: {}", prefix, where, status.message()), at);
    return Heartbeat(parsed.task, parsed.source_time, message.lsn(), now, at);
  }
  if (prefix == kDdlMessagePrefix) {
    return Forged(fmt::format("{} message {}: DDL arrives through pgduplex.ddl_log since extension 1.1, never "
                              "as a message; not applied",
                              prefix, where),
                  at);
  }
  return Forged(fmt::format("{} message {}: no such pgduplex message", Printable(prefix), where), at);
}

MessageScreen::Outcome MessageScreen::Heartbeat(const std::string& task, PgTimestamp source_time, uint64_t lsn,
                                                PgTimestamp now, Clock::time_point at) {
  if (!task.empty() && task != task_) return {};  // another task's
  if (source_time < 0 || source_time > now + kMaxClockAheadMicros) {
    return Forged(fmt::format("{} message at LSN {}: clock {} is out of range (2000-01-01 to a day after the "
                              "worker's clock)",
                              kHeartbeatMessagePrefix, LsnToString(lsn), source_time),
                  at);
  }
  Outcome out;
  out.heartbeat = source_time;
  return out;
}

MessageScreen::Outcome MessageScreen::Forged(const std::string& what, Clock::time_point at) {
  ++forged_;
  if (forged_total_) forged_total_->fetch_add(1, std::memory_order_relaxed);
  Outcome out;
  if (!last_warning_) {
    out.warning = fmt::format("ignoring a forged or malformed pgduplex message ({}); any role on the source can "
                              "emit one. Further ones are counted in pgduplex_forged_messages_total and "
                              "reported at most once a minute",
                              what);
    last_warning_ = at;
    return out;
  }
  ++unreported_;
  if (at - *last_warning_ >= warn_interval_) {
    out.warning = fmt::format("ignored {} more forged or malformed pgduplex message{} ({} in all); the last: {}",
                              unreported_, unreported_ == 1 ? "" : "s", forged_, what);
    unreported_ = 0;
    last_warning_ = at;
  }
  return out;
}

}  // namespace pgduplex
