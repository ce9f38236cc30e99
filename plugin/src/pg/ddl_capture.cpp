/*
 * ddl_capture.cpp — the DDL capture event trigger and the authentic DDL
 * channel it writes to.
 *
 *   pgduplex.capture_ddl() RETURNS event_trigger      (LANGUAGE C)
 *     fired on sql_drop and on ddl_command_end; and (1.3) on
 *     ddl_command_start for CREATE TABLE AS and SELECT INTO only.
 *
 * Why CREATE TABLE AS / SELECT INTO at command start: the command writes
 * its rows before ddl_command_end fires, so a record written there would
 * be decoded after the rows, for a table the target does not have yet.
 * Written at command start, the record comes first; the end capture then
 * skips these tags (while the start trigger exists: an extension not yet
 * updated to 1.3 still captures them at the end, as before). The table is
 * named from the parse tree (IntoClause), in the namespace it will be
 * created in; the rest of the document is describe_ddl's, as for any DDL.
 *
 * Why a C trigger and a table, not a logical message. Everything the worker
 * on B does with a Ddl record runs SQL there, so the channel must be one
 * that no untrusted role can write. pg_logical_emit_message is executable
 * by every role, so a message proves nothing. The table pgduplex.ddl_log
 * belongs to the extension (a superuser) and grants nothing to anyone: only
 * this trigger writes it, switching to the table's owner just for the
 * INSERT, and the plugin turns exactly those inserts into Ddl records
 * (relation_cache.cpp, build_entry). The trigger takes nothing from
 * its caller: the statement is the client's top-level query text, the role
 * is the current user when the command ran, the settings are the session's.
 *
 * A plpgsql helper, pgduplex.describe_ddl, decides whether the command is
 * captured at all and which object it is about (it reads
 * pg_event_trigger_ddl_commands(), runs as the DDL's author with a pinned
 * search_path, and writes nothing). It is called through fmgr, so the
 * author needs no right on schema pgduplex. What the sql_drop event saw is kept in
 * this backend's memory for the ddl_command_end of the same command, where
 * no role can forge it (1.0 kept it in a custom setting anyone could set).
 *
 * The row is deleted again at once: decoding reads the inserted tuple from
 * the WAL, so the table never grows.
 *
 * C in spirit, like plugin.cpp: no C++ object with a destructor lives in
 * these frames, so an ERROR unwinds nothing it should not.
 */
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/primnodes.h"
#include "storage/proc.h"
#include "tcop/cmdtag.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/json.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(pgduplex_capture_ddl);
}

/*
 * What the sql_drop event of the current command dropped first, as JSON
 * text (TopMemoryContext), and the local transaction it belongs to: a DROP
 * that failed after sql_drop leaves a stale value that the next
 * transaction must not take.
 */
static char *dropped_object = NULL;
static LocalTransactionId dropped_lxid = InvalidLocalTransactionId;

static void
forget_dropped_object(void)
{
	if (dropped_object != NULL)
		pfree(dropped_object);
	dropped_object = NULL;
	dropped_lxid = InvalidLocalTransactionId;
}

/*
 * Runs the SPI work of the trigger with search_path = pg_catalog, pg_temp,
 * whatever the session's: the statements below name every object with its
 * schema, and this also pins the operators they use. The setting is undone
 * when the GUC nest level closes.
 */
static int
pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* sql_drop: remember the first object the command itself dropped. */
static void
stash_dropped_object(void)
{
	const char *query =
		"SELECT pg_catalog.json_build_object('object_type', d.object_type,"
		" 'object_identity', d.object_identity, 'schema', d.schema_name)::pg_catalog.text"
		" FROM pg_catalog.pg_event_trigger_dropped_objects() AS d"
		" WHERE d.original LIMIT 1";
	char	   *value = NULL;

	if (SPI_execute(query, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgduplex: could not list the dropped objects");
	if (SPI_processed == 1)
		value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	forget_dropped_object();
	if (value != NULL)
	{
		dropped_object = MemoryContextStrdup(TopMemoryContext, value);
		dropped_lxid = MyProc->lxid;
	}
}

/*
 * The session as the DDL's author left it, read before the trigger pins
 * its own search_path.
 */
typedef struct AuthorSession
{
	char	   *role;
	char	   *search_path;
	bool		standard_conforming_strings;
} AuthorSession;

static void
read_author_session(AuthorSession *session)
{
	session->role = GetUserNameFromId(GetUserId(), false);
	session->search_path = pstrdup(namespace_search_path != NULL ? namespace_search_path : "");
	session->standard_conforming_strings = standard_conforming_strings;
}

/*
 * ddl_command_end: the capture's JSON document, or NULL when the command is
 * not captured (temporary objects, extension scripts, ...).
 */
static char *
describe_command(const char *tag, const AuthorSession *session, const char *about)
{
	Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, BOOLOID, JSONOID};
	Oid			namespace_oid = get_namespace_oid("pgduplex", false);
	Oid			function_oid;
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 5);
	Datum		result;

	/*
	 * Called through fmgr, not by name in SQL: the DDL's author needs no
	 * USAGE on schema pgduplex nor EXECUTE on the function.
	 */
	function_oid = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
								   CStringGetDatum("describe_ddl"),
								   PointerGetDatum(buildoidvector(types, 5)),
								   ObjectIdGetDatum(namespace_oid));
	if (!OidIsValid(function_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("pgduplex: function pgduplex.describe_ddl is missing"),
				 errhint("ALTER EXTENSION pgduplex UPDATE;")));
	fmgr_info(function_oid, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 5, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = CStringGetTextDatum(tag);
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = CStringGetTextDatum(session->role);
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = CStringGetTextDatum(session->search_path);
	fcinfo->args[2].isnull = false;
	fcinfo->args[3].value = BoolGetDatum(session->standard_conforming_strings);
	fcinfo->args[3].isnull = false;
	if (about != NULL)
	{
		fcinfo->args[4].value = CStringGetTextDatum(about);
		fcinfo->args[4].isnull = false;
	}
	else if (dropped_object != NULL && dropped_lxid == MyProc->lxid)
	{
		fcinfo->args[4].value = CStringGetTextDatum(dropped_object);
		fcinfo->args[4].isnull = false;
	}
	else
	{
		fcinfo->args[4].value = (Datum) 0;
		fcinfo->args[4].isnull = true;
	}
	result = FunctionCallInvoke(fcinfo);
	return fcinfo->isnull ? NULL : TextDatumGetCString(result);
}

/*
 * ddl_command_start of CREATE TABLE AS / SELECT INTO: the table it is about
 * to create, as JSON text in the shape of the sql_drop stash
 * (object_type, object_identity, schema), which describe_ddl takes when
 * pg_event_trigger_ddl_commands() lists nothing (as it does at command
 * start). NULL for any other parse tree (CREATE MATERIALIZED VIEW).
 * Resolving the namespace raises the errors the command itself would.
 */
static char *
describe_table_to_create(Node *parsetree)
{
	CreateTableAsStmt *stmt;
	Oid			namespace_oid;
	char	   *schema;
	StringInfoData buf;

	if (parsetree == NULL || !IsA(parsetree, CreateTableAsStmt))
		return NULL;
	stmt = (CreateTableAsStmt *) parsetree;
	if (stmt->objtype != OBJECT_TABLE || stmt->into == NULL || stmt->into->rel == NULL)
		return NULL;
	namespace_oid = RangeVarGetCreationNamespace(stmt->into->rel);
	schema = get_namespace_name(namespace_oid);
	if (schema == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"object_type\": \"table\", \"object_identity\": ");
	escape_json(&buf, quote_qualified_identifier(schema, stmt->into->rel->relname));
	appendStringInfoString(&buf, ", \"schema\": ");
	escape_json(&buf, schema);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The tags the 1.3 start trigger captures instead of the end trigger. */
static bool
captured_at_command_start(CommandTag tag)
{
	if (tag != CMDTAG_CREATE_TABLE_AS && tag != CMDTAG_SELECT_INTO)
		return false;
	return OidIsValid(get_event_trigger_oid("pgduplex_capture_created_table", true));
}

/*
 * Writes the document into pgduplex.ddl_log as the table's owner, in a
 * security-restricted operation (nothing of the author's can run there:
 * the table has no trigger, and its defaults are the extension's), then
 * deletes it again.
 */
static void
write_to_ddl_log(const char *content)
{
	Oid			namespace_oid = get_namespace_oid("pgduplex", false);
	Oid			relid = get_relname_relid("ddl_log", namespace_oid);
	HeapTuple	tuple;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	Oid			insert_types[1] = {TEXTOID};
	Datum		insert_values[1];
	Oid			delete_types[1] = {INT8OID};
	Datum		delete_values[1];
	bool		isnull;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("pgduplex: table pgduplex.ddl_log is missing"),
				 errhint("Reinstall the extension: DROP EXTENSION pgduplex; CREATE EXTENSION pgduplex;")));
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	insert_values[0] = CStringGetTextDatum(content);
	if (SPI_execute_with_args("INSERT INTO pgduplex.ddl_log (content) VALUES ($1) RETURNING id",
							  1, insert_types, insert_values, NULL, false, 1) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "pgduplex: could not write to pgduplex.ddl_log");
	delete_values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (SPI_execute_with_args("DELETE FROM pgduplex.ddl_log WHERE id OPERATOR(pg_catalog.=) $1",
							  1, delete_types, delete_values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "pgduplex: could not clear pgduplex.ddl_log");
	/* An ERROR above restores the user with the (sub)transaction. */
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

extern "C" Datum
pgduplex_capture_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigger;
	AuthorSession session;
	char	   *about = NULL;
	int			nestlevel;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pgduplex.capture_ddl() can only run as an event trigger")));
	trigger = (EventTriggerData *) fcinfo->context;

	/* An apply worker's own DDL is never sent back. */
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		PG_RETURN_VOID();

	read_author_session(&session);
	/* Under the author's search_path, before the trigger pins its own. */
	if (strcmp(trigger->event, "ddl_command_start") == 0)
		about = describe_table_to_create(trigger->parsetree);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pgduplex: SPI_connect failed");
	nestlevel = pin_search_path();
	if (strcmp(trigger->event, "sql_drop") == 0)
		stash_dropped_object();
	else if (strcmp(trigger->event, "ddl_command_start") == 0)
	{
		char	   *content = NULL;

		if (about != NULL)
			content = describe_command(GetCommandTagName(trigger->tag), &session, about);
		if (content != NULL)
			write_to_ddl_log(content);
	}
	else if (strcmp(trigger->event, "ddl_command_end") == 0)
	{
		char	   *content = NULL;

		if (!captured_at_command_start(trigger->tag))
			content = describe_command(GetCommandTagName(trigger->tag), &session, NULL);
		forget_dropped_object();
		if (content != NULL)
			write_to_ddl_log(content);
	}
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}
