// DecodeRecord is strict: anything that is not a complete, known record is
// an error status, never a crash and never a silently accepted change.
#include <catch2/catch.hpp>

#include <string>

#include "core/change_view.h"
#include "core/record_decoder.h"
#include "core/record_encoder.h"
#include "pgduplex.pb.h"

using namespace pgduplex;

namespace {

std::string ValidInsert() {
  RecordEncoder* e = RecordEncoder::Create();
  std::string a = "1", b = "some text value";
  ValueView values[] = {{a.data(), 1, ValueKind::kText},
                        {nullptr, 0, ValueKind::kNull},
                        {b.data(), static_cast<uint32_t>(b.size()), ValueKind::kText}};
  REQUIRE(e->EncodeInsert(16385, TupleView{values, 3}).ok());
  std::string out(e->size(), '\0');
  e->WriteTo(&out[0]);
  RecordEncoder::Destroy(e);
  return out;
}

Status DecodeBytes(const std::string& bytes) {
  v1::Record r;
  return DecodeRecord(bytes.data(), bytes.size(), &r);
}

}  // namespace

TEST_CASE("valid_record_decodes") {
  v1::Record r;
  std::string bytes = ValidInsert();
  REQUIRE(DecodeRecord(bytes.data(), bytes.size(), &r).ok());
  CHECK(r.insert().new_tuple().values(2).text() == "some text value");
}

TEST_CASE("every_truncation_of_a_valid_record_is_an_error") {
  std::string bytes = ValidInsert();
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK_FALSE(DecodeBytes(bytes.substr(0, n)).ok());
  }
}

TEST_CASE("garbage_is_an_error") {
  CHECK_FALSE(DecodeBytes("\x01\x02").ok());
  CHECK_FALSE(DecodeBytes(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)).ok());
  CHECK_FALSE(DecodeBytes("hello, world").ok());
  Status s = DecodeBytes(std::string("\x22\x7f", 2));  // insert claiming 127 bytes
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("truncated") != std::string::npos);
}

TEST_CASE("empty_record_has_no_kind") {
  Status s = DecodeBytes("");
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()) == "record has no kind");
}

TEST_CASE("record_kind_from_a_later_version_is_named_in_the_error") {
  // Field 11, length-delimited, empty: a kind this version does not know.
  Status s = DecodeBytes(std::string("\xa2\x01\x00", 3));
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("kind 20") != std::string::npos);
}

TEST_CASE("value_that_is_neither_text_null_nor_toast_is_an_error") {
  v1::Record r;
  r.mutable_insert()->mutable_new_tuple()->add_values();  // datum not set
  Status s = DecodeBytes(r.SerializeAsString());
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("neither") != std::string::npos);
}

TEST_CASE("old_tuple_must_agree_with_old_kind") {
  v1::Record a;
  a.mutable_update()->mutable_new_tuple();
  a.mutable_update()->set_old_kind(v1::OLD_TUPLE_KEY);  // but no old tuple
  CHECK_FALSE(DecodeBytes(a.SerializeAsString()).ok());

  v1::Record b;
  b.mutable_delete_()->mutable_old_tuple();  // old tuple, kind NONE
  CHECK_FALSE(DecodeBytes(b.SerializeAsString()).ok());

  v1::Record c;
  c.mutable_delete_()->set_old_kind(static_cast<v1::OldTuple>(7));
  c.mutable_delete_()->mutable_old_tuple();
  CHECK_FALSE(DecodeBytes(c.SerializeAsString()).ok());

  v1::Record d;
  d.mutable_insert();  // no new tuple
  CHECK_FALSE(DecodeBytes(d.SerializeAsString()).ok());
}

TEST_CASE("unknown_replica_identity_is_an_error") {
  v1::Record r;
  r.mutable_relation()->set_replica_identity(static_cast<v1::ReplicaIdentity>(9));
  CHECK_FALSE(DecodeBytes(r.SerializeAsString()).ok());
}

TEST_CASE("invalid_utf8_in_a_string_field_is_an_error") {
  // Relation (3) { name (3): "\xe9" } built by hand: protobuf refuses it.
  std::string bytes("\x1a\x03\x1a\x01\xe9", 5);
  CHECK_FALSE(DecodeBytes(bytes).ok());
}
