/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  The migration engine: versions, scripts, the registry, plans, steps
 *	  and their history rows, batches, CALL run() and its worker, the
 *	  migrate lock, seeds and environments.
 *
 * Entry points (commands.c, procedure.c, registry.c, seed.c) call down
 * into plan.c, step.c, exec.c and script.c, which call down into
 * common/.  Nothing in the engine calls into ddl/, schema/ or files/:
 * they are built on it.
 *
 * IDENTIFICATION
 *	  src/engine/engine.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_ENGINE_H
#define MIGRATE_ENGINE_H

#include "postgres.h"

#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "tcop/cmdtag.h"
#include "utils/timestamp.h"

#include "common/common.h"

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
	CommandTag	tag;			/* its command */
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
 * (exec.c).
 */
typedef struct MigrateExec
{
	const char *version;
	const char *name;
	MigrateScript *script;
	int			current;		/* statement running, or -1 */
	const char *sql;			/* its text, as it runs */
	int		   *failed;			/* where to note the failing statement, or
								 * NULL */
	const char *saved_version;
	ErrorContextCallback callback;
} MigrateExec;

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
	const char *detail;			/* recorded as the history row's detail */
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
	char	   *applied_after;	/* versions applied after it, quoted, or
								 * NULL */
	int			napplied_after; /* how many */
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

/*
 * Called before (after = false) and after (after = true, with the rows it
 * processed) each statement a migration script runs through SPI in the
 * caller's backend (exec.c).  plan() (rollout/measure.c) sets it for the
 * duration of its call, to measure each statement: the engine knows
 * nothing of what is measured.  Not called when a statement fails.
 */
typedef void (*MigrateStatementHook) (const MigrateExec *run, int i,
									  bool after, uint64 processed);

/* Called between two attempts of a step (CALL migrate.run() commits). */
typedef void (*MigrateBetweenAttempts) (void);

/* in version.c */
extern void migrate_check_version(const char *version, const char *argname);
extern void migrate_check_new_version(const char *version);
extern bytea *migrate_version_sort_key(const char *version);
extern int	migrate_version_compare(const char *a, const char *b);
extern int	migrate_sort_key_compare(const bytea *a, const bytea *b);

/* in checksum.c */
extern char *migrate_checksum(const char *up, const char *down);

/* in script.c */
extern MigrateScript *migrate_parse_script(const char *version,
										   const char *direction,
										   const char *text,
										   bool registering);
extern char *migrate_statement_text(const MigrateScript *script, int i);
extern Node *migrate_statement_parsetree(const MigrateScript *script, int i);
extern char *migrate_statement_first_line(const MigrateScript *script, int i);
extern void migrate_statement_bounds(const char *text, int textlen,
									 int location, int len,
									 int *start, int *end);
extern bool migrate_script_is_blank(const char *text);
extern const char *migrate_statement_top_level_only(Node *stmt);
extern RangeVar *migrate_statement_relation(Node *stmt);

/* in exec.c */
extern PGDLLIMPORT MigrateStatementHook migrate_statement_hook;
extern bool migrate_in_migration(void);
extern void migrate_refuse_in_migration(void);
extern const char *migrate_current_migration(void);
extern void migrate_exec_begin(MigrateExec *run, const char *version,
							   const char *name, MigrateScript *script);
extern char *migrate_exec_statement(MigrateExec *run, int i);
extern void migrate_exec_end(MigrateExec *run);
extern int	migrate_exec_script(const char *version, const char *name,
								const char *direction, const char *text,
								int *failed);

/* in lock.c */
extern void migrate_lock_acquire(void);
extern void migrate_session_lock_acquire(void);
extern void migrate_session_lock_release(void);
extern void migrate_worker_lock_acquire(void);
extern void migrate_call_begin(void);
extern void migrate_call_end(void);

/* in environment.c */
extern Datum migrate_environments_arg(FunctionCallInfo fcinfo, int argno,
									  bool *isnull);
extern bool migrate_set_environments(const char *version, Datum environments,
									 bool isnull);
extern bool migrate_skipped_in_environment(const char *version);
extern char *migrate_environments_literal(Datum environments);

/* in registry.c */

/*
 * Called by registration (add(), apply(), load(), load_files()) with a
 * migration's parsed up script just before its row is written, when the
 * registry is about to change (not for identical text again).  It may
 * raise an ERROR to refuse the migration: nothing is registered then.
 * The rollout subsystem sets it for migrate.lint_level; the engine
 * cannot call up into it.
 */
typedef void (*migrate_register_check_hook_type) (const char *version,
												  const char *name,
												  const MigrateScript *up,
												  bool transactional);
extern PGDLLIMPORT migrate_register_check_hook_type migrate_register_check_hook;

extern const char *migrate_register(const char *version, const char *up,
									const char *down, const char *name,
									bool transactional, const char *sort_as,
									bool warn_replaced);
extern const char *migrate_register_file(const char *version, const char *up,
										 const char *down, const char *name,
										 bool transactional,
										 const char *sort_as);
extern const char *migrate_register_args(FunctionCallInfo fcinfo,
										 char **version);
extern bool migrate_transactional_arg(FunctionCallInfo fcinfo, int argno);

/*
 * Called with the pending migrations a call is about to apply (a List of
 * MigratePlanEntry), before any of them runs: latest(), up(), apply() and
 * run() share it.  The rollout subsystem sets it for
 * migrate.require_approval and raises the error that names every
 * migration it refuses; "can_commit" says the caller (run()) lets it
 * commit what it records before raising it.
 */
typedef void (*migrate_pending_check_hook_type) (const List *entries,
												 bool can_commit);
extern PGDLLIMPORT migrate_pending_check_hook_type migrate_pending_check_hook;

/* in plan.c */
extern void migrate_check_pending(const List *entries, bool can_commit);
extern void migrate_check_not_modified(void);
extern char *migrate_highest_applied(void);
extern void migrate_notice_nothing_pending(const char *target);
extern MigratePlanEntry *migrate_highest_applied_entry(void);
extern int	migrate_next_batch(void);
extern void migrate_describe_version(const char *version,
									 MigrateVersionInfo *info);
/*
 * The versions nearest to an unknown one, for its error (plan.c).
 */
typedef struct MigrateNearest
{
	char	   *typos;			/* quoted versions a typo away, or NULL */
	int			ntypos;
	char	   *before;			/* the version just before it, or NULL */
	char	   *after;			/* the version just after it, or NULL */
} MigrateNearest;

extern void migrate_nearest_names(MigrateQuery *query, const char *version,
								  MigrateNearest *nearest);
extern void migrate_nearest_versions(const char *version, MigrateNearest *nearest);
extern int	migrate_errdetail_nearest(const MigrateNearest *nearest);
extern int	migrate_errhint_nearest(const MigrateNearest *nearest,
									const char *otherwise);
extern void migrate_refuse_unknown(const char *version);
extern int64 migrate_drift_statements(void);
extern void migrate_warn_drift(void);
extern void migrate_refuse_non_transactional(const char *version, bool up);
extern void migrate_refuse_irreversible(const char *version);
extern void migrate_warn_out_of_order(const MigratePlanEntry *e,
									  const MigratePlanEntry *highest);
extern bytea *migrate_target_key(const char *to, bool *zero);
extern List *migrate_plan_applies(const bytea *upto,
								  bool allow_non_transactional);
extern List *migrate_plan_reverts(bool all, const bytea *above,
								  bool allow_non_transactional);

/* in procedure.c */
extern void migrate_run_procedure(const char *target);

/* in seed.c */
extern void migrate_check_seed_name(const char *name);
extern void migrate_refuse_unknown_seed(const char *name);

/* in step.c */
extern void migrate_step_load(MigrateStep *step, const char *version,
							  bool up, int batch);
extern void migrate_step_record(const MigrateStep *step);
extern void migrate_step_record_event(const MigrateStep *step,
									  const char *action, const char *detail);
extern MigrateStepResult *migrate_step_result(const MigrateStep *step,
											  MemoryContext resultcxt);
extern void migrate_step_report(const MigrateStep *step);
extern int	migrate_errdetail_statements(int statements, int64 duration_us);
extern int	migrate_errdetail_step(int statements, int64 duration_us);
extern char *migrate_format_duration(int64 duration_us);
extern void migrate_progress_begin(int count);
extern void migrate_progress_end(bool up, bool report);
extern MigrateStepResult *migrate_apply_step(const char *version, int batch,
											 MigrateBetweenAttempts between);
extern MigrateStepResult *migrate_revert_step(const char *version,
											  MigrateBetweenAttempts between);
extern void migrate_mark_applied(const char *version, int batch,
								 const char *action);
extern void migrate_mark_applied_because(const char *version, int batch,
										 const char *action,
										 const char *reason);

/* in worker.c */
extern MigrateStepResult *migrate_worker_step(const char *version, bool up,
											  int batch);

#endif							/* MIGRATE_ENGINE_H */
