#include "core/record_renderer.h"

#include <new>
#include <string>

#include "pgduplex.pb.h"

#include "core/record_decoder.h"
#include "core/record_json.h"
#include "core/no_postgres.h"

namespace pgduplex {

struct RecordRenderer::Impl {
  v1::Record record;
  std::string json;
};

RecordRenderer* RecordRenderer::Create() noexcept {
  try {
    Impl* impl = new Impl();
    RecordRenderer* renderer = new (std::nothrow) RecordRenderer(impl);
    if (renderer == nullptr) delete impl;
    return renderer;
  } catch (...) {
    return nullptr;
  }
}

void RecordRenderer::Destroy(RecordRenderer* renderer) noexcept { delete renderer; }

RecordRenderer::~RecordRenderer() { delete impl_; }

Status RecordRenderer::Render(const void* data, size_t size) noexcept {
  // Do not keep the buffers of one huge record for the life of the backend.
  constexpr size_t kKeep = 1 << 20;
  if (impl_->json.capacity() > kKeep) {
    std::string().swap(impl_->json);
    try {
      impl_->record = v1::Record();
    } catch (...) {
    }
  }
  impl_->json.clear();
  Status s = DecodeRecord(data, size, &impl_->record);
  if (!s.ok()) return s;
  try {
    impl_->json = RecordToJson(impl_->record);
  } catch (...) {
    impl_->json.clear();
    return Status::Error("out of memory rendering a record of %zu bytes", size);
  }
  return Status::OK();
}

const char* RecordRenderer::json() const noexcept { return impl_->json.c_str(); }

size_t RecordRenderer::json_size() const noexcept { return impl_->json.size(); }

}  // namespace pgduplex
