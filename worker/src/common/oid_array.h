// OidArray: a list of OIDs as a PostgreSQL array literal ("{1,2,3}"), to
// pass as one text parameter and use as `= ANY($1::oid[])`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgduplex {

inline std::string OidArray(const std::vector<uint32_t>& oids) {
  std::string out = "{";
  for (size_t i = 0; i < oids.size(); ++i) out += (i ? "," : "") + std::to_string(oids[i]);
  return out + "}";
}

}  // namespace pgduplex
