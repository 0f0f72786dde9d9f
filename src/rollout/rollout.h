/*-------------------------------------------------------------------------
 *
 * rollout.h
 *	  DBA-driven rollouts: lint() and lint_sql(), findings from
 *	  PostgreSQL's parse tree sized by the live catalog, and plan(), which
 *	  runs the pending migrations in a subtransaction, measures what each
 *	  statement locks, rewrites and writes, and rolls everything back, and
 *	  verify(), which runs each pending migration's up, down and up again
 *	  in a subtransaction, compares schema() between them and rolls
 *	  everything back.
 *
 * The rollout subsystem sits beside ddl, schema and files: it calls down
 * into the engine (scripts, plans, steps) and common, never the reverse.
 * Where the engine must consult it (lint at add(), with
 * migrate.lint_level), the engine exposes a hook that init.c sets when
 * the module loads.
 *
 * IDENTIFICATION
 *	  src/rollout/rollout.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_ROLLOUT_H
#define MIGRATE_ROLLOUT_H

#include "engine/engine.h"
#include "storage/lock.h"
#include "storage/lockdefs.h"
#include "utils/hsearch.h"
#include "utils/snapshot.h"

/* in init.c */
extern void migrate_rollout_init(void);

/*
 * lint (lint*.c)
 */

/* How bad a finding is; the order is the order of severity. */
typedef enum MigrateLintSeverity
{
	MIGRATE_LINT_INFO,
	MIGRATE_LINT_WARNING,
	MIGRATE_LINT_ERROR
} MigrateLintSeverity;

/*
 * A table a script touches, sized from the live catalog (lint_size.c).
 * rows and bytes are -1 when not known.
 */
typedef struct MigrateLintTable
{
	Oid			relid;
	char	   *name;			/* schema-qualified, quoted as needed */
	char		relkind;
	bool		sized;			/* rows, bytes and activity are set */
	double		rows;			/* pg_class.reltuples, or the live tuples */
	int64		bytes;			/* main fork and TOAST, or relpages */
	int64		activity;		/* scans and rows written since the
								 * statistics were reset */
} MigrateLintTable;

/*
 * One finding: a row of lint() and lint_sql().
 */
typedef struct MigrateLintFinding
{
	const char *rule;
	MigrateLintSeverity severity;
	int			statement;		/* 1-based */
	int			line;
	char	   *relation;		/* or NULL */
	const char *lockmode;		/* the lock the statement takes, or NULL */
	double		rows;			/* -1: not known or not applicable */
	int64		bytes;
	int64		activity;
	char	   *cost;			/* or NULL */
	char	   *message;
	char	   *safer;			/* the statements to use instead, or NULL */
	char	   *acknowledged;	/* reason of a migrate:lint-ok comment */
} MigrateLintFinding;

/* An UPDATE or DELETE of an existing table, judged once the script is read. */
typedef struct MigrateLintBackfill
{
	int			statement;		/* 0-based */
	MigrateLintTable *table;
	const char *command;
} MigrateLintBackfill;

/*
 * A script being linted.  Everything that outlives one statement lives in
 * "cxt"; each statement's parse tree and scratch in "stmtcxt", reset after
 * it.
 */
typedef struct MigrateLintState
{
	const MigrateScript *script;
	MemoryContext cxt;
	MemoryContext stmtcxt;
	List	   *findings;
	List	   *tables;			/* MigrateLintTable *, sized once */
	List	   *created;		/* names of relations the script creates */
	List	   *validated;		/* tables with a VALIDATE CONSTRAINT */
	List	   *exclusive;		/* existing tables locked ACCESS EXCLUSIVE */
	List	   *backfills;		/* MigrateLintBackfill * */
	bool		transactional;
	bool		timeout;		/* a lock timeout is in force */
	bool		timeout_reported;
	int			ddl_statement;	/* first statement that locks an existing
								 * table for DDL, or -1 */
	int			current;		/* statement being linted, 0-based */
	char	   *sql;			/* its text */
} MigrateLintState;

/* in lint.c */
extern int	migrate_lint_level;
extern void migrate_lint_init(void);
extern const char *migrate_lint_severity_name(MigrateLintSeverity severity);

/* in lint_rules.c: the driver */
extern List *migrate_lint_script(const MigrateScript *script,
								 bool transactional);

/* in lint_finding.c: what the rules share */
extern const char *migrate_lint_lock_name(LOCKMODE mode);
extern MigrateLintFinding *migrate_lint_add_finding(MigrateLintState *ls,
													const char *rule,
													MigrateLintSeverity severity,
													MigrateLintTable *t,
													LOCKMODE mode,
													const char *cost,
													const char *message,
													const char *safer);
extern MigrateLintSeverity migrate_lint_in_use_severity(MigrateLintTable *t);
extern MigrateLintTable *migrate_lint_lookup_table(MigrateLintState *ls,
												   RangeVar *rv);
extern void migrate_lint_note_created(MigrateLintState *ls, RangeVar *rv);
extern void migrate_lint_note_lock(MigrateLintState *ls, MigrateLintTable *t,
								   LOCKMODE mode);
extern char *migrate_lint_insert_after_word(const char *sql, const char *word,
											const char *insert);
extern bool migrate_lint_volatile(Node *node, void *context);
extern const char *migrate_lint_type_name(const TypeName *tn);
extern bool migrate_lint_is_serial(const char *name);
extern void migrate_lint_column_type(MigrateLintState *ls, const char *relname,
									 const char *colname, const TypeName *tn,
									 bool key);
extern bool migrate_lint_has_constraint(List *constraints, ConstrType contype);

/* in lint_alter.c */
extern void migrate_lint_alter_table(MigrateLintState *ls,
									 AlterTableStmt *stmt);

/* in lint_commands.c */
extern void migrate_lint_index(MigrateLintState *ls, IndexStmt *stmt);
extern void migrate_lint_rename(MigrateLintState *ls, RenameStmt *stmt);
extern void migrate_lint_drop(MigrateLintState *ls, DropStmt *stmt);
extern void migrate_lint_maintenance(MigrateLintState *ls, Node *stmt);
extern void migrate_lint_set(MigrateLintState *ls, VariableSetStmt *stmt);
extern void migrate_lint_backfill(MigrateLintState *ls, RangeVar *rv,
								  const char *command);

/* in lint_size.c */
extern int	migrate_lint_rows_warning;
extern int	migrate_lint_rows_error;
extern int	migrate_lint_bytes_warning;
extern int	migrate_lint_bytes_error;
extern MigrateLintTable *migrate_lint_table(List **tables, Oid relid);
extern void migrate_lint_size(MigrateLintTable *t);
extern MigrateLintSeverity migrate_lint_size_severity(MigrateLintTable *t);
extern char *migrate_lint_size_text(MigrateLintTable *t);
extern bool migrate_lint_sequence_use(Oid relid, char **column,
									  char **sequence, double *used);

/*
 * plan (measure*.c)
 */

/* migrate.plan_lock_timeout, ms (measure.c) */
extern int	migrate_plan_lock_timeout;

/*
 * The relation locks this backend holds, as plan() has seen them so far:
 * relation OID to the mask of lock modes held (measure_locks.c).
 */
typedef struct MigrateHeldLock
{
	Oid			relid;			/* hash key */
	LOCKMASK	held;
	bool		ignored;		/* a catalog's or migrate's: not reported */
} MigrateHeldLock;

/*
 * Everything plan() remembers of this backend's locks between statements
 * (measure_locks.c): the relation locks seen, and where each of its lock
 * table entries stood at the last look.
 */
typedef struct MigrateHeldLocks MigrateHeldLocks;

/* in measure.c */
extern void migrate_measure_init(void);

/* in measure_locks.c */
extern MigrateHeldLocks *migrate_held_locks_create(void);
extern List *migrate_locks_taken(MigrateHeldLocks *held, List **waiters);
extern char *migrate_lock_relation_name(Oid relid);
extern Snapshot migrate_relfilenodes_before(void);
extern char *migrate_relation_name_around(Oid relid, Snapshot before);
extern bool migrate_relation_rewritten(Oid relid, Snapshot before);
extern void migrate_lock_wait_watch(int timeout_ms);
extern void migrate_lock_wait_unwatch(void);
extern bool migrate_lock_waited(LOCKTAG *tag, LOCKMODE *mode);
extern void migrate_lock_wait_forget(void);
extern List *migrate_lock_blockers(const LOCKTAG *tag, LOCKMODE mode);

/*
 * One of migrate's own sequences, as it was before a call that is rolled
 * back (sequences.c): plan() and verify() put them back.
 */
#define MIGRATE_OWN_SEQUENCES	2

typedef struct MigrateOwnSequence
{
	const char *seqname;		/* "migrate.history_id_seq" */
	int64		last_value;
	bool		is_called;
	bool		lock_protected; /* written only under the migrate lock */
	MigrateQuery *read;			/* reads its state */
	MigrateQuery *mine;			/* the xmin of the rows numbered after a value */
} MigrateOwnSequence;

/* in sequences.c */
extern void migrate_own_sequences_save(MigrateOwnSequence *own);
extern int64 migrate_own_sequence_given(const MigrateOwnSequence *s);
extern int64 migrate_own_sequence_ours(const MigrateOwnSequence *s, int64 since);
extern int64 migrate_own_sequence_restore(MigrateOwnSequence *s, int64 explained);

/*
 * verify (verify.c)
 *
 * The results of verify(), one per migration, as migrate.verifications
 * records them (its CHECK constraint lists the same words).
 */
#define MIGRATE_VERIFY_OK				"ok"
#define MIGRATE_VERIFY_NOT_REVERSIBLE	"not reversible"	/* no down script */
#define MIGRATE_VERIFY_IRREVERSIBLE		"irreversible"	/* an incomplete one */
#define MIGRATE_VERIFY_NON_TRANSACTIONAL "non-transactional"
#define MIGRATE_VERIFY_UP_FAILS			"up fails"
#define MIGRATE_VERIFY_DOWN_FAILS		"down fails"
#define MIGRATE_VERIFY_SCHEMA_DIFFERS	"schema differs"
#define MIGRATE_VERIFY_NOT_REPEATABLE	"not repeatable"

/*
 * approvals (approve.c) and releases (release.c)
 */

/* SQLSTATE of a refusal of unapproved migrations */
#define MIGRATE_ERRCODE_UNAPPROVED	MAKE_SQLSTATE('M', 'G', '0', '0', '3')
/* SQLSTATE of a release that differs from what was approved */
#define MIGRATE_ERRCODE_RELEASE_CHANGED	MAKE_SQLSTATE('M', 'G', '0', '0', '4')

/* A pending migration without a valid approval. */
typedef struct MigrateUnapproved
{
	char	   *version;
	char	   *name;
	char	   *checksum;
	char	   *state;			/* unapproved, approval revoked, approval
								 * void: text changed */
} MigrateUnapproved;

/* in approve.c */
extern bool migrate_require_approval;
extern char *migrate_approver_role;
extern bool migrate_allow_self_approval;
extern void migrate_approve_init(void);
extern void migrate_check_approvals(const List *entries, bool can_commit);
extern List *migrate_unapproved(const List *entries);
extern char *migrate_approvers_text(void);
extern bool migrate_may_approve(void);
extern void migrate_refuse_unapproved(const List *unapproved, bool release);
extern void migrate_record_approval_event(const char *version,
										  const char *name,
										  const char *checksum,
										  const char *action,
										  const char *detail);
extern void migrate_record_plan(const char *version, int statements,
								List *locks, List *rewritten,
								const char *outcome, const char *note);

/* in release.c */
extern void migrate_check_release(const List *entries, bool can_commit);

/* in lint.c */
extern List *migrate_lint_lines(const char *version, const char *up,
								bool transactional);

#endif							/* MIGRATE_ROLLOUT_H */
