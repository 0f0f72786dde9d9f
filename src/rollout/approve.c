/*-------------------------------------------------------------------------
 *
 * approve.c
 *	  Approvals: approve() and revoke_approval(), who may approve, the
 *	  approval settings, and the check of migrate.require_approval that
 *	  the engine calls before it applies pending migrations.
 *
 * An approval is for one checksum of a migration's text: it is valid
 * while it is not revoked and the registered text still has that
 * checksum, so any change of the text voids it without anyone touching
 * the approval.  approve() records, next to who and when, the lint
 * findings and the last plan() summary (migrate.plans) as they were, so
 * that what the approver read stays known.
 *
 * Who may approve: members of migrate.approver_role, or when it is empty
 * superusers and members of the extension's owner role.  Nobody approves
 * a migration registered under their own role unless
 * migrate.allow_self_approval is on (separation of duties).  All three
 * settings are PGC_SUSET: a deploy role may neither turn the gate off nor
 * make itself an approver.
 *
 * The engine calls migrate_pending_check_hook (engine/plan.c, set by
 * init.c) with the migrations latest(), up(), apply() or run() is about
 * to apply; migrate_check_approvals() refuses, naming all of them at
 * once, those without a valid approval.  Each refusal is a history row.  run() lets it commit
 * that row before the error; latest(), up() and apply() run in the
 * caller's transaction, which the error rolls back with the row (no
 * autonomous transaction is worth a background worker here): the
 * refusal is then in the server log and the client's error only.
 *
 * approve() and revoke_approval() take the migrate lock, so they wait for
 * a latest() or run() in progress and are never half-seen by one: a
 * migration is approved before a call checks it or after the call is
 * done.
 *
 * IDENTIFICATION
 *	  src/rollout/approve.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "rollout/rollout.h"

PG_FUNCTION_INFO_V1(migrate_approve);
PG_FUNCTION_INFO_V1(migrate_revoke_approval);

/* migrate.require_approval: pending migrations need a valid approval */
bool		migrate_require_approval = false;

/* migrate.approver_role: who approves; empty: superusers and the owner */
char	   *migrate_approver_role = NULL;

/* migrate.allow_self_approval: the role that registered may approve */
bool		migrate_allow_self_approval = false;

/*
 * The approval state of migration "m" (a row of migrate.migrations), as
 * the views migrate.status and migrate.review show it.
 */
#define APPROVAL_STATE_SQL \
	"(SELECT CASE" \
	"   WHEN pg_catalog.bool_or(p.checksum OPERATOR(pg_catalog.=) m.checksum" \
	"                           AND p.revoked_at IS NULL) THEN 'approved'" \
	"   WHEN pg_catalog.bool_or(p.revoked_at IS NULL) THEN 'approval void: text changed'" \
	"   WHEN pg_catalog.bool_or(p.checksum OPERATOR(pg_catalog.=) m.checksum) THEN 'approval revoked'" \
	"   ELSE 'unapproved' END" \
	"  FROM migrate.approvals p WHERE p.version OPERATOR(pg_catalog.=) m.version)"

static MigrateQuery unapproved_query = {
	.sql =
		"SELECT m.version, m.name, m.checksum, " APPROVAL_STATE_SQL
		"  FROM pg_catalog.unnest($1) WITH ORDINALITY u(version, n)"
		"  JOIN migrate.migrations m ON m.version OPERATOR(pg_catalog.=) u.version"
		" WHERE " APPROVAL_STATE_SQL " OPERATOR(pg_catalog.<>) 'approved'"
		" ORDER BY u.n",
	.nargs = 1,
	.argtypes = {TEXTARRAYOID}
};

static MigrateQuery record_history_query = {
	.sql =
		"INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"    started_at, duration, role, detail)"
		" VALUES ($1, $2, $3, 0, $4, pg_catalog.clock_timestamp(),"
		"    '0'::pg_catalog.interval, $5, $6)",
	.nargs = 6,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, NAMEOID, TEXTOID}
};

static MigrateQuery migration_query = {
	.sql =
		"SELECT m.name, m.up, m.transactional, m.checksum, m.added_by::pg_catalog.text,"
		"       a.version IS NOT NULL, " APPROVAL_STATE_SQL
		"  FROM migrate.migrations m"
		"  LEFT JOIN migrate.applied a ON a.version OPERATOR(pg_catalog.=) m.version"
		" WHERE m.version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery applied_query = {
	.sql =
		"SELECT 1 FROM migrate.applied WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery own_approval_query = {
	.sql =
		"SELECT id FROM migrate.approvals"
		" WHERE version OPERATOR(pg_catalog.=) $1 AND checksum OPERATOR(pg_catalog.=) $2"
		"   AND approved_by OPERATOR(pg_catalog.=) $3 AND revoked_at IS NULL",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, NAMEOID}
};

static MigrateQuery insert_approval_query = {
	.sql =
		"INSERT INTO migrate.approvals (version, checksum, approved_by, note, lint, plan)"
		" SELECT $1, $2, $3, $4, $5,"
		"        (SELECT pg_catalog.jsonb_build_object('outcome', p.outcome,"
		"                'statements', p.statements, 'locks', p.locks,"
		"                'rewritten', p.rewritten, 'note', p.note,"
		"                'planned_at', p.planned_at, 'planned_by', p.planned_by)"
		"           FROM migrate.plans p"
		"          WHERE p.version OPERATOR(pg_catalog.=) $1"
		"            AND p.checksum OPERATOR(pg_catalog.=) $2)"
		" RETURNING id",
	.nargs = 5,
	.argtypes = {TEXTOID, TEXTOID, NAMEOID, TEXTOID, TEXTARRAYOID}
};

static MigrateQuery revoke_query = {
	.sql =
		"UPDATE migrate.approvals"
		"   SET revoked_at = pg_catalog.now(), revoked_by = $2, revoke_note = $3"
		" WHERE version OPERATOR(pg_catalog.=) $1 AND revoked_at IS NULL",
	.nargs = 3,
	.argtypes = {TEXTOID, NAMEOID, TEXTOID}
};

static MigrateQuery plan_record_query = {
	.sql =
		"INSERT INTO migrate.plans AS p (version, checksum, statements, locks,"
		"    rewritten, outcome, note, planned_by)"
		" SELECT m.version, m.checksum, $2, $3, $4, $5, $6, $7"
		"   FROM migrate.migrations m WHERE m.version OPERATOR(pg_catalog.=) $1"
		" ON CONFLICT (version) DO UPDATE"
		"   SET checksum = excluded.checksum, statements = excluded.statements,"
		"       locks = excluded.locks, rewritten = excluded.rewritten,"
		"       outcome = excluded.outcome, note = excluded.note,"
		"       planned_at = excluded.planned_at, planned_by = excluded.planned_by",
	.nargs = 7,
	.argtypes = {TEXTOID, INT4OID, TEXTARRAYOID, TEXTARRAYOID, TEXTOID,
	TEXTOID, NAMEOID}
};

/* a text[] of a list of C strings */
static Datum
text_array(const List *strings)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(strings), 1));
	int			n = 0;
	const ListCell *lc;

	foreach(lc, strings)
		elems[n++] = CStringGetTextDatum((const char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * Append a history row for an approval event of a migration: "approve",
 * "revoke_approval" or "refuse".
 */
void
migrate_record_approval_event(const char *version, const char *name,
							  const char *checksum, const char *action,
							  const char *detail)
{
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(version);
	values[1] = migrate_text_or_null(name, &nulls[1]);
	values[2] = CStringGetTextDatum(action);
	values[3] = CStringGetTextDatum(checksum);
	values[4] = migrate_name_datum(migrate_current_user_name());
	values[5] = migrate_text_or_null(detail, &nulls[5]);
	(void) migrate_store_exec(&record_history_query, values, nulls, 0);
}

/*
 * The migrations of "entries" (MigratePlanEntry) without a valid approval,
 * in order, as MigrateUnapproved.
 */
List *
migrate_unapproved(const List *entries)
{
	List	   *versions = NIL;
	List	   *result = NIL;
	const ListCell *lc;
	Datum		arg;
	uint64		i;

	foreach(lc, entries)
		versions = lappend(versions,
						   ((const MigratePlanEntry *) lfirst(lc))->version);
	arg = text_array(versions);
	(void) migrate_store_exec(&unapproved_query, &arg, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		MigrateUnapproved *u = palloc0(sizeof(MigrateUnapproved));

		u->version = migrate_store_getstr(i, 1);
		u->name = migrate_store_getstr(i, 2);
		u->checksum = migrate_store_getstr(i, 3);
		u->state = migrate_store_getstr(i, 4);
		result = lappend(result, u);
	}
	migrate_store_done();
	return result;
}

/*
 * Who may approve, for hints: "a member of role x", or superusers and
 * the owner.
 */
char *
migrate_approvers_text(void)
{
	if (migrate_approver_role && migrate_approver_role[0] != '\0')
		return psprintf(_("a member of role \"%s\""), migrate_approver_role);
	return psprintf(_("a superuser or a member of role \"%s\" (the extension's owner)"),
					GetUserNameFromId(migrate_owner(), false));
}

/*
 * Whether the current user may approve, revoke approvals, and schedule
 * or cancel releases.
 */
bool
migrate_may_approve(void)
{
	Oid			me = GetUserId();

	if (migrate_approver_role && migrate_approver_role[0] != '\0')
	{
		Oid			role = get_role_oid(migrate_approver_role, true);

		return OidIsValid(role) && is_member_of_role(me, role);
	}
	return superuser() || has_privs_of_role(me, migrate_owner());
}

static void
refuse_approver(const char *version, bool approving)
{
	if (approving)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not approve migration \"%s\"",
						migrate_current_user_name(), version),
				 errdetail("Only %s may approve migrations or revoke approvals. Nothing was changed.",
						   migrate_approvers_text()),
				 errhint("Ask one of them to review it in migrate.review; a superuser designates the approvers with migrate.approver_role.")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" may not revoke the approval of migration \"%s\"",
					migrate_current_user_name(), version),
			 errdetail("Only %s may approve migrations or revoke approvals. Nothing was changed.",
					   migrate_approvers_text()),
			 errhint("Ask one of them to review it in migrate.review; a superuser designates the approvers with migrate.approver_role.")));
}

/*
 * The hint of a refusal of "n" unapproved migrations, the first "version":
 * who approves them, and how.
 */
static int
approve_hint(int n, const char *version)
{
	if (n == 1 && migrate_allow_self_approval)
		return errhint("Review it in migrate.review; then %s approves it with SELECT migrate.approve('%s', note => '...').",
					   migrate_approvers_text(), version);
	if (n == 1)
		return errhint("Review it in migrate.review; then %s, not the role that registered it, approves it with SELECT migrate.approve('%s', note => '...').",
					   migrate_approvers_text(), version);
	if (migrate_allow_self_approval)
		return errhint("Review them in migrate.review; then %s approves each with SELECT migrate.approve(version, note => '...').",
					   migrate_approvers_text());
	return errhint("Review them in migrate.review; then %s, not the role that registered it, approves each with SELECT migrate.approve(version, note => '...').",
				   migrate_approvers_text());
}

/*
 * Refuse the migrations "unapproved" (MigrateUnapproved), all named in
 * one error; "release" for a release whose approvals no longer hold.
 */
void
migrate_refuse_unapproved(const List *unapproved, bool release)
{
	StringInfoData names;
	StringInfoData states;
	const ListCell *lc;
	int			n = list_length(unapproved);
	const MigrateUnapproved *first = linitial(unapproved);

	initStringInfo(&names);
	initStringInfo(&states);
	foreach(lc, unapproved)
	{
		const MigrateUnapproved *u = lfirst(lc);

		appendStringInfo(&names, "%s\"%s\"", names.len ? ", " : "", u->version);
		appendStringInfo(&states, "%s\"%s\": %s", states.len ? "; " : "",
						 u->version, u->state);
	}
	ereport(ERROR,
			(errcode(MIGRATE_ERRCODE_UNAPPROVED),
			 errmsg_plural("migration %s has no valid approval",
						   "migrations %s have no valid approval",
						   n, names.data),
			 release ?
			 errdetail("A release runs only approved migrations (%s). Nothing was scheduled.",
					   states.data) :
			 errdetail("migrate.require_approval is on (%s). Nothing was applied.",
					   states.data),
			 approve_hint(n, first->version)));
}

/*
 * Part of the engine's check before it applies "entries" (init.c): with
 * migrate.require_approval on, refuse those without a valid approval,
 * recording each refusal in the history (committed first when the caller
 * allows it, so that it survives the error).
 */
void
migrate_check_approvals(const List *entries, bool can_commit)
{
	List	   *unapproved;
	ListCell   *lc;

	if (!migrate_require_approval)
		return;
	unapproved = migrate_unapproved(entries);
	if (unapproved == NIL)
		return;
	foreach(lc, unapproved)
	{
		MigrateUnapproved *u = lfirst(lc);

		migrate_record_approval_event(u->version, u->name, u->checksum, "refuse",
									  psprintf("migrate.require_approval: %s", u->state));
	}
	if (can_commit)
		SPI_commit();
	migrate_refuse_unapproved(unapproved, false);
}

/*
 * The pending migration "version" to approve ("approving") or whose
 * approvals to revoke, or an error: unknown, applied, or the caller may
 * not.  Fills in its name, up script,
 * checksum, registering role and approval state.
 */
typedef struct ApprovalTarget
{
	char	   *name;
	char	   *up;
	bool		transactional;
	char	   *checksum;
	char	   *added_by;
	char	   *state;
} ApprovalTarget;

static void
load_target(const char *version, ApprovalTarget *t, bool approving)
{
	Datum		arg = CStringGetTextDatum(version);
	bool		isnull;
	bool		applied;

	(void) migrate_store_exec(&migration_query, &arg, NULL, 1);
	if (SPI_processed == 0)
	{
		migrate_store_done();
		(void) migrate_store_exec(&applied_query, &arg, NULL, 1);
		applied = SPI_processed > 0;
		migrate_store_done();
		if (applied)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration \"%s\" is not pending", version),
					 errdetail("It is applied and no longer registered: only a pending migration is approved. Nothing was changed.")));
		migrate_refuse_unknown(version);
	}
	t->name = migrate_store_getstr(0, 1);
	t->up = migrate_store_getstr(0, 2);
	t->transactional = DatumGetBool(migrate_store_getdatum(0, 3, &isnull));
	t->checksum = migrate_store_getstr(0, 4);
	t->added_by = migrate_store_getstr(0, 5);
	applied = DatumGetBool(migrate_store_getdatum(0, 6, &isnull));
	t->state = migrate_store_getstr(0, 7);
	migrate_store_done();
	if (applied && approving)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is not pending", version),
				 errdetail("It is applied already: only a pending migration can be approved. Nothing was changed."),
				 errhint("SELECT * FROM migrate.review lists the pending migrations.")));
	if (applied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is not pending", version),
				 errdetail("It is applied already: only the approval of a pending migration can be revoked. Nothing was changed."),
				 errhint("SELECT * FROM migrate.review lists the pending migrations.")));
	if (!migrate_may_approve())
		refuse_approver(version, approving);
}

/*
 * approve(version text, note text) returns bigint
 */
Datum
migrate_approve(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	char	   *note = migrate_text_arg(fcinfo, 1);
	char	   *me;
	ApprovalTarget t;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	int64		id;

	if (version == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"version\" of migrate.approve() must not be NULL"),
				 errhint("Pass the version of a pending migration: SELECT * FROM migrate.review lists them.")));
	migrate_check_version(version, "version");
	migrate_call_begin();
	me = migrate_current_user_name();
	load_target(version, &t, true);

	if (!migrate_allow_self_approval && strcmp(t.added_by, me) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not approve migration \"%s\", which it registered",
						me, version),
				 errdetail("Approvals separate duties: the role that registers a migration does not approve it. Nothing was changed."),
				 errhint("Ask another approver (%s); a superuser can allow it for small teams with migrate.allow_self_approval = on.",
						 migrate_approvers_text())));

	/* the same approver approving the same text again changes nothing */
	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(t.checksum);
	values[2] = migrate_name_datum(me);
	(void) migrate_store_exec(&own_approval_query, values, NULL, 1);
	if (SPI_processed > 0)
	{
		id = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
		migrate_store_done();
		ereport(NOTICE,
				(errmsg("migration \"%s\" is already approved by role \"%s\"",
						version, me),
				 errdetail("Approval " INT64_FORMAT " of this text stands. Nothing was changed.", id)));
		migrate_call_end();
		PG_RETURN_INT64(id);
	}
	migrate_store_done();

	values[3] = migrate_text_or_null(note, &nulls[3]);
	values[4] = text_array(migrate_lint_lines(version, t.up, t.transactional));
	(void) migrate_store_exec(&insert_approval_query, values, nulls, 1);
	id = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();
	migrate_record_approval_event(version, t.name, t.checksum, "approve", note);

	if (strcmp(t.state, "approval void: text changed") == 0)
		ereport(NOTICE,
				(errmsg("approved migration \"%s\"; an earlier approval of other text of it is void",
						version)));
	migrate_call_end();
	PG_RETURN_INT64(id);
}

/*
 * revoke_approval(version text, note text) returns bigint
 */
Datum
migrate_revoke_approval(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	char	   *note = migrate_text_arg(fcinfo, 1);
	ApprovalTarget t;
	Datum		values[3];
	uint64		revoked;

	if (version == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"version\" of migrate.revoke_approval() must not be NULL"),
				 errhint("Pass the version of a pending migration: SELECT * FROM migrate.review lists them.")));
	migrate_check_version(version, "version");
	if (note == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"note\" of migrate.revoke_approval() must not be NULL"),
				 errdetail("A revocation records why. Nothing was changed."),
				 errhint("SELECT migrate.revoke_approval('%s', note => 'why').", version)));
	migrate_call_begin();
	load_target(version, &t, false);

	values[0] = CStringGetTextDatum(version);
	values[1] = migrate_name_datum(migrate_current_user_name());
	values[2] = CStringGetTextDatum(note);
	(void) migrate_store_exec(&revoke_query, values, NULL, 0);
	revoked = SPI_processed;
	if (revoked == 0)
		ereport(NOTICE,
				(errmsg("migration \"%s\" has no approval to revoke", version),
				 errdetail("Nothing was changed.")));
	else
		migrate_record_approval_event(version, t.name, t.checksum,
									  "revoke_approval", note);
	migrate_call_end();
	PG_RETURN_INT64((int64) revoked);
}

/*
 * Record the summary of the last plan() of "version": the statements it
 * measured, the locks it took, the relations it rewrote, its outcome.
 * plan() calls it after its rollback.
 */
void
migrate_record_plan(const char *version, int statements, List *locks,
					List *rewritten, const char *outcome, const char *note)
{
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(version);
	values[1] = Int32GetDatum(statements);
	values[2] = text_array(locks);
	values[3] = text_array(rewritten);
	values[4] = CStringGetTextDatum(outcome);
	values[5] = migrate_text_or_null(note, &nulls[5]);
	values[6] = migrate_name_datum(migrate_current_user_name());
	(void) migrate_store_exec(&plan_record_query, values, nulls, 0);
}

/*
 * The approval settings.
 */
void
migrate_approve_init(void)
{
	DefineCustomBoolVariable("migrate.require_approval",
							 "Refuses to apply pending migrations that have no valid approval.",
							 "latest(), up(), apply() and run() name the migrations whose current "
							 "text nobody approved with migrate.approve(). Only a superuser "
							 "changes it: set it per database or role.",
							 &migrate_require_approval,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("migrate.approver_role",
							   "Sets the role whose members may approve migrations.",
							   "Empty: superusers and members of the extension's owner role.",
							   &migrate_approver_role,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("migrate.allow_self_approval",
							 "Lets an approver approve a migration registered under its own role.",
							 "Off by default, to separate duties; on for small teams.",
							 &migrate_allow_self_approval,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}
