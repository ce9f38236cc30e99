#include "common/lsn.h"

#include <cstdio>

namespace pgduplex {

std::string LsnToString(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
  return buf;
}

namespace {
bool ParseHex32(const std::string& text, size_t begin, size_t end, uint64_t* out) {
  if (end <= begin || end - begin > 8) return false;
  uint64_t value = 0;
  for (size_t i = begin; i < end; ++i) {
    char c = text[i];
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else return false;
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  *out = value;
  return true;
}
}  // namespace

bool ParseLsn(const std::string& text, Lsn* out) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  uint64_t high, low;
  if (!ParseHex32(text, 0, slash, &high) || !ParseHex32(text, slash + 1, text.size(), &low)) return false;
  *out = (high << 32) | low;
  return true;
}

}  // namespace pgduplex
