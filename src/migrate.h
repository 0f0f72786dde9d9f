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
#include "nodes/primnodes.h"
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
#define migrate_analyze_and_rewrite(raw, sql) \
	pg_analyze_and_rewrite_fixedparams((raw), (sql), NULL, 0, NULL)
#else
#define migrate_analyze_and_rewrite(raw, sql) \
	pg_analyze_and_rewrite((raw), (sql), NULL, 0, NULL)
#endif

#if PG_VERSION_NUM < 150000
/* SPI_commit() starts the next transaction itself since PostgreSQL 15 */
#define migrate_spi_commit() (SPI_commit(), SPI_start_transaction())
#else
#define migrate_spi_commit() SPI_commit()
#endif

#if PG_VERSION_NUM >= 150000
#define migrate_reserve_guc_prefix(p)	MarkGUCPrefixReserved(p)
#else
#define migrate_reserve_guc_prefix(p)	EmitWarningsOnPlaceholders(p)
#endif

/* the predefined role that may read server files (catalog/pg_authid.h) */
#if PG_VERSION_NUM >= 140000
#define MIGRATE_ROLE_READ_SERVER_FILES	ROLE_PG_READ_SERVER_FILES
#else
#define MIGRATE_ROLE_READ_SERVER_FILES	DEFAULT_ROLE_READ_SERVER_FILES
#endif

/* SQL text for catalog columns new in 14 (multiranges, compression...) */
#if PG_VERSION_NUM >= 140000
#define migrate_sql_pg14(newer, older)	newer
#else
#define migrate_sql_pg14(newer, older)	older
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

/*
 * The "direction" of a seed's script (seed.c): a script is a migration's
 * "up" or "down", or a seed's.
 */
#define MIGRATE_SEED_SCRIPT	"seed"

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
 * A script being run: what the error context and pg_stat_activity say
 * (runner.c).
 */
typedef struct MigrateRun
{
	const char *version;
	const char *name;
	MigrateScript *script;
	int			current;		/* statement running, or -1 */
	int		   *failed;			/* where to note the failing statement, or
								 * NULL */
	const char *saved_version;
	ErrorContextCallback callback;
} MigrateRun;

/*
 * One migration step, as loaded from migrate's tables (step.c).
 */
typedef struct MigrateStep
{
	char	   *version;
	bool		up;				/* applying, or reverting */
	const char *action;			/* history action: apply, revert, adopt... */
	char	   *name;
	char	   *script;			/* what runs: up_text or down_text */
	char	   *up_text;		/* applying: recorded in the history */
	char	   *down_text;		/* recorded for the revert / run by it */
	bool		transactional;
	char	   *checksum;
	char	   *sort_as;		/* the version it sorts as, or NULL */
	int			batch;
	char	   *role;			/* recorded as who ran it */
	TimestampTz started;
	int64		duration_us;
	int			statements;
} MigrateStep;

/*
 * What is known of one version (plan.c).
 */
typedef struct MigrateVersionInfo
{
	bool		registered;
	bool		applied;
	bool		transactional;
	bool		irreversible;
	char	   *applied_after;	/* versions applied after it, or NULL */
	char	   *name;
} MigrateVersionInfo;

/*
 * One migration to apply or revert in a planned call (plan.c).
 */
typedef struct MigratePlanEntry
{
	char	   *version;
	bytea	   *sort_key;		/* where it sorts */
	bool		up;				/* apply, or revert */
	bool		transactional;
	bool		irreversible;
} MigratePlanEntry;

/* Called between two attempts of a step (CALL migrate.run() commits). */
typedef void (*MigrateBetweenAttempts) (void);

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
 * The migration file formats of other tools that load() reads.
 */
typedef enum MigrateFormat
{
	MIGRATE_FORMAT_NONE,
	MIGRATE_FORMAT_GOLANG,		/* VERSION_name.up.sql + .down.sql */
	MIGRATE_FORMAT_AUTHELIA,	/* [V]VERSION.name.up.sql + .down.sql */
	MIGRATE_FORMAT_FLYWAY,		/* V<version>__desc.sql + U<version>__desc.sql */
	MIGRATE_FORMAT_DIESEL,		/* VERSION_name/up.sql + down.sql */
	MIGRATE_FORMAT_GOOSE,		/* VERSION_name.sql with -- +goose Up/Down */
	MIGRATE_FORMAT_DBMATE,		/* VERSION_name.sql with -- migrate:up/down */
	MIGRATE_FORMAT_PLAIN		/* VERSION_name.sql, up only */
} MigrateFormat;

/*
 * What a file's name says it holds.
 */
typedef enum MigrateFileKind
{
	MIGRATE_FILE_UP,
	MIGRATE_FILE_DOWN,			/* a down, or a Flyway undo */
	MIGRATE_FILE_SECTIONS,		/* both directions in one file */
	MIGRATE_FILE_REPEATABLE,	/* a Flyway repeatable migration */
	MIGRATE_FILE_PROGRAM		/* a goose migration written in Go */
} MigrateFileKind;

typedef struct MigrateFileName
{
	MigrateFormat format;		/* PLAIN for a one-file migration: its
								 * content says goose, dbmate or plain */
	MigrateFileKind kind;
	char	   *version;		/* NULL for a Flyway repeatable */
	char	   *name;			/* NULL when the file names none */
} MigrateFileName;

/*
 * A one-file migration split into its sections.
 */
typedef struct MigrateSections
{
	MigrateFormat format;		/* GOOSE, DBMATE or PLAIN */
	char	   *up;
	char	   *down;			/* NULL without a down section */
	bool		transactional;	/* false: NO TRANSACTION, transaction:false */
	const char *problem;		/* why the file cannot be loaded, or NULL */
} MigrateSections;

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
extern int	migrate_lock_timeout;
extern int	migrate_lock_retries;

extern char *migrate_environment;
extern bool migrate_strict;

/* in version.c */
extern void migrate_check_version(const char *version, const char *argname);
extern bytea *migrate_version_sort_key(const char *version);
extern int	migrate_version_compare(const char *a, const char *b);
extern int	migrate_sort_key_compare(const bytea *a, const bytea *b);

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
extern RangeVar *migrate_statement_relation(Node *stmt);

/* in checksum.c */
extern char *migrate_checksum(const char *up, const char *down);

/* in lock.c */
extern void migrate_lock_acquire(void);
extern void migrate_session_lock_acquire(void);
extern void migrate_session_lock_release(void);
extern void migrate_worker_lock_acquire(void);

/* in catalog.c */
extern int	migrate_catalog_exec(MigrateQuery *query, Datum *values,
								 const char *nulls, long count);
extern char *migrate_catalog_getstr(int row, int col);
extern Datum migrate_catalog_getdatum(int row, int col, bool *isnull);
extern void migrate_catalog_done(void);
extern bool migrate_catalog_append(const char *relname, int natts,
								   Datum *values, bool *nulls);
extern char *migrate_current_user_name(void);

/* in registry.c */
extern const char *migrate_register(const char *version, const char *up,
									const char *down, const char *name,
									bool transactional, const char *sort_as);
extern const char *migrate_register_args(FunctionCallInfo fcinfo,
										 char **version);
extern bool migrate_transactional_arg(FunctionCallInfo fcinfo, int argno);
extern char *migrate_text_arg(FunctionCallInfo fcinfo, int argno);

/* in runner.c */
extern bool migrate_in_migration(void);
extern const char *migrate_current_migration(void);
extern void migrate_run_begin(MigrateRun *run, const char *version,
							  const char *name, MigrateScript *script);
extern char *migrate_run_statement(MigrateRun *run, int i);
extern void migrate_run_end(MigrateRun *run);
extern int	migrate_run_script(const char *version, const char *name,
							   const char *direction, const char *text,
							   int *failed);
extern void migrate_in_subtransaction(MigrateWork work, void *arg, bool keep);

/* in step.c */
extern Datum migrate_interval_datum(int64 usecs);
extern void migrate_step_load(MigrateStep *step, const char *version,
							  bool up, int batch);
extern void migrate_step_record(const MigrateStep *step);
extern void migrate_step_record_event(const MigrateStep *step,
									  const char *action, const char *detail);
extern MigrateStepResult *migrate_step_result(const MigrateStep *step,
											  MemoryContext resultcxt);
extern void migrate_step_report(const MigrateStep *step, const char *how);
extern MigrateStepResult *migrate_apply_step(const char *version, int batch,
											 MigrateBetweenAttempts between);
extern MigrateStepResult *migrate_revert_step(const char *version,
											  MigrateBetweenAttempts between);
extern void migrate_mark_applied(const char *version, int batch,
								 const char *action);

/* in plan.c */
extern void migrate_check_not_modified(void);
extern char *migrate_highest_applied(void);
extern MigratePlanEntry *migrate_highest_applied_entry(void);
extern int	migrate_next_batch(void);
extern void migrate_describe_version(const char *version,
									 MigrateVersionInfo *info);
extern void migrate_refuse_unknown(const char *version);
extern void migrate_refuse_non_transactional(const char *version,
											 const char *what);
extern void migrate_refuse_irreversible(const char *versions, bool plural);
extern void migrate_warn_out_of_order(const MigratePlanEntry *e,
									  const MigratePlanEntry *highest);
extern bytea *migrate_target_key(const char *to, bool *zero);
extern List *migrate_plan_applies(const bytea *upto,
								  bool allow_non_transactional);
extern List *migrate_plan_reverts(bool all, const bytea *above,
								  bool allow_non_transactional);

/* in worker.c */
extern MigrateStepResult *migrate_worker_step(const char *version, bool up,
											  int batch);

/* in formats.c */
extern const char *migrate_format_name(MigrateFormat format);
extern bool migrate_parse_file_name(const char *filename,
									MigrateFileName *out);
extern void migrate_diesel_name(const char *dirname, char **version,
								char **name);
extern int	migrate_number_compare(const char *a, const char *b);
extern int	migrate_flyway_compare(const char *a, const char *b);
extern int	migrate_format_compare(MigrateFormat format, const char *a,
								   const char *b);
extern void migrate_split_sections(const char *text, MigrateSections *out);
extern bool migrate_diesel_transactional(const char *metadata);
extern bool migrate_flyway_transactional(const char *conf);
extern char *migrate_flyway_placeholder(const char *text);

/* in environment.c */
extern Datum migrate_environments_arg(FunctionCallInfo fcinfo, int argno,
									  bool *isnull);
extern bool migrate_set_environments(const char *version, Datum environments,
									 bool isnull);
extern bool migrate_skipped_in_environment(const char *version);
extern char *migrate_environments_literal(Datum environments);

/* in commands.c */
extern void migrate_call_begin(void);
extern void migrate_call_end(void);
extern void migrate_spi_connect(void);
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
