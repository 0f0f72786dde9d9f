/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  Drift: the DDL recorded outside migrations that nobody captured or
 *	  dismissed; drift(), capture(), dismiss_drift() and prune_ddl_log().
 *
 * The drift is what migrate.ddl_log holds outside migrations (migration
 * IS NULL) and outside extension scripts (their CREATE or ALTER EXTENSION
 * statement is the drift) that no capture() or dismiss_drift() settled:
 * each records in migrate.drift_settled the last log id it settled, so
 * drift stays drift across any number of deploys until someone decides.
 *
 * capture() turns the drift into a migration, registered and marked
 * applied without running anything: its up script is the drift's
 * statements in order, its down script their inverses in reverse order,
 * where the inverse is known:
 *   CREATE ... -> DROP ... of the object created (CASCADE for a CREATE
 *     SCHEMA with elements), or the previous definition for CREATE OR
 *     REPLACE of an existing view, function or trigger;
 *   ALTER TABLE ... ADD COLUMN / ADD CONSTRAINT name -> DROP them;
 *   ALTER TABLE ... DROP CONSTRAINT -> the constraint's definition;
 *   ... RENAME ... -> rename back;
 *   DROP of an index, view, function, trigger -> its definition, kept by
 *     the event trigger before the drop;
 *   a statement that changed nothing (IF [NOT] EXISTS) -> nothing.
 * Where the inverse is not known (DROP TABLE, DROP COLUMN, ALTER COLUMN
 * TYPE, GRANT, COMMENT, ...) the down script says so in a comment and the
 * one NOTICE of the capture lists those statements; if no statement has a
 * known inverse, the migration
 * is irreversible (no down script).  inverse.c builds the inverses from
 * the statements' parse trees and the identities the log recorded, so they
 * use the names as the log has them, schema-qualified where it could.
 *
 * IDENTIFICATION
 *	  src/ddl/drift.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "ddl/ddl.h"

PG_FUNCTION_INFO_V1(migrate_drift);
PG_FUNCTION_INFO_V1(migrate_capture);
PG_FUNCTION_INFO_V1(migrate_prune_ddl_log);
PG_FUNCTION_INFO_V1(migrate_drift_count);
PG_FUNCTION_INFO_V1(migrate_dismiss_drift);

/*
 * The queries that read the drift, each with the drift condition of 0.2.0
 * and of a database still at 0.1.0 (common.h).
 */
#define DRIFT_ROWS_SQL(condition) \
	"SELECT l.* FROM migrate.ddl_log l WHERE " condition " ORDER BY l.id"

/* a prune deletes and records itself in one statement */
#define PRUNE_SQL(condition) \
	"WITH d AS (" \
	"  DELETE FROM migrate.ddl_log l" \
	"   WHERE l.at OPERATOR(pg_catalog.<)" \
	"         (pg_catalog.now() OPERATOR(pg_catalog.-) $1)" \
	"     AND NOT ($2 AND " condition ")" \
	"  RETURNING 1)" \
	" INSERT INTO migrate.ddl_log_prunes (role, older_than, keep_drift," \
	"        rows_removed)" \
	" SELECT $3, $1, $2, pg_catalog.count(*) FROM d" \
	" RETURNING rows_removed"

static MigrateQuery drift_query = {
	.sql = DRIFT_ROWS_SQL(MIGRATE_DRIFT_CONDITION),
	.nargs = 0,
	.sql_0_1 = DRIFT_ROWS_SQL(MIGRATE_DRIFT_CONDITION_0_1)
};

static MigrateQuery capture_rows_query = {
	.sql = MIGRATE_COMMAND_ROWS_SQL(MIGRATE_DRIFT_CONDITION),
	.nargs = 0,
	.sql_0_1 = MIGRATE_COMMAND_ROWS_SQL(MIGRATE_DRIFT_CONDITION_0_1)
};

static MigrateQuery drift_last_query = {
	.sql =
		"SELECT pg_catalog.max(l.id), pg_catalog.count(*)::pg_catalog.int8"
		"  FROM migrate.ddl_log l WHERE " MIGRATE_DRIFT_CONDITION
		"   AND ($1 IS NULL OR l.id OPERATOR(pg_catalog.<=) $1)",
	.nargs = 1,
	.argtypes = {INT8OID}
};

static MigrateQuery drift_has_id_query = {
	.sql =
		"SELECT EXISTS (SELECT FROM migrate.ddl_log l"
		"                WHERE l.id OPERATOR(pg_catalog.=) $1 AND " MIGRATE_DRIFT_CONDITION ")",
	.nargs = 1,
	.argtypes = {INT8OID}
};

static MigrateQuery settle_query = {
	.sql =
		"INSERT INTO migrate.drift_settled (through_id, action, version, reason, settled_by)"
		" VALUES ($1, $2, $3, $4, $5)",
	.nargs = 5,
	.argtypes = {INT8OID, TEXTOID, TEXTOID, TEXTOID, NAMEOID}
};

static MigrateQuery version_known_query = {
	.sql =
		"SELECT EXISTS (SELECT FROM migrate.migrations"
		"                WHERE version OPERATOR(pg_catalog.=) $1)"
		"    OR EXISTS (SELECT FROM migrate.applied"
		"                WHERE version OPERATOR(pg_catalog.=) $1)",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery prune_query = {
	.sql = PRUNE_SQL(MIGRATE_DRIFT_CONDITION),
	.nargs = 3,
	.argtypes = {INTERVALOID, BOOLOID, NAMEOID},
	.sql_0_1 = PRUNE_SQL(MIGRATE_DRIFT_CONDITION_0_1)
};

/*
 * Refuse unless the current user has privilege "mode" on migrate.ddl_log:
 * what "function" shows or does amounts to reading ("SELECT") or deleting
 * ("DELETE") the log, which a deploy role's EXECUTE on every routine of
 * the schema must not imply.
 */
void
migrate_ddl_require_log_privilege(AclMode mode, const char *function)
{
	Oid			relid = get_relname_relid("ddl_log",
										  get_namespace_oid(MIGRATE_SCHEMA, false));

	if (pg_class_aclcheck(relid, GetUserId(), mode) == ACLCHECK_OK)
		return;
	if (mode == ACL_DELETE)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s", function),
				 errdetail("migrate.%s() deletes DDL history: it needs the DELETE privilege on table migrate.ddl_log.",
						   function),
				 errhint("A DBA who may destroy the DDL history can be granted it: GRANT DELETE ON migrate.ddl_log TO %s;",
						 quote_identifier(GetUserNameFromId(GetUserId(), false)))));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for function %s", function),
			 errdetail("migrate.%s() shows the text of DDL statements, which can hold secrets: it needs the SELECT privilege on table migrate.ddl_log.",
					   function),
			 errhint("An auditor or a DBA who may read the DDL history can be granted it: GRANT SELECT ON migrate.ddl_log TO %s;",
					 quote_identifier(GetUserNameFromId(GetUserId(), false)))));
}

/*
 * drift() returns setof migrate.ddl_log
 */
Datum
migrate_drift(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	uint64		i;

	migrate_ddl_require_log_privilege(ACL_SELECT, "drift");
	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	migrate_spi_connect();
	(void) migrate_store_exec(&drift_query, NULL, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(tupstore, SPI_tuptable->vals[i]);
	migrate_store_done();
	SPI_finish();

	return (Datum) 0;
}

/*
 * drift_count() returns bigint
 *
 * How many statements drift() would show: a number, not their text, so
 * that migrate.summary can show it to roles that may not read the log.
 */
Datum
migrate_drift_count(PG_FUNCTION_ARGS)
{
	int64		count;

	migrate_spi_connect();
	count = migrate_drift_statements();
	SPI_finish();

	PG_RETURN_INT64(count);
}

/*
 * Append "statement" and its semicolon to "buf": on a line of its own if
 * the statement's last line holds a comment.
 */
static void
append_statement(StringInfo buf, const char *statement)
{
	const char *last_line = strrchr(statement, '\n');

	appendStringInfoString(buf, statement);
	if (strstr(last_line ? last_line : statement, "--"))
		appendStringInfoChar(buf, '\n');
	appendStringInfoString(buf, ";\n");
}

/*
 * What capture() builds.
 */
typedef struct Capture
{
	const char *version;
	const char *name;
	char	   *up;
	char	   *down;			/* NULL: irreversible */
	int			statements;
	bool		transactional;	/* no statement must run at top level */
	int			nunknown;		/* statements with no known inverse */
	int			ninverted;		/* statements with one */
	StringInfoData unknown;		/* their numbers, "2, 5, 9" */
	List	   *roles;			/* roles the statements grant to */
} Capture;

/*
 * Build the up and down scripts of the drift "commands".
 */
static void
build_capture(Capture *cap, List *commands)
{
	StringInfoData up;
	StringInfoData down;
	MigrateScript *script;
	List	   *down_parts = NIL;
	int			ninverted = 0;
	int			nunknown = 0;
	ListCell   *lc;

	initStringInfo(&up);
	initStringInfo(&cap->unknown);
	foreach(lc, commands)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&up, '\n');
		append_statement(&up, ((CapturedCommand *) lfirst(lc))->statement);
	}
	cap->up = up.data;
	cap->statements = list_length(commands);

	script = migrate_parse_script(cap->version, "up", cap->up, true);
	if (script->nstatements != list_length(commands))
		elog(ERROR, "captured %d statements, the script has %d",
			 list_length(commands), script->nstatements);
	cap->transactional = (script->first_top_level < 0);

	foreach(lc, commands)
		((CapturedCommand *) lfirst(lc))->stmt =
			migrate_statement_parsetree(script, foreach_current_index(lc));
	migrate_ddl_net_change(commands, true);
	cap->roles = migrate_ddl_roles_named(commands);
	if (cap->roles != NIL)
	{
		StringInfoData head;

		initStringInfo(&head);
		appendStringInfoString(&head, "-- needs roles:");
		foreach(lc, cap->roles)
			appendStringInfo(&head, " %s", quote_identifier((char *) lfirst(lc)));
		appendStringInfo(&head, "\n%s", cap->up);
		cap->up = head.data;
	}

	foreach(lc, commands)
	{
		int			i = foreach_current_index(lc);
		CapturedCommand *cmd = (CapturedCommand *) lfirst(lc);
		char	   *inverse = migrate_ddl_inverse(cmd->stmt, cmd);

		if (inverse == NULL)
		{
			char	   *first_line = migrate_statement_first_line(script, i);

			nunknown++;
			down_parts = lcons(psprintf(MIGRATE_NO_INVERSE " for statement %d: %s\n",
										i + 1, first_line),
							   down_parts);
			appendStringInfo(&cap->unknown, "%s%d", nunknown > 1 ? ", " : "", i + 1);
		}
		else if (inverse[0] != '\0')
		{
			StringInfoData part;

			initStringInfo(&part);
			append_statement(&part, inverse);
			down_parts = lcons(part.data, down_parts);
			ninverted++;
		}
	}

	/*
	 * A down script with statements that have no inverse keeps them as
	 * comments (MIGRATE_NO_INVERSE): it tells what a rollback would leave,
	 * and it makes the migration irreversible until someone completes it.
	 */
	cap->nunknown = nunknown;
	cap->ninverted = ninverted;
	initStringInfo(&down);
	if (down_parts == NIL)
		appendStringInfoString(&down, "-- the captured statements leave nothing to undo\n");
	foreach(lc, down_parts)
		appendStringInfo(&down, "%s%s", foreach_current_index(lc) > 0 ? "\n" : "",
						 (char *) lfirst(lc));
	cap->down = down.data;
}

/*
 * The one NOTICE of a capture: what it made, what it could not invert,
 * which roles it needs.
 */
static void
capture_notice(Capture *cap)
{
	StringInfoData detail;
	StringInfoData roles;
	const char *hint = NULL;
	ListCell   *lc;

	initStringInfo(&detail);
	initStringInfo(&roles);
	if (cap->nunknown > 0)
	{
		appendStringInfo(&detail,
						 cap->nunknown == 1 ?
						 "Statement %s has no known inverse: the down script names it, and the migration is irreversible until the down script is completed." :
						 "Statements %s have no known inverse: the down script names them, and the migration is irreversible until the down script is completed.",
						 cap->unknown.data);
		hint = "To undo the migration, reverse those statements by hand and record that with migrate.mark_reverted().";
	}
	foreach(lc, cap->roles)
		appendStringInfo(&roles, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
						 quote_identifier((char *) lfirst(lc)));
	if (cap->roles != NIL)
	{
		appendStringInfo(&detail, "%s%s %s, which must exist wherever the migration is applied.",
						 detail.len > 0 ? " " : "",
						 list_length(cap->roles) == 1 ?
						 "It grants privileges to or gives ownership to role" :
						 "It grants privileges to or gives ownership to roles",
						 roles.data);
		if (hint == NULL)
			hint = "Create those roles before the migration runs on another database: roles are not part of a migration.";
	}

	ereport(NOTICE,
			(errmsg_plural("captured %d statement as migration \"%s\", marked applied",
						   "captured %d statements as migration \"%s\", marked applied",
						   cap->statements, cap->statements, cap->version),
			 detail.len > 0 ? errdetail_internal("%s", detail.data) : 0,
			 hint ? errhint("%s", hint) : 0));
}

/*
 * Record that the drift up to log id "through" is settled, by capture()
 * (with the migration's "version") or dismiss_drift() (with a "reason").
 */
static void
settle_drift(int64 through, const char *action, const char *version,
			 const char *reason)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	/* a database still at 0.1.0 settles by its history, as 0.1.0 did */
	if (migrate_schema_is_0_1())
		return;
	values[0] = Int64GetDatum(through);
	values[1] = CStringGetTextDatum(action);
	values[2] = version ? CStringGetTextDatum(version) : (Datum) 0;
	nulls[2] = version ? ' ' : 'n';
	values[3] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	nulls[3] = reason ? ' ' : 'n';
	values[4] = DirectFunctionCall1(namein,
									CStringGetDatum(migrate_current_user_name()));
	(void) migrate_store_exec(&settle_query, values, nulls, 0);
}

/*
 * dismiss_drift(reason text, through_id bigint) returns bigint
 *
 * Acknowledge the drift, or the drift up to and including log entry
 * "through_id", without capturing it: it no longer shows in drift(),
 * summary or check(), and the decision is recorded with who and why.
 * Returns how many statements were dismissed.
 */
Datum
migrate_dismiss_drift(PG_FUNCTION_ARGS)
{
	char	   *reason = migrate_text_arg(fcinfo, 0);
	bool		has_through = !PG_ARGISNULL(1);
	int64		through = has_through ? PG_GETARG_INT64(1) : 0;
	Datum		arg;
	bool		isnull;
	int64		last;
	int64		count;

	if (reason == NULL || reason[strspn(reason, " \t\n\r")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason must not be empty"),
				 errdetail("Nothing was dismissed."),
				 errhint("Say why the drift is acknowledged, for the record: migrate.dismiss_drift(reason => 'made by the ORM at boot, no schema change').")));
	migrate_ddl_require_log_privilege(ACL_SELECT, "dismiss_drift");

	migrate_call_begin();
	if (has_through)
	{
		arg = Int64GetDatum(through);
		(void) migrate_store_exec(&drift_has_id_query, &arg, NULL, 1);
		if (!DatumGetBool(migrate_store_getdatum(0, 1, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("DDL log entry %lld is not drift", (long long) through),
					 errdetail("through_id must be the id of a migrate.ddl_log row that migrate.drift() shows. Nothing was dismissed."),
					 errhint("SELECT id, statement FROM migrate.drift() lists the drift with its ids.")));
		migrate_store_done();
	}
	arg = has_through ? Int64GetDatum(through) : (Datum) 0;
	(void) migrate_store_exec(&drift_last_query, &arg, has_through ? NULL : "n", 1);
	last = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("there is no drift to dismiss"),
				 errdetail("Every DDL statement recorded outside migrations is captured or dismissed."),
				 errhint("SELECT * FROM migrate.drift() lists the DDL recorded outside migrations.")));
	count = DatumGetInt64(migrate_store_getdatum(0, 2, &isnull));
	migrate_store_done();

	settle_drift(last, "dismiss", NULL, reason);
	ereport(NOTICE,
			(errmsg_plural("dismissed %lld DDL statement recorded outside migrations",
						   "dismissed %lld DDL statements recorded outside migrations",
						   count, (long long) count),
			 errdetail("They stay in migrate.ddl_log; migrate.drift_settled records who dismissed them and why.")));
	migrate_call_end();
	PG_RETURN_INT64(count);
}

/*
 * capture(version, name) returns (version, name, statements, up, down)
 *
 * Turn the drift into a registered migration marked applied: nothing is
 * run, the changes are in the database already.  After it the drift is
 * empty.
 */
Datum
migrate_capture(PG_FUNCTION_ARGS)
{
	Capture		cap;
	List	   *commands;
	ListCell   *lc;
	int64		last_id;
	Datum		arg;
	bool		isnull;
	bool		known;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	memset(&cap, 0, sizeof(cap));
	cap.version = migrate_text_arg(fcinfo, 0);
	cap.name = migrate_text_arg(fcinfo, 1);
	migrate_check_version(cap.version, "version");
	migrate_ddl_require_log_privilege(ACL_SELECT, "capture");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	migrate_call_begin();

	arg = CStringGetTextDatum(cap.version);
	(void) migrate_store_exec(&version_known_query, &arg, NULL, 1);
	known = DatumGetBool(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();
	if (known)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("migration \"%s\" already exists", cap.version),
				 errdetail("Nothing was captured."),
				 errhint("Capture the drift as a new migration, with a version no migration has.")));

	commands = migrate_ddl_read_commands(&capture_rows_query, NULL, NULL, &last_id);
	foreach(lc, commands)
	{
		CapturedCommand *current = (CapturedCommand *) lfirst(lc);

		if (current->statement == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the text of DDL command %lld in migrate.ddl_log is not known",
							(long long) current->id),
					 errdetail("Without it the drift cannot be written as a migration. Nothing was captured."),
					 errhint("Register the change as a migration by hand with migrate.add() and record it with migrate.forget() or apply it.")));
	}
	if (commands == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("there is no drift to capture"),
				 errdetail("Every DDL statement recorded outside migrations is captured or dismissed."),
				 errhint("SELECT * FROM migrate.drift() lists the DDL recorded outside migrations.")));

	build_capture(&cap, commands);

	(void) migrate_register(cap.version, cap.up, cap.down, cap.name,
							cap.transactional, NULL, false);
	migrate_mark_applied(cap.version, migrate_next_batch(), "capture");
	settle_drift(last_id, "capture", cap.version, NULL);

	/* one NOTICE for the whole capture: the down script has the details */
	capture_notice(&cap);

	migrate_call_end();

	values[0] = CStringGetTextDatum(cap.version);
	values[1] = cap.name ? CStringGetTextDatum(cap.name) : (Datum) 0;
	nulls[1] = (cap.name == NULL);
	values[2] = Int32GetDatum(cap.statements);
	values[3] = CStringGetTextDatum(cap.up);
	values[4] = cap.down ? CStringGetTextDatum(cap.down) : (Datum) 0;
	nulls[4] = (cap.down == NULL);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * prune_ddl_log(older_than interval, keep_drift boolean) returns bigint
 *
 * Retention: delete the log's rows older than "older_than", except, with
 * keep_drift, the drift, which capture() still needs.
 */
Datum
migrate_prune_ddl_log(PG_FUNCTION_ARGS)
{
	Interval	zero;
	Datum		values[3];
	int64		deleted;
	bool		isnull;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("older_than must not be NULL"),
				 errhint("Pass the age of the oldest rows to keep, for example interval '90 days'.")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("keep_drift must not be NULL"),
				 errhint("Pass true (the default) to keep the drift, false to prune it too.")));

	memset(&zero, 0, sizeof(zero));
	if (DatumGetBool(DirectFunctionCall2(interval_lt, PG_GETARG_DATUM(0),
										 IntervalPGetDatum(&zero))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative"),
				 errhint("Pass the age of the oldest rows to keep, for example interval '90 days'.")));

	migrate_ddl_require_log_privilege(ACL_DELETE, "prune_ddl_log");
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = DirectFunctionCall1(namein,
									CStringGetDatum(migrate_current_user_name()));

	migrate_call_begin();
	(void) migrate_store_exec(&prune_query, values, NULL, 1);
	deleted = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();
	migrate_call_end();

	PG_RETURN_INT64(deleted);
}
