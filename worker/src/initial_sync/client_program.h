// ClientProgram: runs a PostgreSQL client program (pg_dump, pg_restore)
// with the connection of an open PgConnection, and no secret anywhere a
// `ps` could show it.
//
// The connection's effective parameters (PQconninfo: host, port, dbname,
// user, password, sslmode, ...) go into a service file that never exists
// on disk: an anonymous memory file (memfd_create; else a temporary file
// unlinked at once) handed to the program as its descriptor 3, with
// PGSERVICEFILE=/dev/fd/3 and `-d service=pgduplex`. libpq fopen()s the
// service file; /dev/fd/3 re-opens the memory file from its start, as often
// as the program connects. No password is on its command line, in its
// environment, or left on disk when either process is killed (kill -9).
//
// Contract: Run returns the program's stdout, or throws
// ClientProgramError with the program's stderr (scrubbed of secrets) and
// exit status. Programs are looked up next to the matching server version
// (/usr/lib/postgresql/<major>/bin on Debian), then in PATH; the
// PGDUPLEX_PG_BINDIR environment variable overrides the directory.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "common/pg_connection.h"

namespace pgduplex {

class ClientProgramError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Finds `program` for a server of `server_version` (PQserverVersion).
std::string FindClientProgram(const std::string& program, int server_version);

// Runs `program args...` against `conn`'s database (adds -d service=...).
// stdin is /dev/null; stdout is returned.
std::string RunClientProgram(const PgConnection& conn, const std::string& program,
                             const std::vector<std::string>& args);

// Runs a program that needs no connection (pg_restore -l / -f on a file).
std::string RunProgram(const std::string& path, const std::vector<std::string>& args,
                       const std::vector<std::string>& extra_env = {});

}  // namespace pgduplex
