// OwnerStatement: runs a statement that only an object's owner (or a
// superuser) may run — ALTER SEQUENCE, ALTER TABLE ... REPLICA IDENTITY —
// with the rights the README gives the sync role: membership in the roles
// that own the synced tables.
//
//   * the session has the owner's rights (superuser, or a member that
//     inherits them): the statement runs as it is;
//   * the session is a member that does not inherit (NOINHERIT): it runs in
//     a transaction of its own under SET LOCAL ROLE <owner>, so the session
//     is itself again right after;
//   * otherwise it does not run: the refusal names the owner and the
//     statement, for the operator to run as that owner (or a superuser).
//     A "must be owner" error (42501) that slips past the check, e.g. an
//     owner changed in between, is the same refusal.
//
// Nothing runs as the owner but the statement itself: it must be a fully
// qualified one that calls no function (the callers' ALTERs). Other errors
// are thrown (PgError). The connection must not be inside a transaction.
#pragma once

#include <optional>
#include <string>

#include "common/pg_connection.h"
#include "common/table_scope.h"

namespace pgduplex {

struct OwnerRefusal {
  std::string owner;      // role name
  std::string object;     // schema.name
  std::string statement;  // ends with ';', ready to paste

  // only role "app" (the owner of public.t) or a superuser can run: <statement>
  std::string Describe() const;
};

// `object` is a table or sequence; `statement` the SQL to run on it.
std::optional<OwnerRefusal> RunAsOwner(PgConnection& conn, const TableName& object, const std::string& statement);

}  // namespace pgduplex
