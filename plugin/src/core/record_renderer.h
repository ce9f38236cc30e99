// RecordRenderer: wire bytes in, JSON text out, for the SQL function
// pgduplex.record_to_json(bytea).
//
// Contract. Render() decodes strictly (see record_decoder.h) and renders
// (see record_json.h) into a buffer owned by the renderer, valid until the
// next Render(). It is noexcept: a corrupt or truncated record, and running
// out of memory, come back as an error status. No protobuf or PostgreSQL
// type appears here, so the PostgreSQL layer can include it.
#ifndef PGDUPLEX_CORE_RECORD_RENDERER_H_
#define PGDUPLEX_CORE_RECORD_RENDERER_H_

#include <cstddef>

#include "core/status.h"

namespace pgduplex {

class RecordRenderer {
 public:
  static RecordRenderer* Create() noexcept;  // nullptr when out of memory
  static void Destroy(RecordRenderer* renderer) noexcept;

  RecordRenderer(const RecordRenderer&) = delete;
  RecordRenderer& operator=(const RecordRenderer&) = delete;

  Status Render(const void* data, size_t size) noexcept;
  // NUL-terminated JSON of the last successful Render().
  const char* json() const noexcept;
  size_t json_size() const noexcept;

 private:
  struct Impl;
  explicit RecordRenderer(Impl* impl) noexcept : impl_(impl) {}
  ~RecordRenderer();

  Impl* impl_;
};

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_RECORD_RENDERER_H_
