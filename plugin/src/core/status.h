// Status: the result of a core operation that may be called from
// PostgreSQL code.
//
// Contract: a Status is trivially destructible and never allocates, so the
// PostgreSQL layer may hold one in a frame that later raises ereport(ERROR)
// (a longjmp that runs no destructors). Core functions reachable from the
// PostgreSQL layer are noexcept and report every failure, including
// std::bad_alloc, as a Status; no C++ exception ever crosses that boundary.
#ifndef PGDUPLEX_CORE_STATUS_H_
#define PGDUPLEX_CORE_STATUS_H_

#include <type_traits>

namespace pgduplex {

class Status {
 public:
  static constexpr int kMaxMessage = 240;

  // Only the terminator is written: an OK status is made per record on the
  // worker's hot path, and its message is never read past it.
  Status() noexcept : failed_(false) { message_[0] = '\0'; }

  static Status OK() noexcept { return Status(); }

  // printf-style message, truncated to kMaxMessage bytes.
  static Status Error(const char* format, ...) noexcept
      __attribute__((format(printf, 1, 2)));

  bool ok() const noexcept { return !failed_; }
  // Empty for an OK status.
  const char* message() const noexcept { return message_; }

 private:
  bool failed_;
  char message_[kMaxMessage + 1];
};

static_assert(std::is_trivially_destructible<Status>::value,
              "Status must survive a longjmp: no destructor may be skipped");

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_STATUS_H_
