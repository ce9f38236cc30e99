// Lsn: PostgreSQL WAL positions (XLogRecPtr) as plain uint64, and their
// "X/Y" text form (upper 32 bits / lower 32 bits, hex, as pg_lsn prints).
//
// Contract: LsnToString never throws; ParseLsn returns false for anything that
// is not two hex numbers of at most 8 digits separated by '/'.
#pragma once

#include <cstdint>
#include <string>

namespace pgduplex {

using Lsn = uint64_t;
constexpr Lsn kInvalidLsn = 0;

std::string LsnToString(Lsn lsn);
bool ParseLsn(const std::string& text, Lsn* out);

}  // namespace pgduplex
