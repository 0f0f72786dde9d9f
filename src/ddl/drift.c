/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  Drift: the DDL recorded outside migrations since migrate last
 *	  changed the schema; drift(), capture() and prune_ddl_log().
 *
 * The drift is what migrate.ddl_log holds outside migrations (migration
 * IS NULL) and outside extension scripts (their CREATE or ALTER EXTENSION
 * statement is the drift) since the last entry of migrate.history: the
 * last migration applied, reverted, captured or otherwise recorded.
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
 * TYPE, GRANT, COMMENT, ...) the down script says so in a comment and a
 * NOTICE says so too; if no statement has a known inverse, the migration
 * is irreversible (no down script).  The inverses are built from the
 * statements' parse trees and the identities the log recorded, so they
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

/* The rows of the log that are drift. */
#define DRIFT_CONDITION \
	"l.migration IS NULL AND l.extension IS NULL" \
	" AND l.at OPERATOR(pg_catalog.>) COALESCE(" \
	"       (SELECT pg_catalog.max(h.started_at) FROM migrate.history h)," \
	"       '-infinity'::pg_catalog.timestamptz)"

static MigrateQuery drift_query = {
	.sql =
		"SELECT l.* FROM migrate.ddl_log l WHERE " DRIFT_CONDITION
		" ORDER BY l.id",
	.nargs = 0
};

static MigrateQuery drift_count_query = {
	.sql =
		"SELECT pg_catalog.count(*) FROM migrate.ddl_log l WHERE " DRIFT_CONDITION,
	.nargs = 0
};

static MigrateQuery capture_rows_query = {
	.sql =
		"SELECT l.id, l.statement, o.dropped, o.command_tag, o.object_type,"
		"       o.object_identity, o.definition, o.cascaded"
		"  FROM migrate.ddl_log l"
		"  LEFT JOIN LATERAL ROWS FROM (pg_catalog.jsonb_to_recordset(l.objects)"
		"       AS (dropped pg_catalog.bool, command_tag pg_catalog.text,"
		"           object_type pg_catalog.text, object_identity pg_catalog.text,"
		"           definition pg_catalog.text, cascaded pg_catalog.bool))"
		"       WITH ORDINALITY AS o ON true"
		" WHERE " DRIFT_CONDITION
		" ORDER BY l.id, o.ordinality",
	.nargs = 0
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

/* a prune deletes and records itself in one statement */
static MigrateQuery prune_query = {
	.sql =
		"WITH d AS ("
		"  DELETE FROM migrate.ddl_log l"
		"   WHERE l.at OPERATOR(pg_catalog.<)"
		"         (pg_catalog.now() OPERATOR(pg_catalog.-) $1)"
		"     AND NOT ($2 AND " DRIFT_CONDITION ")"
		"  RETURNING 1)"
		" INSERT INTO migrate.ddl_log_prunes (role, older_than, keep_drift,"
		"        rows_removed)"
		" SELECT $3, $1, $2, pg_catalog.count(*) FROM d"
		" RETURNING rows_removed",
	.nargs = 3,
	.argtypes = {INTERVALOID, BOOLOID, NAMEOID}
};

/*
 * An object of a command of the drift, as capture() reads it.
 */
typedef struct CapturedRow
{
	bool		dropped;
	char	   *command_tag;
	char	   *object_type;
	char	   *identity;
	char	   *definition;
	bool		cascaded;
} CapturedRow;

/*
 * One DDL command of the drift: its statement and the objects it reported.
 */
typedef struct CapturedCommand
{
	char	   *statement;
	List	   *rows;			/* CapturedRow, NIL if it changed nothing */
} CapturedCommand;

/*
 * Refuse unless the current user has privilege "mode" on migrate.ddl_log:
 * what "function" shows or does amounts to reading ("SELECT") or deleting
 * ("DELETE") the log, which a deploy role's EXECUTE on every routine of
 * the schema must not imply.
 */
static void
require_log_privilege(AclMode mode, const char *function)
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

	require_log_privilege(ACL_SELECT, "drift");
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
	bool		isnull;
	int64		count;

	migrate_spi_connect();
	(void) migrate_store_exec(&drift_count_query, NULL, NULL, 1);
	count = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();
	SPI_finish();

	PG_RETURN_INT64(count);
}

/*
 * The drift, as commands in order.
 */
static List *
read_drift(void)
{
	List	   *commands = NIL;
	CapturedCommand *current = NULL;
	int64		current_id = 0;
	uint64		i;

	(void) migrate_store_exec(&capture_rows_query, NULL, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(migrate_store_getdatum(i, 1, &isnull));
		bool		dropped;
		CapturedRow *row;

		if (current == NULL || id != current_id)
		{
			current = palloc0(sizeof(CapturedCommand));
			current->statement = migrate_store_getstr(i, 2);
			current_id = id;
			commands = lappend(commands, current);

			if (current->statement == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the text of DDL command %lld in migrate.ddl_log is not known",
								(long long) id),
						 errdetail("Without it the drift cannot be written as a migration. Nothing was captured."),
						 errhint("Register the change as a migration by hand with migrate.add() and record it with migrate.forget() or apply it.")));
		}
		dropped = DatumGetBool(migrate_store_getdatum(i, 3, &isnull));
		if (isnull)
			continue;			/* no object */
		row = palloc0(sizeof(CapturedRow));
		row->dropped = dropped;
		row->command_tag = migrate_store_getstr(i, 4);
		row->object_type = migrate_store_getstr(i, 5);
		row->identity = migrate_store_getstr(i, 6);
		row->definition = migrate_store_getstr(i, 7);
		row->cascaded = DatumGetBool(migrate_store_getdatum(i, 8, &isnull)) &&
			!isnull;
		current->rows = lappend(current->rows, row);
	}
	migrate_store_done();
	return commands;
}

/*
 * The first object "cmd" created or altered (with command tag "tag", if
 * given), or NULL.
 */
static CapturedRow *
find_row(CapturedCommand *cmd, const char *tag)
{
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (!row->dropped &&
			(tag == NULL || (row->command_tag && strcmp(row->command_tag, tag) == 0)))
			return row;
	}
	return NULL;
}

/*
 * True if the command reported no object: it changed nothing.
 */
static bool
changed_nothing(CapturedCommand *cmd)
{
	return cmd->rows == NIL;
}

/*
 * Join the inverses "parts" (in the order they must run) into one text.
 */
static char *
join_statements(List *parts)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, parts)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) > 0 ? ";\n" : "",
						 (char *) lfirst(lc));
	return buf.data;
}

/*
 * The keyword after DROP for the object a CREATE statement creates, or
 * NULL if it is not known.
 */
static const char *
created_kind(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
			return "TABLE";
		case T_CreateForeignTableStmt:
			return "FOREIGN TABLE";
		case T_CreateTableAsStmt:
			return ((CreateTableAsStmt *) stmt)->objtype == OBJECT_MATVIEW ?
				"MATERIALIZED VIEW" : "TABLE";
		case T_ViewStmt:
			return "VIEW";
		case T_IndexStmt:
			return "INDEX";
		case T_CreateSeqStmt:
			return "SEQUENCE";
		case T_CreateFunctionStmt:
			return ((CreateFunctionStmt *) stmt)->is_procedure ?
				"PROCEDURE" : "FUNCTION";
		case T_CompositeTypeStmt:
		case T_CreateEnumStmt:
		case T_CreateRangeStmt:
			return "TYPE";
		case T_CreateDomainStmt:
			return "DOMAIN";
		case T_CreateSchemaStmt:
			return "SCHEMA";
		case T_CreateExtensionStmt:
			return "EXTENSION";
		case T_CreateTrigStmt:
			return "TRIGGER";
		case T_CreatePolicyStmt:
			return "POLICY";
		case T_RuleStmt:
			return ((RuleStmt *) stmt)->replace ? NULL : "RULE";
		case T_CreatePublicationStmt:
			return "PUBLICATION";
		case T_CreateStatsStmt:
			return "STATISTICS";
		case T_CreateCastStmt:
			return "CAST";
		case T_CreateConversionStmt:
			return "CONVERSION";
		case T_CreateOpClassStmt:
			return "OPERATOR CLASS";
		case T_CreateOpFamilyStmt:
			return "OPERATOR FAMILY";
		case T_CreateAmStmt:
			return "ACCESS METHOD";
		case T_CreateFdwStmt:
			return "FOREIGN DATA WRAPPER";
		case T_CreateForeignServerStmt:
			return "SERVER";
		case T_DefineStmt:
			{
				DefineStmt *ds = (DefineStmt *) stmt;

				if (ds->replace)
					return NULL;
				switch (ds->kind)
				{
					case OBJECT_AGGREGATE:
						return "AGGREGATE";
					case OBJECT_OPERATOR:
						return "OPERATOR";
					case OBJECT_TYPE:
						return "TYPE";
					case OBJECT_COLLATION:
						return "COLLATION";
					case OBJECT_TSCONFIGURATION:
						return "TEXT SEARCH CONFIGURATION";
					case OBJECT_TSDICTIONARY:
						return "TEXT SEARCH DICTIONARY";
					case OBJECT_TSPARSER:
						return "TEXT SEARCH PARSER";
					case OBJECT_TSTEMPLATE:
						return "TEXT SEARCH TEMPLATE";
					default:
						return NULL;
				}
			}
		default:
			return NULL;
	}
}

/*
 * The inverse of a CREATE command: drop what it created, or put back the
 * definition it replaced.
 */
static char *
inverse_of_create(Node *stmt, CapturedCommand *cmd)
{
	const char *kind = created_kind(stmt);
	CapturedRow *row;

	if (kind == NULL)
		return NULL;
	row = find_row(cmd, GetCommandTagName(CreateCommandTag(stmt)));
	if (row == NULL || row->identity == NULL)
		return NULL;
	if (row->definition)
		return pstrdup(row->definition);
	return psprintf("DROP %s %s%s", kind, row->identity,
					IsA(stmt, CreateSchemaStmt) &&
					((CreateSchemaStmt *) stmt)->schemaElts != NIL ?
					" CASCADE" : "");
}

/*
 * The inverse of a DROP: the definitions of everything it dropped, kept
 * before the drop, in reverse order.
 */
static char *
inverse_of_drop(CapturedCommand *cmd)
{
	List	   *parts = NIL;
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (!row->dropped)
			continue;
		if (row->definition == NULL)
			return NULL;
		parts = lcons(row->definition, parts);
	}
	return join_statements(parts);
}

/*
 * The definition of the constraint "name" a command dropped, or NULL.
 * *found says whether it dropped it at all.
 */
static char *
dropped_constraint(CapturedCommand *cmd, const char *name, bool *found)
{
	char	   *prefix = psprintf("%s on ", quote_identifier(name));
	ListCell   *lc;

	*found = false;
	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (row->dropped && !row->cascaded &&
			row->identity && strncmp(row->identity, prefix, strlen(prefix)) == 0)
		{
			*found = true;
			return row->definition;
		}
	}
	return NULL;
}

/*
 * The inverse of ALTER TABLE: each subcommand's, in reverse order; NULL
 * if one of them has none.
 */
static char *
inverse_of_alter_table(AlterTableStmt *at, CapturedCommand *cmd)
{
	const char *keyword;
	CapturedRow *row = find_row(cmd, NULL);
	List	   *parts = NIL;
	ListCell   *lc;

	if (at->objtype == OBJECT_TABLE)
		keyword = "ALTER TABLE";
	else if (at->objtype == OBJECT_FOREIGN_TABLE)
		keyword = "ALTER FOREIGN TABLE";
	else
		return NULL;
	if (row == NULL || row->identity == NULL)
		return NULL;

	foreach(lc, at->cmds)
	{
		AlterTableCmd *sub = lfirst_node(AlterTableCmd, lc);
		char	   *inverse;

		switch (sub->subtype)
		{
			case AT_AddColumn:
				if (sub->missing_ok)
					return NULL;	/* the column may have been there */
				inverse = psprintf("%s %s DROP COLUMN %s", keyword, row->identity,
								   quote_identifier(castNode(ColumnDef, sub->def)->colname));
				break;
			case AT_AddConstraint:
				{
					Constraint *con = castNode(Constraint, sub->def);

					if (con->conname == NULL)
						return NULL;	/* its name was generated */
					inverse = psprintf("%s %s DROP CONSTRAINT %s", keyword,
									   row->identity,
									   quote_identifier(con->conname));
				}
				break;
			case AT_DropConstraint:
				{
					bool		found;

					inverse = dropped_constraint(cmd, sub->name, &found);
					if (!found && sub->missing_ok)
						continue;	/* it was not there */
					if (inverse == NULL)
						return NULL;
				}
				break;
			default:
				return NULL;
		}
		parts = lcons(inverse, parts);
	}
	return join_statements(parts);
}

/*
 * The inverse of ALTER DOMAIN ADD or DROP CONSTRAINT.
 */
static char *
inverse_of_alter_domain(AlterDomainStmt *ad, CapturedCommand *cmd)
{
	CapturedRow *row = find_row(cmd, NULL);

	if (ad->subtype == 'C')
	{
		Constraint *con = castNode(Constraint, ad->def);

		if (con->conname == NULL || row == NULL || row->identity == NULL)
			return NULL;
		return psprintf("ALTER DOMAIN %s DROP CONSTRAINT %s", row->identity,
						quote_identifier(con->conname));
	}
	if (ad->subtype == 'X')
	{
		bool		found;
		char	   *def = dropped_constraint(cmd, ad->name, &found);

		if (!found && ad->missing_ok)
			return "";
		return def;
	}
	return NULL;
}

/*
 * A relation as the statement wrote it, quoted.
 */
static char *
relation_sql(RangeVar *rv)
{
	return quote_qualified_identifier(rv->schemaname, rv->relname);
}

/*
 * The keyword after ALTER for a kind of relation.
 */
static const char *
relation_keyword(ObjectType objtype)
{
	switch (objtype)
	{
		case OBJECT_TABLE:
			return "TABLE";
		case OBJECT_VIEW:
			return "VIEW";
		case OBJECT_MATVIEW:
			return "MATERIALIZED VIEW";
		case OBJECT_INDEX:
			return "INDEX";
		case OBJECT_SEQUENCE:
			return "SEQUENCE";
		case OBJECT_FOREIGN_TABLE:
			return "FOREIGN TABLE";
		default:
			return NULL;
	}
}

/*
 * The inverse of a RENAME: rename back.
 */
static char *
inverse_of_rename(RenameStmt *rs, CapturedCommand *cmd)
{
	CapturedRow *row = find_row(cmd, NULL);
	const char *identity = row ? row->identity : NULL;
	const char *newname = quote_identifier(rs->newname);

	switch (rs->renameType)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_INDEX:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE:
			if (identity == NULL)
				return NULL;
			return psprintf("ALTER %s %s RENAME TO %s",
							relation_keyword(rs->renameType), identity,
							quote_identifier(rs->relation->relname));
		case OBJECT_COLUMN:
			if (relation_keyword(rs->relationType) == NULL)
				return NULL;
			return psprintf("ALTER %s %s RENAME COLUMN %s TO %s",
							relation_keyword(rs->relationType),
							relation_sql(rs->relation), newname,
							quote_identifier(rs->subname));
		case OBJECT_TABCONSTRAINT:
			return psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
							relation_sql(rs->relation), newname,
							quote_identifier(rs->subname));
		case OBJECT_TRIGGER:
		case OBJECT_POLICY:
		case OBJECT_RULE:
			return psprintf("ALTER %s %s ON %s RENAME TO %s",
							rs->renameType == OBJECT_TRIGGER ? "TRIGGER" :
							rs->renameType == OBJECT_POLICY ? "POLICY" : "RULE",
							newname, relation_sql(rs->relation),
							quote_identifier(rs->subname));
		case OBJECT_ATTRIBUTE:
			return psprintf("ALTER TYPE %s RENAME ATTRIBUTE %s TO %s",
							relation_sql(rs->relation), newname,
							quote_identifier(rs->subname));
		case OBJECT_SCHEMA:
			return psprintf("ALTER SCHEMA %s RENAME TO %s", newname,
							quote_identifier(rs->subname));
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
		case OBJECT_AGGREGATE:
			if (identity == NULL)
				return NULL;
			return psprintf("ALTER %s %s RENAME TO %s",
							rs->renameType == OBJECT_PROCEDURE ? "PROCEDURE" :
							rs->renameType == OBJECT_ROUTINE ? "ROUTINE" :
							rs->renameType == OBJECT_AGGREGATE ? "AGGREGATE" :
							"FUNCTION", identity,
							quote_identifier(strVal(llast(castNode(ObjectWithArgs, rs->object)->objname))));
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			if (identity == NULL)
				return NULL;
			return psprintf("ALTER %s %s RENAME TO %s",
							rs->renameType == OBJECT_TYPE ? "TYPE" : "DOMAIN",
							identity,
							quote_identifier(strVal(llast(castNode(List, rs->object)))));
		case OBJECT_DOMCONSTRAINT:
			return psprintf("ALTER DOMAIN %s RENAME CONSTRAINT %s TO %s",
							NameListToQuotedString(castNode(List, rs->object)),
							newname, quote_identifier(rs->subname));
		case OBJECT_PUBLICATION:
			return psprintf("ALTER PUBLICATION %s RENAME TO %s", newname,
							quote_identifier(strVal(rs->object)));
		default:
			return NULL;
	}
}

/*
 * The inverse of one captured command: NULL when it is not known, "" when
 * there is nothing to undo.
 */
static char *
inverse_of(Node *stmt, CapturedCommand *cmd)
{
	if (changed_nothing(cmd))
		return "";
	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			return inverse_of_drop(cmd);
		case T_AlterTableStmt:
			return inverse_of_alter_table((AlterTableStmt *) stmt, cmd);
		case T_AlterDomainStmt:
			return inverse_of_alter_domain((AlterDomainStmt *) stmt, cmd);
		case T_RenameStmt:
			return inverse_of_rename((RenameStmt *) stmt, cmd);
		default:
			return inverse_of_create(stmt, cmd);
	}
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
	{
		int			i = foreach_current_index(lc);
		char	   *inverse = inverse_of(migrate_statement_parsetree(script, i),
										 (CapturedCommand *) lfirst(lc));

		if (inverse == NULL)
		{
			char	   *first_line = migrate_statement_first_line(script, i);

			nunknown++;
			down_parts = lcons(psprintf("-- no inverse known for statement %d: %s\n",
										i + 1, first_line),
							   down_parts);
			ereport(NOTICE,
					(errmsg("no inverse known for statement %d of migration \"%s\": %s",
							i + 1, cap->version, first_line),
					 errdetail("Its down script says so in a comment."),
					 errhint("Write the inverse by hand if it is needed.")));
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

	if (ninverted == 0 && nunknown > 0)
	{
		cap->down = NULL;
		ereport(NOTICE,
				(errmsg("migration \"%s\" is irreversible", cap->version),
				 errdetail("No statement of the drift has a known inverse.")));
		return;
	}

	initStringInfo(&down);
	if (down_parts == NIL)
		appendStringInfoString(&down, "-- the captured statements changed nothing\n");
	foreach(lc, down_parts)
		appendStringInfo(&down, "%s%s", foreach_current_index(lc) > 0 ? "\n" : "",
						 (char *) lfirst(lc));
	cap->down = down.data;
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
	require_log_privilege(ACL_SELECT, "capture");
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

	commands = read_drift();
	if (commands == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("there is no drift to capture"),
				 errdetail("No DDL was recorded outside migrations since the last migration was applied, reverted or captured."),
				 errhint("SELECT * FROM migrate.drift() lists the DDL recorded outside migrations.")));

	build_capture(&cap, commands);

	(void) migrate_register(cap.version, cap.up, cap.down, cap.name,
							cap.transactional, NULL, false);
	migrate_mark_applied(cap.version, migrate_next_batch(), "capture");

	ereport(NOTICE,
			(errmsg_plural("captured %d statement as migration \"%s\", marked applied",
						   "captured %d statements as migration \"%s\", marked applied",
						   cap.statements, cap.statements, cap.version)));

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

	require_log_privilege(ACL_DELETE, "prune_ddl_log");
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
