#include <catch2/catch.hpp>

#include "ddl/ddl_redaction.h"

using namespace pgduplex;

TEST_CASE("user_mapping_passwords_are_redacted") {
  CHECK(RedactDdlSecrets("CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'app', password 's3cr3t')") ==
        "CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'app', password '********')");
  CHECK(RedactDdlSecrets("ALTER USER MAPPING FOR app SERVER remote OPTIONS (SET password 'n3w', ADD \"Password\" "
                         "E'x\\'y')") ==
        "ALTER USER MAPPING FOR app SERVER remote OPTIONS (SET password '********', ADD \"Password\" E'********')");
}

TEST_CASE("role_passwords_are_redacted_in_every_quoting") {
  CHECK(RedactDdlSecrets("CREATE ROLE bob LOGIN PASSWORD 'hunter2'") == "CREATE ROLE bob LOGIN PASSWORD '********'");
  CHECK(RedactDdlSecrets("alter user bob with encrypted password $pw$hun'ter2$pw$ valid until 'infinity'") ==
        "alter user bob with encrypted password $pw$********$pw$ valid until 'infinity'");
  CHECK(RedactDdlSecrets("ALTER ROLE bob PASSWORD 'a''b'") == "ALTER ROLE bob PASSWORD '********'");
  CHECK(RedactDdlSecrets("ALTER ROLE bob PASSWORD NULL") == "ALTER ROLE bob PASSWORD NULL");
  // An unterminated literal is masked to the end.
  CHECK(RedactDdlSecrets("ALTER ROLE bob PASSWORD 'abc") == "ALTER ROLE bob PASSWORD '********");
}

TEST_CASE("server_options_and_conninfo_in_literals_are_redacted") {
  CHECK(RedactDdlSecrets("CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', password 'x', "
                         "sslpassword 'y')") ==
        "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', password '********', "
        "sslpassword '********')");
  CHECK(RedactDdlSecrets("CREATE SUBSCRIPTION s CONNECTION 'host=a password=p4ss dbname=d' PUBLICATION p") ==
        "CREATE SUBSCRIPTION s CONNECTION 'host=a password=******** dbname=d' PUBLICATION p");
  CHECK(RedactDdlSecrets("CREATE TABLE t (dsn text DEFAULT 'host=a password = ''p w'' user=u')") ==
        "CREATE TABLE t (dsn text DEFAULT 'host=a password = ''********'' user=u')");
  CHECK(RedactDdlSecrets("CREATE TABLE t (u text DEFAULT $$postgresql://app:p4ss@db/x$$)") ==
        "CREATE TABLE t (u text DEFAULT $$postgresql://app:********@db/x$$)");
}

TEST_CASE("statements_without_secrets_are_unchanged") {
  for (const char* s : {"CREATE TABLE t (password text DEFAULT 'x', secret_id int)",
                        "ALTER TABLE t ADD COLUMN c text DEFAULT 'password'  -- a comment",
                        "COMMENT ON COLUMN t.password IS 'the hash'", "", "CREATE INDEX ON t (a)"}) {
    INFO(s);
    CHECK(RedactDdlSecrets(s) == s);
  }
}

TEST_CASE("secrets_are_masked_whatever_standard_conforming_strings_was") {
  // On: 'ab\' is the password and cd a word; off: 'ab\'cd' is. Both masked.
  CHECK(RedactDdlSecrets("ALTER ROLE bob PASSWORD 'ab\\'cd'") == "ALTER ROLE bob PASSWORD '********'");
  // On: user 'u\' then password 'p'; off: one literal 'u\', password '.
  CHECK(RedactDdlSecrets("CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u\\', password 'p')") ==
        "CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u\\', password '********')");
}
