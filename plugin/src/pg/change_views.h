/*
 * change_views.h — PostgreSQL data turned into core's plain views.
 *
 * Everything here allocates in CurrentMemoryContext, which the callers make
 * the per-change context (reset after every change), and may ERROR like any
 * catalog access; no C++ object is alive in these frames.
 *
 * Requires postgres.h.
 */
#ifndef PGDUPLEX_PG_CHANGE_VIEWS_H
#define PGDUPLEX_PG_CHANGE_VIEWS_H

extern "C" {
#include "access/htup.h"
#include "utils/relcache.h"
}

#include "pg/relation_cache.h"

/*
 * One value per travelling column of entry into out: NULL, unchanged TOAST
 * (an on-disk TOAST pointer; never fetched) or the text of the type's output
 * function.
 */
extern void tuple_to_values(RelationEntry *entry, Relation rel, HeapTuple tuple,
							pgduplex::ValueView *out);

/* The Relation record's contents for rel (names converted to UTF-8). */
extern void describe_relation(Relation rel, RelationEntry *entry,
							  pgduplex::RelationView *view);

/* s in the server encoding, as UTF-8 (s itself when nothing changes). */
extern const char *server_to_utf8(const char *s, size_t len);

#endif							/* PGDUPLEX_PG_CHANGE_VIEWS_H */
