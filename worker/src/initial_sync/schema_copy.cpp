#include "initial_sync/schema_copy.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "initial_sync/client_program.h"
#include "initial_sync/dump_script.h"
#include "ops/catalog.h"
#include "common/oid_array.h"
#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

// pg_dump -t / -n pattern matching exactly one name (inside double quotes
// pattern characters are literal).
std::string ExactPattern(const std::string& schema, const std::string& name) {
  return QuoteQualified(schema, name);
}

// A temporary directory for dump files, removed with its content.
class TempDir {
 public:
  TempDir() {
    const char* dir = getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/pgduplex-schema-XXXXXX";
    if (!mkdtemp(path_.data())) throw ClientProgramError("cannot create a temporary directory");
  }
  ~TempDir() {
    for (const auto& f : files_) unlink(f.c_str());
    rmdir(path_.c_str());
  }
  std::string File(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

struct TypeFact {
  uint32_t oid;
  std::string schema;
  std::string name;
  std::string extension;  // empty unless the type belongs to an extension
};

// User-defined types the tables use, directly or through arrays, domains,
// composites and ranges; table row types are left out (the table makes it).
std::vector<TypeFact> UsedTypes(PgConnection& source, const std::vector<uint32_t>& table_oids) {
  PgResult r = source.ExecParams(R"SQL(
WITH RECURSIVE used(typ) AS (
  SELECT a.atttypid FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
  UNION
  SELECT x.typ FROM used u JOIN pg_catalog.pg_type t ON t.oid = u.typ
  CROSS JOIN LATERAL (
    SELECT t.typelem WHERE t.typelem <> 0
    UNION ALL SELECT t.typbasetype WHERE t.typbasetype <> 0
    UNION ALL SELECT a2.atttypid FROM pg_catalog.pg_attribute a2
               WHERE t.typtype = 'c' AND a2.attrelid = t.typrelid AND a2.attnum > 0 AND NOT a2.attisdropped
    UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid
  ) AS x(typ)
)
SELECT t.oid, n.nspname, t.typname, coalesce(e.extname, '')
  FROM used u
  JOIN pg_catalog.pg_type t ON t.oid = u.typ
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  LEFT JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type el WHERE el.typarray = t.oid)
   AND NOT (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                                         WHERE c.oid = t.typrelid AND c.relkind <> 'c'))
 ORDER BY t.oid)SQL",
                                 {OidArray(table_oids)});
  std::vector<TypeFact> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({static_cast<uint32_t>(std::stoul(r.Get(i, 0))), r.Get(i, 1), r.Get(i, 2), r.Get(i, 3)});
  }
  return out;
}

std::set<std::pair<std::string, std::string>> ExistingTypes(PgConnection& target) {
  PgResult r = target.Exec(
      "SELECT n.nspname, t.typname FROM pg_catalog.pg_type t "
      "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace");
  std::set<std::pair<std::string, std::string>> out;
  for (int i = 0; i < r.rows(); ++i) out.insert({r.Get(i, 0), r.Get(i, 1)});
  return out;
}

std::set<std::string> ExistingExtensions(PgConnection& target) {
  PgResult r = target.Exec("SELECT extname FROM pg_catalog.pg_extension");
  std::set<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.insert(r.Get(i, 0));
  return out;
}

// Sequences the tables' defaults call (nextval('seq')), owned or not.
std::vector<TableName> DefaultSequences(PgConnection& source, const std::vector<uint32_t>& table_oids) {
  PgResult r = source.ExecParams(
      "SELECT DISTINCT n.nspname, s.relname FROM (" + std::string(kDefaultSequenceDependencies) + ") u "
      "JOIN pg_catalog.pg_class s ON s.oid = u.seq AND s.relkind = 'S' "
      "JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace "
      "WHERE u.rel = ANY($1::oid[]) ORDER BY 1, 2",
      {OidArray(table_oids)});
  std::vector<TableName> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.Get(i, 0), r.Get(i, 1)});
  return out;
}

bool TargetHasRelation(PgConnection& target, const TableName& name) {
  return target
      .Scalar("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
              "WHERE n.nspname = $1 AND c.relname = $2",
              {name.schema, name.name})
      .has_value();
}

// User-defined types the tables use that the target lacks: those of
// extensions become CREATE EXTENSION, the others are dumped.
struct MissingTypes {
  std::set<std::string> extensions;  // extensions the target lacks
  std::set<uint32_t> oids;           // types to dump
  std::set<std::string> schemas;     // their schemas
};

MissingTypes FindMissingTypes(PgConnection& source, PgConnection& target, const std::vector<uint32_t>& table_oids) {
  std::vector<TypeFact> types = UsedTypes(source, table_oids);
  auto existing_types = ExistingTypes(target);
  auto existing_extensions = ExistingExtensions(target);
  MissingTypes out;
  for (const auto& t : types) {
    if (!t.extension.empty()) {
      if (!existing_extensions.count(t.extension)) out.extensions.insert(t.extension);
      continue;
    }
    if (existing_types.count({t.schema, t.name})) continue;
    out.oids.insert(t.oid);
    out.schemas.insert(t.schema);
  }
  return out;
}

// Sequences the defaults use that the target lacks (pg_dump -t copies
// owned sequences with their table, but not shared ones).
std::vector<TableName> MissingDefaultSequences(PgConnection& source, PgConnection& target,
                                               const std::vector<uint32_t>& table_oids) {
  std::vector<TableName> sequences;
  for (const auto& s : DefaultSequences(source, table_oids)) {
    if (!TargetHasRelation(target, s)) sequences.push_back(s);
  }
  return sequences;
}

// The schemas and extensions the script needs first. Only schemas B lacks:
// CREATE SCHEMA checks CREATE on the database even when the schema exists
// (IF NOT EXISTS), a right the common case (B has the schema) then does not
// need.
std::string SchemaHead(PgConnection& target, const std::set<std::string>& schemas,
                       const std::set<std::string>& extensions, const std::function<void(const std::string&)>& note) {
  std::set<std::string> existing_schemas;
  PgResult namespaces = target.Exec("SELECT nspname FROM pg_catalog.pg_namespace");
  for (int i = 0; i < namespaces.rows(); ++i) existing_schemas.insert(namespaces.Get(i, 0));
  std::string head;
  for (const auto& s : schemas) {
    if (!existing_schemas.count(s)) head += "CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(s) + ";\n";
  }
  for (const auto& e : extensions) {
    head += "CREATE EXTENSION IF NOT EXISTS " + QuoteIdent(e) + " CASCADE;\n";
    note(fmt::format("schema: extension {} is used by the tables and will be created on the target", e));
  }
  return head;
}

// The missing types' definitions: their schemas dumped as an archive, then
// exactly their entries restored as SQL (pg_dump has no option for a type).
std::string DumpTypes(PgConnection& source, const std::vector<std::string>& common, const MissingTypes& types) {
  TempDir dir;
  std::string archive = dir.File("types.dump");
  std::vector<std::string> args = common;
  args.insert(args.end(), {"-Fc", "-f", archive});
  for (const auto& s : types.schemas) args.insert(args.end(), {"-n", QuoteIdent(s)});
  RunClientProgram(source, "pg_dump", args);
  std::string pg_restore = FindClientProgram("pg_restore", source.server_version());
  std::string listing = RunProgram(pg_restore, {"-l", archive});
  std::string selected;
  std::istringstream lines(listing);
  std::string line;
  static const std::regex kEntry(R"(^\d+; 1247 (\d+) )");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kEntry) && types.oids.count(static_cast<uint32_t>(std::stoul(m[1].str())))) {
      selected += line + "\n";
    }
  }
  std::string list_file = dir.File("types.list");
  {
    FILE* f = fopen(list_file.c_str(), "w");
    if (!f) throw ClientProgramError("cannot write the pg_restore list file");
    fputs(selected.c_str(), f);
    fclose(f);
  }
  return RemoveMetaCommands(RunProgram(pg_restore, {"-L", list_file, "-f", "-", archive}));
}

// Source owners of the created tables and of the sequences their defaults
// use; owned sequences follow their table (ALTER TABLE ... OWNER TO).
void PlanOwners(PgConnection& source, PgConnection& target, const std::vector<uint32_t>& table_oids,
                const std::vector<TableName>& sequences, SchemaDump* dump) {
  std::string names = "{";
  for (size_t i = 0; i < sequences.size(); ++i) {
    std::string q = QuoteQualified(sequences[i].schema, sequences[i].name);
    std::string quoted = "\"";
    for (char c : q) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    names += (i ? "," : "") + quoted + "\"";
  }
  names += "}";
  PgResult r = source.ExecParams(
      "SELECT n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.oid = ANY($1::oid[]) "
      "   OR (c.relkind = 'S' AND c.oid = ANY (SELECT pg_catalog.to_regclass(x)::oid "
      "                                         FROM pg_catalog.unnest($2::text[]) AS x)) "
      "ORDER BY 1, 2",
      {OidArray(table_oids), names});
  std::set<std::string> roles;
  PgResult target_roles = target.Exec("SELECT rolname FROM pg_catalog.pg_roles");
  for (int i = 0; i < target_roles.rows(); ++i) roles.insert(target_roles.Get(i, 0));
  std::string me = target.Scalar("SELECT current_user::text").value_or("");
  std::map<std::string, std::vector<std::string>> missing;  // role -> objects
  for (int i = 0; i < r.rows(); ++i) {
    TableName name{r.Get(i, 0), r.Get(i, 1)};
    std::string role = r.Get(i, 3);
    if (role == me) continue;
    if (!roles.count(role)) {
      missing[role].push_back(name.Display());
      continue;
    }
    bool sequence = r.Get(i, 2) == "S";
    dump->owners.push_back({fmt::format("ALTER {} {} OWNER TO {}", sequence ? "SEQUENCE" : "TABLE",
                                        QuoteQualified(name.schema, name.name), QuoteIdent(role)),
                            name.Display(), role});
  }
  for (const auto& [role, objects] : missing) {
    std::string list;
    for (const auto& o : objects) list += (list.empty() ? "" : ", ") + o;
    dump->owner_warnings.push_back(fmt::format(
        "schema: role \"{}\" owns {} on the source but does not exist on the target: owned by {} there "
        "(create the role, then ALTER ... OWNER TO it)",
        role, list, me));
  }
}

// Privileges of the created tables, of the sequences they own and of the
// shared sequences their defaults use (see grant_plan.h).
void PlanPrivileges(PgConnection& source, PgConnection& target, const std::vector<uint32_t>& table_oids,
                    const std::vector<TableName>& sequences, SchemaDump* dump) {
  std::vector<uint32_t> oids = table_oids;
  for (const auto& s : sequences) {
    auto oid = source.Scalar("SELECT pg_catalog.to_regclass($1)::oid::text", {QuoteQualified(s.schema, s.name)});
    if (oid) oids.push_back(static_cast<uint32_t>(std::stoul(*oid)));
  }
  std::set<std::string> roles;
  PgResult target_roles = target.Exec("SELECT rolname FROM pg_catalog.pg_roles");
  for (int i = 0; i < target_roles.rows(); ++i) roles.insert(target_roles.Get(i, 0));
  GrantPlan plan = PlanGrants(ReadSourceAcl(source, oids), roles);
  dump->grants = std::move(plan.grants);
  dump->grant_warnings = std::move(plan.warnings);
}

}  // namespace

SchemaDump DumpSchema(PgConnection& source, PgConnection& target, const SchemaRequest& request,
                      const std::function<void(const std::string&)>& note) {
  SchemaDump dump;
  if (request.tables.empty()) return dump;
  std::string snapshot_arg = "--snapshot=" + request.snapshot;
  const std::vector<std::string> common = {"--schema-only", "--no-owner", "--no-privileges", "--no-tablespaces",
                                           "--no-security-labels", "--no-subscriptions", "--no-publications",
                                           "--strict-names", snapshot_arg};

  std::set<std::string> schemas;
  for (const auto& t : request.tables) schemas.insert(t.schema);
  MissingTypes types = FindMissingTypes(source, target, request.table_oids);
  schemas.insert(types.schemas.begin(), types.schemas.end());
  std::vector<TableName> sequences = MissingDefaultSequences(source, target, request.table_oids);
  for (const auto& s : sequences) schemas.insert(s.schema);

  std::string head = SchemaHead(target, schemas, types.extensions, note);
  std::string types_sql = types.oids.empty() ? "" : DumpTypes(source, common, types);

  std::vector<std::string> pre = common;
  pre.push_back("--section=pre-data");
  std::vector<std::string> post = common;
  post.push_back("--section=post-data");
  for (const auto& t : request.tables) {
    pre.insert(pre.end(), {"-t", ExactPattern(t.schema, t.name)});
    post.insert(post.end(), {"-t", ExactPattern(t.schema, t.name)});
  }
  for (const auto& s : sequences) pre.insert(pre.end(), {"-t", ExactPattern(s.schema, s.name)});

  PlanOwners(source, target, request.table_oids, sequences, &dump);
  PlanPrivileges(source, target, request.table_oids, sequences, &dump);
  std::string tables_sql = RemoveMetaCommands(RunClientProgram(source, "pg_dump", pre));
  dump.pre_data = head + types_sql + "\n" + tables_sql;
  dump.post_data = ParseDumpScript(RunClientProgram(source, "pg_dump", post));
  return dump;
}

void ApplyPostData(std::vector<PgConnection*> parallel, const std::vector<ScriptStatement>& statements,
                   const std::function<void(const std::string&)>& warn) {
  if (parallel.empty()) throw std::logic_error("ApplyPostData needs a connection");
  struct Item {
    std::string sql;
    std::string text;
  };
  std::vector<Item> first, rest;
  for (size_t i = 0; i < statements.size(); ++i) {
    if (statements[i].session) continue;
    Item item{SessionPrefix(statements, i) + statements[i].text, statements[i].text};
    (IsParallelPostDataStatement(statements[i].text) ? first : rest).push_back(std::move(item));
  }

  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::string error;
  auto run = [&](PgConnection* conn) {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error.empty()) return;
      }
      size_t i = next.fetch_add(1);
      if (i >= first.size()) return;
      try {
        conn->Exec(first[i].sql);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (error.empty()) error = e.what();
      }
    }
  };
  std::vector<std::thread> threads;
  for (PgConnection* conn : parallel) threads.emplace_back(run, conn);
  for (auto& t : threads) t.join();
  if (!error.empty()) throw PgError("building indexes and keys on the target: " + error, "");

  for (const auto& item : rest) {
    try {
      parallel[0]->Exec(item.sql);
    } catch (const ConnectionError&) {
      throw;
    } catch (const PgError& e) {
      std::string statement = item.text;
      for (char& c : statement) c = c == '\n' ? ' ' : c;
      warn(fmt::format("schema: not created on the target: {} ({})", statement, e.what()));
    }
  }
}

}  // namespace pgduplex
