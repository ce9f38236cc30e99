/*
 * run_as.cpp — lets the apply worker act as another role without giving
 * that role's code a way back to the worker's rights.
 *
 *   pgduplex.run_as(role oid, key text) RETURNS void
 *
 * Row changes are applied as the table's owner and DDL as its author (as
 * PostgreSQL 16+ subscriptions do, with SwitchToUntrustedUser): triggers,
 * CHECK constraints, index expressions and defaults run that role's code.
 * A plain SET ROLE is not enough, since that code could RESET ROLE back to
 * the worker's (often superuser) role. So:
 *
 *   - role <> 0 switches the current user to `role` inside a
 *     security-restricted operation (SET ROLE, RESET ROLE and SET SESSION
 *     AUTHORIZATION fail there, as do temporary tables), and opens a GUC
 *     nest level so that every setting the role's code changes is undone
 *     at the switch back (a search_path or DateStyle left behind would
 *     change what the worker's next statements mean).
 *   - role = 0 switches back to the worker identity.
 *
 * The key. The switch back must be the worker's alone: the role's code runs
 * in the same session and could call this function too. The first call in
 * a session fixes a key (the worker sends a fresh random one as a bind
 * parameter, so it appears in no query text); every later call must bring
 * the same key. The first call also fixes the worker identity: the current
 * user and security context at that moment, which must not be inside a
 * security-restricted operation.
 *
 * Rules the caller keeps (checked):
 *   - the worker identity is a superuser or a member of `role`;
 *   - switch back at the savepoint level where it switched;
 *   - switch back before COMMIT (a commit while switched is an ERROR, so
 *     nothing the role's code set survives).
 * A rollback (of the transaction, or of a savepoint taken before the
 * switch) already returns to the worker identity and undoes the settings.
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(pgduplex_run_as);
}

#define RUN_AS_MIN_KEY 16
#define RUN_AS_MAX_KEY 256

typedef struct RunAsState
{
	bool		key_set;
	int			key_len;
	char		key[RUN_AS_MAX_KEY];
	Oid			worker_userid;
	int			worker_sec_context;
	/* While switched: */
	int			guc_nestlevel;	/* opened by the switch; 0 when none */
	int			xact_nestlevel; /* savepoint level of the switch */
} RunAsState;

static RunAsState run_as_state;

static bool
is_switched(void)
{
	Oid			userid;
	int			sec_context;

	if (!run_as_state.key_set)
		return false;
	GetUserIdAndSecContext(&userid, &sec_context);
	return userid != run_as_state.worker_userid ||
		sec_context != run_as_state.worker_sec_context;
}

/* Constant time, so the comparison tells nothing about how much matched. */
static bool
key_matches(const char *key, int len)
{
	unsigned char diff = (unsigned char) (len != run_as_state.key_len);

	for (int i = 0; i < run_as_state.key_len; i++)
		diff |= (unsigned char) (run_as_state.key[i] ^ (i < len ? key[i] : 0));
	return diff == 0;
}

/* A commit must not keep the role's identity or what its code set. */
static void
run_as_xact_callback(XactEvent event, void *arg)
{
	if ((event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT ||
		 event == XACT_EVENT_PRE_PREPARE) && is_switched())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("pgduplex.run_as: transaction ends while acting as another role"),
				 errhint("Call pgduplex.run_as(0, key) before COMMIT.")));
}

static void
fix_key(const char *key, int len)
{
	static bool callback_registered = false;

	if (InSecurityRestrictedOperation() || InLocalUserIdChange())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgduplex.run_as: the first call of a session cannot run inside a "
						"security-restricted operation")));
	if (len < RUN_AS_MIN_KEY || len > RUN_AS_MAX_KEY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex.run_as: the key must have %d to %d bytes",
						RUN_AS_MIN_KEY, RUN_AS_MAX_KEY)));
	if (!callback_registered)
	{
		RegisterXactCallback(run_as_xact_callback, NULL);
		callback_registered = true;
	}
	memcpy(run_as_state.key, key, len);
	run_as_state.key_len = len;
	GetUserIdAndSecContext(&run_as_state.worker_userid, &run_as_state.worker_sec_context);
	run_as_state.guc_nestlevel = 0;
	run_as_state.key_set = true;
}

static void
switch_back(void)
{
	if (!is_switched())
	{
		/* Never switched, or a rollback already undid the switch. */
		run_as_state.guc_nestlevel = 0;
		return;
	}
	if (GetCurrentTransactionNestLevel() != run_as_state.xact_nestlevel)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("pgduplex.run_as: switch back at the savepoint level of the switch")));
	if (run_as_state.guc_nestlevel > 0)
		AtEOXact_GUC(false, run_as_state.guc_nestlevel);
	run_as_state.guc_nestlevel = 0;
	SetUserIdAndSecContext(run_as_state.worker_userid, run_as_state.worker_sec_context);
}

static void
switch_to(Oid role)
{
	Oid			worker = run_as_state.worker_userid;

	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pgduplex.run_as: role with OID %u does not exist", role)));
	if (role == worker)
		return;
	if (!superuser_arg(worker) && !is_member_of_role(worker, role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot act as role \"%s\"",
						GetUserNameFromId(worker, false), GetUserNameFromId(role, false)),
				 errhint("GRANT \"%s\" TO \"%s\";",
						 GetUserNameFromId(role, false), GetUserNameFromId(worker, false))));
	SetUserIdAndSecContext(role, run_as_state.worker_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	run_as_state.guc_nestlevel = NewGUCNestLevel();
	run_as_state.xact_nestlevel = GetCurrentTransactionNestLevel();
}

extern "C" Datum
pgduplex_run_as(PG_FUNCTION_ARGS)
{
	Oid			role;
	text	   *key;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pgduplex.run_as: role and key must not be NULL")));
	role = PG_GETARG_OID(0);
	key = PG_GETARG_TEXT_PP(1);

	if (!run_as_state.key_set)
		fix_key(VARDATA_ANY(key), (int) VARSIZE_ANY_EXHDR(key));
	else if (!key_matches(VARDATA_ANY(key), (int) VARSIZE_ANY_EXHDR(key)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgduplex.run_as: wrong key")));

	switch_back();
	if (OidIsValid(role))
		switch_to(role);
	PG_RETURN_VOID();
}
