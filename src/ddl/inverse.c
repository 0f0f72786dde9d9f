/*-------------------------------------------------------------------------
 *
 * inverse.c
 *	  The inverse of a DDL statement the log recorded, for the down script
 *	  of capture() (drift.c).
 *
 * Built from the statement's raw parse tree and the objects the event
 * trigger recorded for it (their identities, and the definitions kept of
 * what a statement dropped or replaced), so the inverses use the names
 * as the log has them, schema-qualified where it could.  NULL means the
 * inverse is not known; "" that there is nothing to undo.
 *
 * IDENTIFICATION
 *	  src/ddl/inverse.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ddl/ddl.h"

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
 * The column "name" of a tracked ALTER TABLE's table as it was before.
 */
static TableColumn *
column_before(CapturedRow *row, const char *name)
{
	ListCell   *lc;

	foreach(lc, row->columns_before)
		if (strcmp(((TableColumn *) lfirst(lc))->name, name) == 0)
			return (TableColumn *) lfirst(lc);
	return NULL;
}

/*
 * The inverse of one column subcommand of a tracked ALTER TABLE, from the
 * column as it was: NULL if not known, "" if there is nothing to undo.
 */
static char *
inverse_of_column_change(AlterTableCmd *sub, CapturedRow *row)
{
	const char *prefix = psprintf("ALTER TABLE %s", row->identity);
	TableColumn *before;
	const char *column;

	if (sub->subtype == AT_AddColumn)
	{
		column = castNode(ColumnDef, sub->def)->colname;
		if (column_before(row, column))
			return "";			/* IF NOT EXISTS: it was there */
		return psprintf("%s DROP COLUMN %s", prefix, quote_identifier(column));
	}
	if (sub->subtype == AT_DropColumn || sub->name == NULL)
		return NULL;			/* the column's data is gone */

	column = quote_identifier(sub->name);
	before = column_before(row, sub->name);
	if (before == NULL)
		return NULL;
	switch (sub->subtype)
	{
		case AT_SetNotNull:
			return before->not_null ? "" :
				psprintf("%s ALTER COLUMN %s DROP NOT NULL", prefix, column);
		case AT_DropNotNull:
			return before->not_null ?
				psprintf("%s ALTER COLUMN %s SET NOT NULL", prefix, column) : "";
		case AT_ColumnDefault:
			if (before->default_sql)
				return psprintf("%s ALTER COLUMN %s SET DEFAULT %s", prefix, column,
								before->default_sql);
			return sub->def ?
				psprintf("%s ALTER COLUMN %s DROP DEFAULT", prefix, column) : "";
		case AT_AlterColumnType:
			return psprintf("%s ALTER COLUMN %s TYPE %s%s%s USING %s::%s", prefix,
							column, before->type,
							before->collation ? " COLLATE " : "",
							before->collation ? before->collation : "",
							column, before->type);
		default:
			return NULL;
	}
}

/*
 * The inverse of an ALTER TABLE whose change the log recorded
 * (tablestate.c): drop the constraints it added, undo its column changes
 * in reverse order, then add back the constraints it dropped.  The net
 * change (netchange.c) took out the constraints that cancel out.
 */
static char *
inverse_of_tracked_alter(AlterTableStmt *at, CapturedRow *row)
{
	List	   *parts = NIL;
	ListCell   *lc;
	int			i;

	if (row->unchanged)
		return "";
	foreach(lc, row->constraints_added)
		parts = lappend(parts,
						psprintf("ALTER TABLE %s DROP CONSTRAINT %s", row->identity,
								 quote_identifier(((TableConstraint *) lfirst(lc))->name)));
	for (i = list_length(at->cmds) - 1; i >= 0; i--)
	{
		AlterTableCmd *sub = list_nth_node(AlterTableCmd, at->cmds, i);
		char	   *inverse;

		if (sub->subtype == AT_AddConstraint || sub->subtype == AT_DropConstraint)
			continue;
		inverse = inverse_of_column_change(sub, row);
		if (inverse == NULL)
			return NULL;
		if (inverse[0] != '\0')
			parts = lappend(parts, inverse);
	}
	foreach(lc, row->constraints_dropped)
		parts = lappend(parts, ((TableConstraint *) lfirst(lc))->definition);
	return join_statements(parts);
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

	if (row && row->tracked && row->identity)
		return inverse_of_tracked_alter(at, row);
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
char *
migrate_ddl_inverse(Node *stmt, CapturedCommand *cmd)
{
	if (changed_nothing(cmd) || cmd->settled)
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
		case T_GrantStmt:
			{
				ListCell   *lc;

				foreach(lc, cmd->rows)
					if (((CapturedRow *) lfirst(lc))->acls)
						return migrate_ddl_grant_inverse(((CapturedRow *) lfirst(lc))->acls);
				return NULL;
			}
		default:
			return inverse_of_create(stmt, cmd);
	}
}
