/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  Shared declarations of the migrate extension.
 *
 * The extension keeps its registry of migrations and the record of what
 * was applied in tables of schema "migrate" and runs migrations inside the
 * server.  Declarations are grouped by the file that defines them.
 *
 * IDENTIFICATION
 *	  src/migrate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

/*
 * Version differences live here, as macros, so the .c files read the same
 * on every supported server (13 to 17).
 */
#if PG_VERSION_NUM >= 140000
#define migrate_raw_parser(str)		raw_parser((str), RAW_PARSE_DEFAULT)
#else
#define migrate_raw_parser(str)		raw_parser(str)
#endif

#if PG_VERSION_NUM >= 150000
#define migrate_reserve_guc_prefix(p)	MarkGUCPrefixReserved(p)
#else
#define migrate_reserve_guc_prefix(p)	EmitWarningsOnPlaceholders(p)
#endif

/* ProcessUtility_hook's parameters: 14 added readOnlyTree. */
#if PG_VERSION_NUM >= 140000
#define MIGRATE_UTILITY_HOOK_PARAMS \
	PlannedStmt *pstmt, const char *queryString, bool readOnlyTree, \
	ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define MIGRATE_UTILITY_HOOK_ARGS \
	pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc
#else
#define MIGRATE_UTILITY_HOOK_PARAMS \
	PlannedStmt *pstmt, const char *queryString, \
	ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define MIGRATE_UTILITY_HOOK_ARGS \
	pstmt, queryString, context, params, queryEnv, dest, qc
#endif

/* CREATE OR REPLACE TRIGGER came in 14. */
#if PG_VERSION_NUM >= 140000
#define migrate_trigger_replace(stmt)	((stmt)->replace)
#else
#define migrate_trigger_replace(stmt)	false
#endif

/* The extension's schema. */
#define MIGRATE_SCHEMA		"migrate"

/* Longest version accepted, as in the registry's CHECK constraint. */
#define MIGRATE_VERSION_MAXLEN	128

/* Length of a checksum in hex (SHA-256). */
#define MIGRATE_CHECKSUM_LEN	64

/*
 * One statement of a migration script, as found by PostgreSQL's parser.
 */
typedef struct MigrateStatement
{
	int			location;		/* byte offset of its first token */
	int			len;			/* bytes from the first token to its end */
	int			line;			/* 1-based line of the first token */
	Node	   *parsetree;		/* raw parse tree */
	const char *top_level_only; /* command that cannot run in a transaction
								 * block, or NULL */
} MigrateStatement;

/*
 * A migration script split into statements.
 */
typedef struct MigrateScript
{
	const char *version;		/* the migration, for messages */
	const char *direction;		/* "up" or "down", for messages */
	const char *text;			/* the whole script */
	int			nstatements;
	MigrateStatement *statements;
	int			first_top_level;	/* index of the first top-level-only
									 * statement, or -1 */
} MigrateScript;

/*
 * What one migration step did; a row of latest(), rollback() and friends.
 */
typedef struct MigrateStepResult
{
	char	   *version;
	char	   *name;
	int64		duration_us;
	int			statements;
} MigrateStepResult;

/*
 * One of migrate's own queries, prepared once per backend (catalog.c).
 */
typedef struct MigrateQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[20];
	SPIPlanPtr	plan;			/* set on first use */
} MigrateQuery;

/*
 * The SQL that recreates an object as it was before a command changed or
 * dropped it (ddl_objects.c).
 */
typedef struct MigrateDefinition
{
	Oid			classid;
	Oid			objid;
	char	   *sql;
	int			natts;			/* a replaced view's number of columns */
	char	   *sql_if_grown;	/* for a view that gained columns */
} MigrateDefinition;

/* Work to run in a subtransaction (runner.c). */
typedef void (*MigrateWork) (void *arg);

/* in migrate.c */
extern bool migrate_lock_wait;
extern bool migrate_strict;

/* in version.c */
extern void migrate_check_version(const char *version, const char *argname);
extern bytea *migrate_version_sort_key(const char *version);
extern int	migrate_version_compare(const char *a, const char *b);

/* in script.c */
extern MigrateScript *migrate_parse_script(const char *version,
										   const char *direction,
										   const char *text,
										   bool registering);
extern char *migrate_statement_text(const MigrateScript *script, int i);
extern char *migrate_statement_first_line(const MigrateScript *script, int i);
extern void migrate_statement_bounds(const char *text, int textlen,
									 int location, int len,
									 int *start, int *end);
extern bool migrate_script_is_blank(const char *text);

/* in checksum.c */
extern char *migrate_checksum(const char *up, const char *down);

/* in lock.c */
extern void migrate_lock_acquire(void);

/* in catalog.c */
extern int	migrate_catalog_exec(MigrateQuery *query, Datum *values,
								 const char *nulls, long count);
extern char *migrate_catalog_getstr(int row, int col);
extern Datum migrate_catalog_getdatum(int row, int col, bool *isnull);
extern void migrate_catalog_done(void);
extern char *migrate_current_user_name(void);

/* in registry.c */
extern const char *migrate_register(const char *version, const char *up,
									const char *down, const char *name,
									bool transactional);
extern const char *migrate_register_args(FunctionCallInfo fcinfo,
										 char **version);
extern bool migrate_transactional_arg(FunctionCallInfo fcinfo, int argno);

/* in runner.c */
extern bool migrate_in_migration(void);
extern const char *migrate_current_migration(void);
extern void migrate_mark_applied(const char *version, int batch,
								 const char *action);
extern int	migrate_run_script(const char *version, const char *name,
							   const char *direction, const char *text);
extern void migrate_in_subtransaction(MigrateWork work, void *arg, bool keep);
extern MigrateStepResult *migrate_apply_step(const char *version, int batch);
extern MigrateStepResult *migrate_revert_step(const char *version);

/* in commands.c */
extern void migrate_call_begin(void);
extern void migrate_call_end(void);
extern void migrate_spi_connect(void);
extern int	migrate_next_batch(void);
extern Tuplestorestate *migrate_materialize_srf(FunctionCallInfo fcinfo,
												TupleDesc *tupdesc);

/* in ddl_statement.c */
extern void migrate_ddl_statement_init(void);
extern bool migrate_ddl_statement_hooked(Node *parsetree);
extern bool migrate_ddl_statement_running(void);
extern char *migrate_ddl_statement_text(Node *parsetree, bool *top_level);

/* in ddl_objects.c */
extern bool migrate_ddl_names_temporary(Node *parsetree);
extern bool migrate_ddl_object_temporary(Oid classid, Oid objid);
extern bool migrate_ddl_grant_temporary(ObjectType objtype, List *objects);
extern int	migrate_ddl_relation_columns(Oid relid);
extern List *migrate_ddl_definitions_before(Node *parsetree,
											MemoryContext resultcxt);
extern bool migrate_ddl_try(MigrateWork work, void *arg);

/* in ddl_log.c */
extern void migrate_ddl_init(void);

#endif							/* MIGRATE_H */
