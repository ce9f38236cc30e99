/*
 * tombstone_keys.h — the pieces tombstones.cpp, value_claims.cpp,
 * keyless_successors.cpp and partition_membership.cpp share: which index
 * is a table's key, which table a partition's rows are kept under, and the
 * byte form of index values (each column's binary send output behind a
 * 4-byte length, -1 for NULL; see tombstones.cpp). Most are defined in
 * tombstone_keys.cpp.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "access/htup.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
}

/* The key index of rel: its replica identity index, else its primary key. */
Oid			key_index_of(Relation rel);

/* The root of rel's partition tree (rel itself when it is no partition). */
Oid			root_of(Relation rel);

/*
 * Opens (AccessShareLock) the root of relid's partition tree, relid itself
 * when it is no partition: tombstones and claims are kept under the root,
 * whichever partition the worker applies to.
 */
Relation	open_root(Oid relid);

/* Appends one value (of type `type`) in the byte form to key. */
void		append_key_value(StringInfo key, Oid type, bool isnull, Datum value);

/* The bytes of key as a bytea. */
bytea	   *bytes_of(StringInfo key);

/*
 * Checks a lookup function's call and finds what it reads: the pgduplex
 * table `table` and its primary key `<table>_pkey` exist (their OIDs go to
 * *table_oid and *index_oid), and the caller may SELECT from relid; ERRORs
 * naming `function` otherwise.
 */
void		check_lookup(const char *function, Oid relid, const char *table, Oid *table_oid, Oid *index_oid);

/*
 * Runs the INSERT `sql` (prepared once into *plan and kept) with `values`
 * (and `nulls`, as SPI_execute_plan takes them; NULL: none) through SPI;
 * `what` names it in errors.
 */
void		insert_with_kept_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types, Datum *values,
								  const char *nulls, const char *what);

/*
 * A local UPDATE (new_tuple set) or DELETE (new_tuple NULL) of old_tuple in
 * rel: remembers in pgduplex.value_claims each value of a unique index
 * other than the key index that the row gave up, held since the commit
 * time of old_tuple. No-op before extension 1.3.
 */
void		remember_released_values(Relation rel, HeapTuple old_tuple, HeapTuple new_tuple);

/*
 * Would a row with these named text values (columns[i] = values[i]) go into
 * `partition`, a partition of root's tree? False when the partition was
 * dropped or detached, or a column its bounds read is not given
 * (partition_membership.cpp).
 */
bool		row_belongs_to_partition(Relation root, Oid partition, ArrayType *columns, ArrayType *values);

/* When a pgduplex.tombstones row was written: its commit time, else deleted_at. */
TimestampTz tombstone_written_at(HeapTuple tuple, TupleDesc desc);

/*
 * A local DELETE (new_tuple NULL) or UPDATE of old_tuple in rel, a table
 * without a key index: remembers the whole old value and what it became
 * (keyless_successors.cpp). No-op for a keyed table, and before extension 1.4.
 */
void		remember_keyless_change(Relation rel, HeapTuple old_tuple, HeapTuple new_tuple);

/* The columns text[] and values text[] arguments of a lookup function. */
typedef struct NamedValues
{
	Datum	   *names;
	bool	   *names_null;
	Datum	   *texts;
	bool	   *texts_null;
	int			n;
} NamedValues;

/* Deconstructs them; ERRORs naming `function` when their lengths differ. */
void		named_values(const char *function, ArrayType *columns, ArrayType *values, NamedValues *out);
