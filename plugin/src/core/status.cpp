#include "core/status.h"

#include <cstdarg>
#include <cstdio>

#include "core/no_postgres.h"

namespace pgduplex {

Status Status::Error(const char* format, ...) noexcept {
  Status s;
  s.failed_ = true;
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(s.message_, sizeof(s.message_), format, args);
  va_end(args);
  if (n < 0) std::snprintf(s.message_, sizeof(s.message_), "%s", "error");
  return s;
}

}  // namespace pgduplex
