/*-------------------------------------------------------------------------
 *
 * common.h
 *	  What every subsystem of migrate builds on: its settings, generic
 *	  helpers for SQL-callable functions, and access to migrate's own
 *	  tables.
 *
 * This is the bottom layer.  Nothing here calls into engine/, ddl/,
 * schema/ or files/; they all call down into it.
 *
 * IDENTIFICATION
 *	  src/common/common.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_COMMON_H
#define MIGRATE_COMMON_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/tuplestore.h"

#include "compat.h"

/* The extension's schema. */
#define MIGRATE_SCHEMA		"migrate"

/*
 * One of migrate's own queries, prepared once per backend (store.c).
 */
#define MIGRATE_QUERY_MAX_ARGS	20

/*
 * The rows "l" of migrate.ddl_log that are drift: DDL outside migrations
 * and outside extension scripts (their CREATE or ALTER EXTENSION statement
 * is the drift) that no capture() or dismiss_drift() has settled, however
 * many deploys ran since.  Shared by drift.c and the engine's warning.
 */
#define MIGRATE_DRIFT_CONDITION \
	"l.migration IS NULL AND l.extension IS NULL" \
	" AND l.id OPERATOR(pg_catalog.>) COALESCE(" \
	"       (SELECT pg_catalog.max(s.through_id) FROM migrate.drift_settled s), 0)"

/*
 * The same for a database whose extension is still at 0.1.0 (no
 * migrate.drift_settled): 0.1.0's drift, since the newest history entry.
 */
#define MIGRATE_DRIFT_CONDITION_0_1 \
	"l.migration IS NULL AND l.extension IS NULL" \
	" AND l.at OPERATOR(pg_catalog.>) COALESCE(" \
	"       (SELECT pg_catalog.max(h.started_at) FROM migrate.history h)," \
	"       '-infinity'::pg_catalog.timestamptz)"

/*
 * A down script that holds this comment is incomplete: capture() writes
 * it for each statement whose inverse it does not know.  Such a migration
 * is irreversible (status, rollback, export) until the down script is
 * completed; MIGRATE_IRREVERSIBLE is the test, in SQL, for down script
 * "col".
 */
#define MIGRATE_NO_INVERSE "-- no inverse known"
#define MIGRATE_IRREVERSIBLE(col) \
	"(" col " IS NULL OR pg_catalog.strpos(" col ", '" MIGRATE_NO_INVERSE "')" \
	" OPERATOR(pg_catalog.>) 0)"

typedef struct MigrateQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[MIGRATE_QUERY_MAX_ARGS];
	SPIPlanPtr	plan;			/* set on first use */
	const char *sql_0_1;		/* the query for a database still at 0.1.0,
								 * when it differs */
	SPIPlanPtr	plan_0_1;
} MigrateQuery;

/*
 * A column of a table of migrate's that migrate_store_append() writes
 * without SQL: the name and type it must have in the table.
 */
typedef struct MigrateStoreColumn
{
	const char *name;
	Oid			type;
} MigrateStoreColumn;

/* The values of migrate.strict, weakest first (settings.c). */
typedef enum MigrateStrictMode
{
	MIGRATE_STRICT_OFF,
	MIGRATE_STRICT_WARN,
	MIGRATE_STRICT_ON
} MigrateStrictMode;

/* Work to run in a subtransaction (util.c). */
typedef void (*MigrateWork) (void *arg);

/* in settings.c */
extern bool migrate_lock_wait;
extern int	migrate_lock_timeout;

/* migrate.lock_timeout = -1 for a migration in the caller's transaction */
#define MIGRATE_DEFAULT_LOCK_TIMEOUT_MS 3000
extern int	migrate_effective_lock_timeout(bool in_worker);
extern bool migrate_schema_is_0_1(void);
extern int	migrate_lock_retries;
extern char *migrate_environment;
extern int	migrate_strict;
extern bool migrate_allow_drop;

extern void migrate_define_settings(void);
extern bool migrate_parse_strict(const char *value, int *mode);

/* in util.c */
extern void migrate_spi_connect(void);
extern Tuplestorestate *migrate_materialize_srf(FunctionCallInfo fcinfo,
												TupleDesc *tupdesc);
extern char *migrate_text_arg(FunctionCallInfo fcinfo, int argno);
extern Datum migrate_interval_datum(int64 usecs);
extern Datum migrate_text_or_null(const char *s, char *null);
extern Datum migrate_name_datum(const char *s);
extern char *migrate_current_user_name(void);
extern void migrate_in_subtransaction(MigrateWork work, void *arg, bool keep);
extern bool migrate_try_in_subtransaction(MigrateWork work, void *arg);
extern ErrorData *migrate_subtransaction_error(MigrateWork work, void *arg);

/* in sequence.c */
extern int64 migrate_sequence_next(Oid seqid);

/* in store.c */
extern Oid	migrate_owner(void);
extern int	migrate_store_exec(MigrateQuery *query, Datum *values,
							   const char *nulls, long count);
extern char *migrate_store_getstr(int row, int col);
extern Datum migrate_store_getdatum(int row, int col, bool *isnull);
extern void migrate_store_done(void);
extern bool migrate_store_append(const char *relname, int natts,
								 const MigrateStoreColumn *columns,
								 Datum *values, bool *nulls);

#endif							/* MIGRATE_COMMON_H */
