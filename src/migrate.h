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

/* the predefined role that may read server files (catalog/pg_authid.h) */
#if PG_VERSION_NUM >= 140000
#define MIGRATE_ROLE_READ_SERVER_FILES	ROLE_PG_READ_SERVER_FILES
#else
#define MIGRATE_ROLE_READ_SERVER_FILES	DEFAULT_ROLE_READ_SERVER_FILES
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
	Oid			argtypes[12];
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

/* Work to run in a subtransaction (runner.c). */
typedef void (*MigrateWork) (void *arg);

/* in migrate.c */
extern bool migrate_lock_wait;
extern char *migrate_environment;

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
extern int	migrate_next_batch(void);
extern Tuplestorestate *migrate_materialize_srf(FunctionCallInfo fcinfo,
												TupleDesc *tupdesc);

#endif							/* MIGRATE_H */
