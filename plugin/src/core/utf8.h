// UTF-8 validity, as the wire format's `string` fields and JSON need it.
#ifndef PGDUPLEX_CORE_UTF8_H_
#define PGDUPLEX_CORE_UTF8_H_

#include <cstddef>

namespace pgduplex {

// True when [data, data + size) is well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF). NUL bytes are allowed.
bool IsValidUtf8(const char* data, size_t size) noexcept;

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_UTF8_H_
