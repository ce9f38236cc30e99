/*
 * table_rules.cpp — the row_filter and operations options (see
 * table_rules.h). Plain C in spirit: these functions ereport on bad input.
 */
#include "core/change_view.h"

extern "C" {
#include "postgres.h"

#include "catalog/partition.h"
#include "lib/stringinfo.h"
#include "parser/scansup.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include "pg/relation_cache.h"
#include "pg/row_filter.h"
#include "pg/table_rules.h"

static void
malformed(const char *option, const char *value, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("pgduplex: malformed value for option \"%s\": \"%s\"", option, value),
			 errdetail("%s", detail),
			 errhint("%s", hint)));
}

/*
 * One identifier at *p: "quoted" (with "" for a quote) or unquoted (up to
 * '.', '"' or white space, folded to lower case); NULL when there is none.
 */
static char *
read_name(const char **p)
{
	const char *s = *p;
	StringInfoData buf;

	if (*s != '"')
	{
		while (*s != '\0' && *s != '.' && *s != '"' && !scanner_isspace(*s))
			s++;
		if (s == *p)
			return NULL;
		{
			char	   *name = downcase_identifier(*p, (int) (s - *p), false, false);

			*p = s;
			return name;
		}
	}
	initStringInfo(&buf);
	for (s++;; s++)
	{
		if (*s == '\0')
			return NULL;
		if (*s == '"')
		{
			if (s[1] != '"')
				break;
			s++;
		}
		appendStringInfoChar(&buf, *s);
	}
	*p = s + 1;
	return buf.len > 0 ? buf.data : NULL;
}

/* schema.table at the start of value, followed by white space or the end. */
static TableRule *
rule_for(const char *option, const char *value, const char **rest, const char *hint,
		 PluginOptions *options)
{
	const char *p = value;
	char	   *schema;
	char	   *table = NULL;
	ListCell   *lc;
	TableRule  *rule;

	while (scanner_isspace(*p))
		p++;
	schema = read_name(&p);
	if (schema != NULL && *p == '.')
	{
		p++;
		table = read_name(&p);
	}
	if (table == NULL || (*p != '\0' && !scanner_isspace(*p)))
		malformed(option, value, "It must start with schema.table.", hint);
	*rest = p;
	foreach(lc, options->table_rules)
	{
		rule = (TableRule *) lfirst(lc);
		if (strcmp(rule->schema, schema) == 0 && strcmp(rule->table, table) == 0)
			return rule;
	}
	rule = (TableRule *) palloc0(sizeof(TableRule));
	rule->schema = schema;
	rule->table = table;
	rule->operations = PGDUPLEX_OP_ALL;
	options->table_rules = lappend(options->table_rules, rule);
	return rule;
}

#define ROW_FILTER_HINT "Give 'schema.table WHERE expression', e.g. 'public.orders WHERE region = ''eu'''."

void
parse_row_filter_option(const char *value, PluginOptions *options)
{
	const char *p;
	TableRule  *rule = rule_for("row_filter", value, &p, ROW_FILTER_HINT, options);

	while (scanner_isspace(*p))
		p++;
	if (pg_strncasecmp(p, "where", 5) != 0 || !scanner_isspace(p[5]))
		malformed("row_filter", value, "The table must be followed by WHERE and an expression.",
				  ROW_FILTER_HINT);
	p += 5;
	while (scanner_isspace(*p))
		p++;
	if (*p == '\0')
		malformed("row_filter", value, "The expression is empty.", ROW_FILTER_HINT);
	if (rule->row_filter != NULL)
		malformed("row_filter", value, "The table has a row filter already.", ROW_FILTER_HINT);
	rule->row_filter = pstrdup(p);
}

#define OPERATIONS_HINT "Give 'schema.table' and a comma-separated list of insert, update, delete and truncate, or none."

/* One operation name at *p (case-insensitive); 0 when there is none. */
static int
read_operation(const char **p)
{
	static const struct
	{
		const char *name;
		int			bit;
	}			names[] = {
		{"insert", PGDUPLEX_OP_INSERT}, {"update", PGDUPLEX_OP_UPDATE},
		{"delete", PGDUPLEX_OP_DELETE}, {"truncate", PGDUPLEX_OP_TRUNCATE},
	};

	for (int i = 0; i < (int) lengthof(names); i++)
	{
		size_t		len = strlen(names[i].name);

		if (pg_strncasecmp(*p, names[i].name, len) == 0 &&
			((*p)[len] == '\0' || (*p)[len] == ',' || scanner_isspace((*p)[len])))
		{
			*p += len;
			return names[i].bit;
		}
	}
	return 0;
}

void
parse_operations_option(const char *value, PluginOptions *options)
{
	const char *p;
	TableRule  *rule = rule_for("operations", value, &p, OPERATIONS_HINT, options);
	int			operations = 0;

	if (rule->operations_given)
		malformed("operations", value, "The table has operations already.", OPERATIONS_HINT);
	while (scanner_isspace(*p))
		p++;
	if (pg_strcasecmp(p, "none") != 0)
	{
		for (;;)
		{
			int			bit = read_operation(&p);

			if (bit == 0)
				malformed("operations", value, "An operation is unknown or missing.", OPERATIONS_HINT);
			operations |= bit;
			while (scanner_isspace(*p))
				p++;
			if (*p == '\0')
				break;
			if (*p != ',')
				malformed("operations", value, "Operations must be separated by commas.", OPERATIONS_HINT);
			p++;
			while (scanner_isspace(*p))
				p++;
		}
	}
	rule->operations = operations;
	rule->operations_given = true;
}

static const TableRule *
find_by_name(const PluginOptions *options, const char *schema, const char *table)
{
	ListCell   *lc;

	if (schema == NULL || table == NULL)
		return NULL;
	foreach(lc, options->table_rules)
	{
		const TableRule *rule = (const TableRule *) lfirst(lc);

		if (strcmp(rule->schema, schema) == 0 && strcmp(rule->table, table) == 0)
			return rule;
	}
	return NULL;
}

const TableRule *
find_table_rule(const PluginOptions *options, Relation rel)
{
	const TableRule *rule;
	ListCell   *lc;

	if (options->table_rules == NIL)
		return NULL;
	rule = find_by_name(options, get_namespace_name(RelationGetNamespace(rel)),
						RelationGetRelationName(rel));
	if (rule != NULL || !rel->rd_rel->relispartition)
		return rule;
	foreach(lc, get_partition_ancestors(RelationGetRelid(rel)))
	{
		Oid			ancestor = lfirst_oid(lc);

		rule = find_by_name(options, get_namespace_name(get_rel_namespace(ancestor)),
							get_rel_name(ancestor));
		if (rule != NULL)
			return rule;
	}
	return NULL;
}

bool
table_rules_pass(RelationEntry *entry, ReorderBufferChange *change,
				 ReorderBufferChangeType *action)
{
	int			bit;

	*action = change->action;
	if (entry->row_filter != NULL && !row_filter_judge(entry->row_filter, change, action))
		return false;
	switch (*action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			bit = PGDUPLEX_OP_INSERT;
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			bit = PGDUPLEX_OP_UPDATE;
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			bit = PGDUPLEX_OP_DELETE;
			break;
		default:
			return true;
	}
	return (entry->operations & bit) != 0;
}
