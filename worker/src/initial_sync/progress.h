// CopyProgress: what the initial copy has moved so far, per table, and how
// it is shown.
//
// Copy threads add rows/bytes with relaxed atomics (no lock on the hot
// path). A reporter thread shows them: on a terminal (stderr is a tty) a
// block of lines redrawn twice a second, one per table being copied (rows
// and bytes so far, rate, ETA) and a summary line; otherwise plain log
// lines: one per finished table and a summary every 10 seconds. Messages
// the engine logs during the copy go through Note(), which keeps them from
// tearing the redrawn block.
//
// The Format* functions are pure and unit-tested.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pgduplex {

std::string FormatBytes(double bytes);      // "512 B", "1.5 kB", "12.0 MB", "3.25 GB"
std::string FormatCount(double count);      // "532", "12.3k", "1.20M", "3.00G"
std::string FormatDuration(double seconds); // "0s", "42s", "2m05s", "1h02m"
// Seconds to go at `rate` per second, nullopt when unknown.
std::optional<double> EtaSeconds(double done, double total, double rate);

struct TableProgressView {
  std::string name;
  double rows = 0;
  double rows_estimated = 0;  // <= 0 when unknown
  double bytes = 0;
  double elapsed_sec = 0;
  int parts_done = 0;
  int parts = 1;
  bool done = false;
};

// "public.accounts      1.20M/5.00M rows   98.0 MB  412k rows/s  ETA 9s"
std::string FormatTableLine(const TableProgressView& view, size_t name_width);

struct SummaryView {
  int tables_done = 0;
  int tables = 0;
  double rows = 0;
  double rows_estimated = 0;
  double bytes = 0;
  double elapsed_sec = 0;
};

// "copy: 3/4 tables, 1.20M/5.00M rows, 98.0 MB, 412k rows/s, 12.0 MB/s, ETA 9s"
std::string FormatSummary(const SummaryView& view);

class CopyProgress {
 public:
  struct Table {
    std::string name;
    double rows_estimated = 0;
    int parts = 1;
    std::atomic<uint64_t> rows{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<int> parts_started{0};
    std::atomic<int> parts_done{0};
    std::atomic<int64_t> started_ns{0};  // steady clock, 0 = not started
    std::atomic<int64_t> finished_ns{0};
  };

  // terminal: draw the redrawn block (else plain log lines).
  explicit CopyProgress(bool terminal);
  ~CopyProgress();
  CopyProgress(const CopyProgress&) = delete;
  CopyProgress& operator=(const CopyProgress&) = delete;

  // Register every table before Start(); returns its slot.
  size_t AddTable(const std::string& name, double rows_estimated, int parts);
  Table& table(size_t index) { return *tables_[index]; }

  void PartStarted(size_t index);
  void PartDone(size_t index);  // logs the table line when its last part ends

  void Start();
  // Stops the reporter, clears the block, logs the final summary.
  void Finish();
  // Logs one info line without tearing the block.
  void Note(const std::string& line);
  // Same, at warning level.
  void Warn(const std::string& line);

  SummaryView Summary() const;
  TableProgressView View(const Table& table) const;

 private:
  void Loop();
  void Draw();   // caller holds mutex_
  void Clear();  // caller holds mutex_

  bool terminal_;
  std::vector<std::unique_ptr<Table>> tables_;
  std::chrono::steady_clock::time_point started_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool running_ = false;
  std::thread thread_;
  size_t drawn_lines_ = 0;
  size_t name_width_ = 10;
};

}  // namespace pgduplex
