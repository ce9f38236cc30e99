/*
 * sql_functions.cpp — SQL-callable functions of the extension.
 *
 *   pgduplex.record_to_json(bytea) RETURNS jsonb
 *     Renders one record (a row of pg_logical_slot_peek_binary_changes with
 *     this plugin) as jsonb; see core/record_json.h for the layout. A
 *     corrupt or truncated record is an ERROR.
 */
#include "core/record_renderer.h"
#include "core/status.h"

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/fmgrprotos.h"

PG_FUNCTION_INFO_V1(pgduplex_record_to_json);
}

/* Decoding buffers, kept for the life of the backend. */
static pgduplex::RecordRenderer *renderer = NULL;

extern "C" Datum
pgduplex_record_to_json(PG_FUNCTION_ARGS)
{
	bytea	   *record = PG_GETARG_BYTEA_PP(0);
	pgduplex::Status status;

	if (renderer == NULL)
	{
		renderer = pgduplex::RecordRenderer::Create();
		if (renderer == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
	}
	status = renderer->Render(VARDATA_ANY(record), VARSIZE_ANY_EXHDR(record));
	if (!status.ok())
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("pgduplex: invalid record: %s", status.message())));
	/* The JSON is UTF-8; jsonb_in reads the database encoding. */
	return DirectFunctionCall1(jsonb_in,
							   CStringGetDatum(pg_any_to_server(renderer->json(),
																(int) renderer->json_size(),
																PG_UTF8)));
}
