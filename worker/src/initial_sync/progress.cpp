#include "initial_sync/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pgduplex {

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr auto kTerminalInterval = std::chrono::milliseconds(500);
constexpr auto kLogInterval = std::chrono::seconds(10);

}  // namespace

std::string FormatBytes(double bytes) {
  if (bytes < 1000) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1e6) return fmt::format("{:.1f} kB", bytes / 1e3);
  if (bytes < 1e9) return fmt::format("{:.1f} MB", bytes / 1e6);
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

std::string FormatCount(double count) {
  if (count < 1000) return fmt::format("{:.0f}", count);
  if (count < 1e6) return fmt::format("{:.1f}k", count / 1e3);
  if (count < 1e9) return fmt::format("{:.2f}M", count / 1e6);
  return fmt::format("{:.2f}G", count / 1e9);
}

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  auto total = static_cast<int64_t>(std::llround(seconds));
  if (total < 60) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

std::optional<double> EtaSeconds(double done, double total, double rate) {
  if (total <= 0 || rate <= 0) return std::nullopt;
  return std::max(0.0, (total - done) / rate);
}

std::string FormatTableLine(const TableProgressView& v, size_t name_width) {
  std::string rows = v.rows_estimated > 0 && !v.done
                         ? FormatCount(v.rows) + "/" + FormatCount(std::max(v.rows, v.rows_estimated))
                         : FormatCount(v.rows);
  double rate = v.elapsed_sec > 0 ? v.rows / v.elapsed_sec : 0;
  std::string tail;
  if (v.done) {
    tail = fmt::format("done in {}", FormatDuration(v.elapsed_sec));
  } else {
    auto eta = EtaSeconds(v.rows, v.rows_estimated, rate);
    tail = eta ? "ETA " + FormatDuration(*eta) : "ETA ?";
  }
  std::string parts = v.parts > 1 ? fmt::format("  [{}/{} parts]", v.parts_done, v.parts) : "";
  return fmt::format("{:<{}}  {:>15} rows  {:>9}  {:>7} rows/s  {}{}", v.name, name_width, rows,
                     FormatBytes(v.bytes), FormatCount(rate), tail, parts);
}

std::string FormatSummary(const SummaryView& v) {
  double rate = v.elapsed_sec > 0 ? v.rows / v.elapsed_sec : 0;
  double byte_rate = v.elapsed_sec > 0 ? v.bytes / v.elapsed_sec : 0;
  auto eta = EtaSeconds(v.rows, v.rows_estimated, rate);
  std::string rows = v.rows_estimated > 0 && v.tables_done < v.tables
                         ? FormatCount(v.rows) + "/" + FormatCount(std::max(v.rows, v.rows_estimated))
                         : FormatCount(v.rows);
  std::string tail = v.tables_done == v.tables ? fmt::format("in {}", FormatDuration(v.elapsed_sec))
                                               : (eta ? "ETA " + FormatDuration(*eta) : "ETA ?");
  return fmt::format("copy: {}/{} tables, {} rows, {}, {} rows/s, {}/s, {}", v.tables_done, v.tables, rows,
                     FormatBytes(v.bytes), FormatCount(rate), FormatBytes(byte_rate), tail);
}

CopyProgress::CopyProgress(bool terminal) : terminal_(terminal), started_(std::chrono::steady_clock::now()) {}

CopyProgress::~CopyProgress() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t CopyProgress::AddTable(const std::string& name, double rows_estimated, int parts) {
  auto t = std::make_unique<Table>();
  t->name = name;
  t->rows_estimated = rows_estimated;
  t->parts = parts;
  name_width_ = std::min<size_t>(std::max(name_width_, name.size()), 40);
  tables_.push_back(std::move(t));
  return tables_.size() - 1;
}

void CopyProgress::PartStarted(size_t index) {
  Table& t = *tables_[index];
  int64_t zero = 0;
  t.started_ns.compare_exchange_strong(zero, NowNs());
  t.parts_started.fetch_add(1);
}

void CopyProgress::PartDone(size_t index) {
  Table& t = *tables_[index];
  if (t.parts_done.fetch_add(1) + 1 == t.parts) {
    t.finished_ns.store(NowNs());
    Note("copied " + FormatTableLine(View(t), 0));
  }
}

TableProgressView CopyProgress::View(const Table& t) const {
  TableProgressView v;
  v.name = t.name;
  v.rows = static_cast<double>(t.rows.load(std::memory_order_relaxed));
  v.bytes = static_cast<double>(t.bytes.load(std::memory_order_relaxed));
  v.rows_estimated = t.rows_estimated;
  v.parts = t.parts;
  v.parts_done = t.parts_done.load();
  v.done = v.parts_done >= v.parts;
  int64_t start = t.started_ns.load();
  int64_t end = v.done ? t.finished_ns.load() : NowNs();
  v.elapsed_sec = start ? static_cast<double>(end - start) / 1e9 : 0;
  return v;
}

SummaryView CopyProgress::Summary() const {
  SummaryView s;
  s.tables = static_cast<int>(tables_.size());
  for (const auto& t : tables_) {
    TableProgressView v = View(*t);
    s.tables_done += v.done;
    s.rows += v.rows;
    s.bytes += v.bytes;
    s.rows_estimated += std::max(v.rows, v.done ? v.rows : v.rows_estimated);
  }
  s.elapsed_sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return s;
}

void CopyProgress::Start() {
  started_ = std::chrono::steady_clock::now();
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void CopyProgress::Finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  if (terminal_) Clear();
  running_ = false;
  spdlog::info("{}", FormatSummary(Summary()));
}

void CopyProgress::Note(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (terminal_ && running_) Clear();
  spdlog::info("{}", line);
  if (terminal_ && running_ && !stop_) Draw();
}

void CopyProgress::Warn(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (terminal_ && running_) Clear();
  spdlog::warn("{}", line);
  if (terminal_ && running_ && !stop_) Draw();
}

void CopyProgress::Loop() {
  auto last_log = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, terminal_ ? std::chrono::duration_cast<std::chrono::milliseconds>(kTerminalInterval)
                                   : std::chrono::duration_cast<std::chrono::milliseconds>(kLogInterval));
    if (stop_) break;
    if (terminal_) {
      Clear();
      Draw();
    } else if (std::chrono::steady_clock::now() - last_log >= kLogInterval) {
      last_log = std::chrono::steady_clock::now();
      spdlog::info("{}", FormatSummary(Summary()));
    }
  }
}

void CopyProgress::Draw() {
  std::string block;
  size_t lines = 0;
  for (const auto& t : tables_) {
    if (t->parts_started.load() == 0) continue;
    TableProgressView v = View(*t);
    if (v.done) continue;
    block += FormatTableLine(v, name_width_) + "\n";
    ++lines;
  }
  block += FormatSummary(Summary()) + "\n";
  ++lines;
  std::fputs(block.c_str(), stderr);
  std::fflush(stderr);
  drawn_lines_ = lines;
}

void CopyProgress::Clear() {
  std::string erase;
  for (size_t i = 0; i < drawn_lines_; ++i) erase += "\x1b[1A\x1b[2K";
  erase += "\r";
  std::fputs(erase.c_str(), stderr);
  std::fflush(stderr);
  drawn_lines_ = 0;
}

}  // namespace pgduplex
