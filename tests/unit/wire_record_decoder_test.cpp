// ReadRecord (worker/src/wire): the worker reads the stream with the plugin
// core's strict decoder, so a malformed record is a DecodeError naming the
// LSN and what is wrong, never handed to the applier.
#include <catch2/catch.hpp>

#include <string>

#include "common/errors.h"
#include "wire/record_decoder.h"

using namespace pgduplex;

namespace {

std::string Bytes(const v1::Record& record) { return record.SerializeAsString(); }

// The DecodeError ReadRecord throws for `bytes` at LSN 0/10, or "".
std::string Refusal(const std::string& bytes) {
  google::protobuf::Arena arena;
  try {
    ReadRecord(bytes.data(), bytes.size(), 0x10, &arena);
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("read_record_returns_a_record_on_the_arena") {
  google::protobuf::Arena arena;
  v1::Record record;
  record.mutable_begin()->set_xid(7);
  std::string bytes = Bytes(record);
  const v1::Record* decoded = ReadRecord(bytes.data(), bytes.size(), 0x10, &arena);
  CHECK(decoded->GetArena() == &arena);
  CHECK(decoded->begin().xid() == 7);
  CHECK(std::string(RecordKindName(*decoded)) == "begin");
}

TEST_CASE("read_record_names_the_lsn_of_a_bad_record") {
  google::protobuf::Arena arena;
  std::string garbage = "\xff\xff\xff";
  CHECK_THROWS_WITH(ReadRecord(garbage.data(), garbage.size(), 0x16B3748, &arena),
                    Catch::Contains("0/16B3748") && Catch::Contains("not a valid pgduplex v1 record") &&
                        Catch::Contains("corrupt or truncated"));
  // A record kind from a newer plugin (field 30) is an error, not skipped.
  std::string unknown("\xf2\x01\x00", 3);  // field 30, length-delimited, empty
  CHECK_THROWS_WITH(ReadRecord(unknown.data(), unknown.size(), 0x20, &arena),
                    Catch::Contains("does not know") && Catch::Contains("kind 30"));
  CHECK_THAT(Refusal(""), Catch::Contains("record has no kind"));
}

TEST_CASE("read_record_refuses_what_the_core_validator_catches") {
  SECTION("an update whose old_kind promises an old tuple it does not carry") {
    v1::Record r;
    v1::Update* u = r.mutable_update();
    u->set_relation_oid(16385);
    u->mutable_new_tuple()->add_values()->set_text("1");
    u->set_old_kind(v1::OLD_TUPLE_KEY);
    CHECK_THAT(Refusal(Bytes(r)), Catch::Contains("0/10") && Catch::Contains("not a valid pgduplex v1 record") &&
                                      Catch::Contains("update has old_kind 1 but no old tuple"));
  }
  SECTION("a delete with an old tuple but old_kind NONE") {
    v1::Record r;
    r.mutable_delete_()->mutable_old_tuple()->add_values()->set_text("1");
    CHECK_THAT(Refusal(Bytes(r)), Catch::Contains("delete has an old tuple but old_kind NONE"));
  }
  SECTION("an insert without a new tuple") {
    v1::Record r;
    r.mutable_insert()->set_relation_oid(16385);
    CHECK_THAT(Refusal(Bytes(r)), Catch::Contains("insert has no new tuple"));
  }
  SECTION("a value that is neither text, NULL nor unchanged TOAST") {
    v1::Record r;
    v1::Tuple* t = r.mutable_insert()->mutable_new_tuple();
    t->add_values()->set_text("1");
    t->add_values();
    CHECK_THAT(Refusal(Bytes(r)),
               Catch::Contains("new tuple value 1 is neither text, null, unchanged TOAST nor chunked"));
  }
  SECTION("an enum value outside the format") {
    v1::Record r;
    r.mutable_relation()->set_oid(16385);
    r.mutable_relation()->set_replica_identity(static_cast<v1::ReplicaIdentity>(9));
    CHECK_THAT(Refusal(Bytes(r)), Catch::Contains("relation 16385 has unknown replica identity 9"));
  }
}
