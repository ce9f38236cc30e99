/*
 * options.cpp — parsing of the output plugin options (see options.h).
 */
extern "C" {
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
}

#include "core/value_chunks.h"
#include "pg/options.h"
#include "pg/table_rules.h"

#define OPTIONS_HINT "Valid options are proto_version, origins, ddl, tables, row_filter, operations, streaming and value_chunk_size."
#define VERSIONS_HINT "This pgduplex library speaks proto_version 1 and 2: a newer pgduplex worker needs the pgduplex extension on this cluster upgraded to its version."

static const char *
option_value(DefElem *elem)
{
	if (elem->arg == NULL || !IsA(elem->arg, String) || strVal(elem->arg) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: option \"%s\" requires a value", elem->defname)));
	return strVal(elem->arg);
}

static void
malformed_tables(const char *value, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("pgduplex: malformed value for option \"tables\": \"%s\"", value),
			 errdetail("%s", detail),
			 errhint("Give a comma-separated list of schema.table or schema.*, e.g. 'public.orders, sales.*'.")));
}

/*
 * Reads one identifier at *p: "quoted" (with "" for a quote) or unquoted
 * (up to '.', ',' or white space, folded to lower case). Returns NULL when
 * there is none. An unquoted * sets *star (and returns "*") when star is
 * given; it is an error otherwise.
 */
static char *
read_identifier(const char **p, const char *value, bool *star)
{
	const char *s = *p;

	if (*s == '"')
	{
		StringInfoData buf;

		initStringInfo(&buf);
		s++;
		for (;;)
		{
			if (*s == '\0')
				malformed_tables(value, "A quoted identifier is not terminated.");
			if (*s == '"')
			{
				if (s[1] != '"')
					break;
				s++;
			}
			appendStringInfoChar(&buf, *s);
			s++;
		}
		s++;
		if (buf.len == 0)
			malformed_tables(value, "A quoted identifier is empty.");
		*p = s;
		return buf.data;
	}
	if (*s == '*')
	{
		if (star == NULL)
			malformed_tables(value, "Only the table part may be *.");
		*star = true;
		*p = s + 1;
		return pstrdup("*");
	}
	while (*s != '\0' && *s != '.' && *s != ',' && *s != '"' && !scanner_isspace(*s))
		s++;
	if (s == *p)
		return NULL;
	{
		char	   *ident = downcase_identifier(*p, (int) (s - *p), false, false);

		*p = s;
		return ident;
	}
}

static List *
parse_tables(const char *value)
{
	List	   *patterns = NIL;
	const char *p = value;

	for (;;)
	{
		TablePattern *pattern;
		char	   *schema;
		char	   *table;
		bool		star = false;

		while (scanner_isspace(*p))
			p++;
		schema = read_identifier(&p, value, NULL);
		if (schema == NULL)
			malformed_tables(value, *p == '\0' && patterns == NIL ?
							 "The list is empty." : "An entry is empty.");
		if (*p != '.')
			malformed_tables(value, "Every entry must be schema.table or schema.*.");
		p++;
		table = read_identifier(&p, value, &star);
		if (table == NULL)
			malformed_tables(value, "Every entry must be schema.table or schema.*.");
		while (scanner_isspace(*p))
			p++;
		if (*p == '.')
			malformed_tables(value, "A name has more than two parts.");
		if (*p != ',' && *p != '\0')
			malformed_tables(value, "Entries must be separated by commas.");

		pattern = (TablePattern *) palloc(sizeof(TablePattern));
		pattern->schema = schema;
		pattern->table = star ? NULL : table;
		patterns = lappend(patterns, pattern);

		if (*p == '\0')
			break;
		p++;					/* the comma */
	}
	return patterns;
}

void
default_plugin_options(PluginOptions *options)
{
	options->proto_version = PGDUPLEX_PROTO_VERSION;
	options->drop_origin_changes = false;
	options->ddl = true;
	options->streaming = false;
	options->value_chunk_size = 0;
	options->filter_tables = false;
	options->tables = NIL;
	options->table_rules = NIL;
}

/*
 * One parser per option, each given the option's value. Plain C: they
 * ereport on a bad value, and nothing in these frames has a destructor.
 */
static void
parse_proto_version(const char *value, PluginOptions *options)
{
	char	   *end;
	long		version;

	errno = 0;
	version = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: invalid value for option \"proto_version\": \"%s\"", value),
				 errhint(VERSIONS_HINT)));
	if (version < PGDUPLEX_PROTO_VERSION || version > PGDUPLEX_MAX_PROTO_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pgduplex: proto_version %ld is not supported", version),
				 errhint(VERSIONS_HINT)));
	options->proto_version = (int) version;
}

static void
parse_origins(const char *value, PluginOptions *options)
{
	if (pg_strcasecmp(value, "any") == 0)
		options->drop_origin_changes = false;
	else if (pg_strcasecmp(value, "none") == 0)
		options->drop_origin_changes = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: invalid value for option \"origins\": \"%s\"", value),
				 errhint("Valid values are \"any\" and \"none\".")));
}

static void
parse_ddl(const char *value, PluginOptions *options)
{
	if (!parse_bool(value, &options->ddl))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: invalid value for option \"ddl\": \"%s\"", value),
				 errhint("Valid values are \"true\" and \"false\".")));
}

static void
parse_streaming(const char *value, PluginOptions *options)
{
	if (!parse_bool(value, &options->streaming))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: invalid value for option \"streaming\": \"%s\"", value),
				 errhint("Valid values are \"on\" and \"off\".")));
}

static void
parse_value_chunk_size(const char *value, PluginOptions *options)
{
	char	   *end;
	long long	size;

	errno = 0;
	size = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' ||
		(size != 0 && (size < (long long) pgduplex::kMinValueChunkSize ||
					   size > (long long) pgduplex::kMaxValueChunkSize)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: invalid value for option \"value_chunk_size\": \"%s\"", value),
				 errhint("Give a number of bytes from %zu to %zu, or 0 to send every value whole.",
						 pgduplex::kMinValueChunkSize, pgduplex::kMaxValueChunkSize)));
	options->value_chunk_size = (size_t) size;
}

static void
parse_tables_option(const char *value, PluginOptions *options)
{
	options->tables = parse_tables(value);
	options->filter_tables = true;
}

typedef void (*OptionParser) (const char *value, PluginOptions *options);

typedef struct OptionDef
{
	const char *name;
	OptionParser parse;
	bool		repeatable;		/* once per table: checked by its parser */
} OptionDef;

/* Every option there is; OPTIONS_HINT names them for the user. */
static const OptionDef option_defs[] = {
	{"proto_version", parse_proto_version, false},
	{"origins", parse_origins, false},
	{"ddl", parse_ddl, false},
	{"tables", parse_tables_option, false},
	{"row_filter", parse_row_filter_option, true},
	{"operations", parse_operations_option, true},
	{"streaming", parse_streaming, false},
	{"value_chunk_size", parse_value_chunk_size, false},
};

#define NUM_OPTIONS ((int) lengthof(option_defs))
#define PROTO_VERSION_OPTION 0	/* its index in option_defs: required */

/* The index of the named option in option_defs; ERROR when there is none. */
static int
find_option(const char *name)
{
	int			i;

	for (i = 0; i < NUM_OPTIONS; i++)
	{
		if (strcmp(name, option_defs[i].name) == 0)
			return i;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("pgduplex: unknown option \"%s\"", name),
			 errhint(OPTIONS_HINT)));
	return -1;					/* not reached */
}

void
parse_plugin_options(List *defelems, PluginOptions *options)
{
	ListCell   *lc;
	bool		seen[NUM_OPTIONS] = {false};

	default_plugin_options(options);

	foreach(lc, defelems)
	{
		DefElem    *elem = (DefElem *) lfirst(lc);
		int			option = find_option(elem->defname);

		if (seen[option] && !option_defs[option].repeatable)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("pgduplex: option \"%s\" given more than once", elem->defname)));
		seen[option] = true;
		option_defs[option].parse(option_value(elem), options);
	}

	if (!seen[PROTO_VERSION_OPTION])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: option \"proto_version\" is required"),
				 errhint("Pass proto_version '1'.")));
	if (options->streaming && options->proto_version < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: option \"streaming\" requires proto_version 2"),
				 errhint("Pass proto_version '2' with streaming 'on'.")));
}

bool
tables_option_matches(const PluginOptions *options, const char *schema,
					  const char *table)
{
	ListCell   *lc;

	foreach(lc, options->tables)
	{
		TablePattern *pattern = (TablePattern *) lfirst(lc);

		if (strcmp(pattern->schema, schema) == 0 &&
			(pattern->table == NULL || strcmp(pattern->table, table) == 0))
			return true;
	}
	return false;
}
