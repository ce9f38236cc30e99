// ApplyBatch's byte accounting: the held records are bounded by bytes as
// well as by changes (sync.apply_memory_mb, common/memory_budget.h).
#include <catch2/catch.hpp>

#include "apply/apply_batch.h"

using namespace pgduplex;

namespace {
const v1::Record& InsertRecord(ApplyBatch& batch, size_t value_bytes) {
  auto* record = google::protobuf::Arena::CreateMessage<v1::Record>(batch.arena());
  record->mutable_insert()->set_relation_oid(16384);
  record->mutable_insert()->mutable_new_tuple()->add_values()->set_text(std::string(value_bytes, 'x'));
  return *record;
}
}  // namespace

TEST_CASE("ApplyBatch counts the bytes of held records until they are released") {
  ApplyBatch batch;
  batch.BeginTxn(SourceTxn{});
  const uint64_t mb = 1 << 20;
  for (int i = 0; i < 3; ++i) batch.Add(InsertRecord(batch, 16), nullptr, 100 + i, mb);
  CHECK(batch.held() == 3);
  CHECK(batch.held_bytes() == 3 * mb);
  CHECK(batch.At(1).bytes == mb);
  CHECK_FALSE(batch.HeldReaches(10, 4 * mb));
  CHECK(batch.HeldReaches(10, 3 * mb));  // by bytes
  CHECK(batch.HeldReaches(3, 100 * mb));  // by changes

  batch.ReleaseSent();
  CHECK(batch.held() == 0);
  CHECK(batch.held_bytes() == 0);
  CHECK(batch.bytes() == 3 * mb);  // the batch's total (metrics) goes on
  CHECK(batch.End() == 3);         // numbering goes on after a release
  CHECK_FALSE(batch.HeldReaches(1, 1));

  batch.Add(InsertRecord(batch, 16), nullptr, 200, 2 * mb);
  CHECK(batch.held_bytes() == 2 * mb);
  CHECK(batch.At(3).bytes == 2 * mb);
  batch.Reset();
  CHECK(batch.held_bytes() == 0);
  CHECK(batch.bytes() == 0);
}

TEST_CASE("ApplyBatch: one record larger than the byte bound reaches it alone") {
  ApplyBatch batch;
  batch.BeginTxn(SourceTxn{});
  batch.Add(InsertRecord(batch, 16), nullptr, 1, 300u << 20);
  CHECK(batch.HeldReaches(20000, 128u << 20));
}
