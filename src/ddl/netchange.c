/*-------------------------------------------------------------------------
 *
 * netchange.c
 *	  The net change of the drift, for capture()'s down script: what of it
 *	  is left to undo once what cancels out is taken away.
 *
 * An ORM session is mostly statements that undo each other or change
 * nothing: Sequelize's sync({alter: true}) drops each foreign key and
 * adds it again, unnamed, on every start.  Inverting the statements one
 * by one gives a down script that re-adds the dropped constraint while
 * the re-added one still exists, and fails.  So before the inverses are
 * written:
 *   - a table the drift created is simply dropped: what later statements
 *     did to it (columns, constraints, indexes, comments, grants, renames
 *     of its columns) needs no inverse of its own; a table the drift
 *     created and dropped again leaves nothing at all;
 *   - a constraint dropped and added again with the same definition (or
 *     added and dropped again) cancels out;
 *   - a statement that changed nothing (tablestate.c) has nothing to undo.
 * Tables are matched by the identity the log recorded; where a statement
 * names a table without its schema, by its name (the drift is one
 * session's search_path, as a rule).
 *
 * IDENTIFICATION
 *	  src/ddl/netchange.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"

#include "ddl/ddl.h"

/*
 * An object the drift created, under one of its names: the command that
 * created it, and the rename that gave it this name, if one did.
 */
typedef struct CreatedObject
{
	const char *identity;
	const char *object_type;
	CapturedCommand *creator;
	CapturedCommand *renamer;
} CreatedObject;

/*
 * The table a command created or altered, as the log has it, or NULL.
 */
static CapturedRow *
table_row(CapturedCommand *cmd)
{
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (!row->dropped && row->object_type && row->identity &&
			strcmp(row->object_type, "table") == 0)
			return row;
	}
	return NULL;
}

/*
 * The first object a command created or altered, or NULL.
 */
static CapturedRow *
main_row(CapturedCommand *cmd)
{
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (!row->dropped && row->identity && row->object_type)
			return row;
	}
	return NULL;
}

/*
 * True if "rv" names the relation of log identity "identity".
 */
static bool
names_relation(RangeVar *rv, const char *identity)
{
	const char *suffix;
	size_t		ilen = strlen(identity);
	size_t		slen;

	if (rv->schemaname)
		return strcmp(quote_qualified_identifier(rv->schemaname, rv->relname),
					  identity) == 0;
	suffix = psprintf(".%s", quote_identifier(rv->relname));
	slen = strlen(suffix);
	return ilen > slen && strcmp(identity + ilen - slen, suffix) == 0;
}

static CreatedObject *
created_by_identity(List *created, const char *identity)
{
	ListCell   *lc;

	foreach(lc, created)
	{
		CreatedObject *co = (CreatedObject *) lfirst(lc);

		if (strcmp(co->identity, identity) == 0)
			return co;
	}
	return NULL;
}

static CreatedObject *
created_by_name(List *created, RangeVar *rv)
{
	ListCell   *lc;

	if (rv == NULL)
		return NULL;
	foreach(lc, created)
	{
		CreatedObject *co = (CreatedObject *) lfirst(lc);

		if (names_relation(rv, co->identity))
			return co;
	}
	return NULL;
}

/*
 * True if a command created objects: it reported objects under a CREATE
 * tag that it did not replace (a replaced object's definition was kept)
 * and that the drift had not created already.
 */
static bool
creates_objects(CapturedCommand *cmd, List *created)
{
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (!row->dropped && row->identity && row->command_tag &&
			strncmp(row->command_tag, "CREATE ", 7) == 0 &&
			row->definition == NULL &&
			created_by_identity(created, row->identity) == NULL)
			return true;
	}
	return false;
}

/*
 * Remember what a command created (a table's sequences and indexes with
 * it).
 */
static void
add_created(CapturedCommand *cmd, List **created)
{
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);
		CreatedObject *co;

		if (row->dropped || row->identity == NULL || row->command_tag == NULL ||
			strncmp(row->command_tag, "CREATE ", 7) != 0 ||
			created_by_identity(*created, row->identity))
			continue;
		co = palloc0(sizeof(CreatedObject));
		co->identity = row->identity;
		co->object_type = row->object_type;
		co->creator = cmd;
		*created = lappend(*created, co);
	}
}

/*
 * The relation a statement is about when it changes a part of it (a
 * column, constraint, index, trigger, policy, comment), or NULL.
 */
static RangeVar *
part_of(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->relation;
		case T_CreateTrigStmt:
			return ((CreateTrigStmt *) stmt)->relation;
		case T_CreatePolicyStmt:
			return ((CreatePolicyStmt *) stmt)->table;
		case T_RenameStmt:
			{
				RenameStmt *rs = (RenameStmt *) stmt;

				if (rs->renameType == OBJECT_COLUMN ||
					rs->renameType == OBJECT_TABCONSTRAINT ||
					rs->renameType == OBJECT_TRIGGER ||
					rs->renameType == OBJECT_POLICY)
					return rs->relation;
				return NULL;
			}
		case T_CommentStmt:
			{
				CommentStmt *cs = (CommentStmt *) stmt;
				List	   *names;

				if (cs->objtype != OBJECT_COLUMN)
					return NULL;
				names = castNode(List, cs->object);
				return list_length(names) < 2 ? NULL :
					makeRangeVarFromNameList(list_truncate(list_copy(names),
														   list_length(names) - 1));
			}
		default:
			return NULL;
	}
}

/*
 * True if GRANT or REVOKE "gs" is about relations the drift created only.
 */
static bool
grant_on_created(GrantStmt *gs, List *created)
{
	ListCell   *lc;

	if (gs->targtype != ACL_TARGET_OBJECT || gs->objtype != OBJECT_TABLE ||
		gs->objects == NIL)
		return false;
	foreach(lc, gs->objects)
		if (created_by_name(created, lfirst_node(RangeVar, lc)) == NULL)
			return false;
	return true;
}

/*
 * True if a command changed only an object the drift created (or a part
 * of one): dropping the object undoes it.
 */
static bool
about_created(CapturedCommand *cmd, CapturedRow *row, List *created)
{
	if (row && created_by_identity(created, row->identity))
		return true;
	if (row && row->object_type && strcmp(row->object_type, "table column") == 0)
	{
		ListCell   *lc;

		foreach(lc, created)
		{
			CreatedObject *co = (CreatedObject *) lfirst(lc);
			size_t		len = strlen(co->identity);

			if (strncmp(row->identity, co->identity, len) == 0 &&
				row->identity[len] == '.')
				return true;
		}
	}
	if (created_by_name(created, part_of(cmd->stmt)))
		return true;
	return IsA(cmd->stmt, GrantStmt) &&
		grant_on_created((GrantStmt *) cmd->stmt, created);
}

/*
 * The drift dropped objects: if it created them all, the creation, the
 * renames, the changes between and the drop cancel out.
 */
static void
drop_created(CapturedCommand *cmd, List **created)
{
	List	   *gone = NIL;
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);
		CreatedObject *co;

		if (!row->dropped || row->cascaded)
			continue;
		co = row->identity ? created_by_identity(*created, row->identity) : NULL;
		if (co == NULL)
			return;
		gone = lappend(gone, co->creator);
	}
	if (gone == NIL)
		return;

	cmd->settled = true;
	foreach(lc, *created)
	{
		CreatedObject *co = (CreatedObject *) lfirst(lc);

		if (!list_member_ptr(gone, co->creator))
			continue;
		co->creator->settled = true;
		if (co->renamer)
			co->renamer->settled = true;
		*created = foreach_delete_current(*created, lc);
	}
}

/*
 * Remove constraint "c" (by name and definition) from "list"; true if it
 * was there.
 */
static bool
take_constraint(List **list, TableConstraint *c)
{
	ListCell   *lc;

	foreach(lc, *list)
	{
		TableConstraint *other = (TableConstraint *) lfirst(lc);

		if (strcmp(other->name, c->name) == 0 &&
			strcmp(other->definition, c->definition) == 0)
		{
			*list = foreach_delete_current(*list, lc);
			return true;
		}
	}
	return false;
}

/*
 * A constraint one command dropped and a later one added back the same
 * (or added and a later one dropped) cancel out: neither is undone.
 */
static void
cancel_constraints(List *commands)
{
	ListCell   *lc;

	foreach(lc, commands)
	{
		CapturedCommand *cmd = (CapturedCommand *) lfirst(lc);
		CapturedRow *row = table_row(cmd);
		ListCell   *later;

		if (cmd->settled || row == NULL || !row->tracked)
			continue;
		for_each_from(later, commands, foreach_current_index(lc) + 1)
		{
			CapturedCommand *next = (CapturedCommand *) lfirst(later);
			CapturedRow *next_row = table_row(next);
			ListCell   *c;

			if (next->settled || next_row == NULL || !next_row->tracked ||
				strcmp(next_row->identity, row->identity) != 0)
				continue;
			foreach(c, row->constraints_dropped)
			{
				if (take_constraint(&next_row->constraints_added, lfirst(c)))
					row->constraints_dropped =
						foreach_delete_current(row->constraints_dropped, c);
			}
			foreach(c, row->constraints_added)
			{
				if (take_constraint(&next_row->constraints_dropped, lfirst(c)))
					row->constraints_added =
						foreach_delete_current(row->constraints_added, c);
			}
		}
	}
}

/*
 * Mark the commands "commands" (CapturedCommand, in order, with their
 * parse trees) whose change the net change leaves nothing of, and take
 * the constraints that cancel out from the others.  For capture(), what
 * was done to a table the commands created is settled too: dropping the
 * table undoes it.
 */
void
migrate_ddl_net_change(List *commands, bool for_capture)
{
	List	   *created = NIL;
	ListCell   *lc;

	foreach(lc, commands)
	{
		CapturedCommand *cmd = (CapturedCommand *) lfirst(lc);
		Node	   *stmt = cmd->stmt;
		CapturedRow *row;
		CreatedObject *co;

		if (cmd->rows == NIL || stmt == NULL)
			continue;			/* it changed nothing, or is not known */
		row = main_row(cmd);

		if (IsA(stmt, RenameStmt))
		{
			RenameStmt *rs = (RenameStmt *) stmt;

			/* dropped by its new name; the rename itself is undone first */
			if (rs->relation && rs->renameType != OBJECT_COLUMN &&
				rs->renameType != OBJECT_TABCONSTRAINT && row &&
				(co = created_by_name(created, rs->relation)))
			{
				CreatedObject *alias = palloc0(sizeof(CreatedObject));

				alias->identity = row->identity;
				alias->creator = co->creator;
				alias->renamer = cmd;
				created = lappend(created, alias);
				continue;
			}
		}
		else if (IsA(stmt, DropStmt))
		{
			drop_created(cmd, &created);
			continue;
		}
		else if (creates_objects(cmd, created))
		{
			add_created(cmd, &created);
			continue;
		}

		if (for_capture && about_created(cmd, row, created))
			cmd->settled = true;
	}

	cancel_constraints(commands);
}

/*
 * Add the role "spec" names (not PUBLIC, CURRENT_USER and the like) to
 * "roles", once.
 */
static List *
add_role(List *roles, RoleSpec *spec)
{
	ListCell   *lc;

	if (spec == NULL || spec->roletype != ROLESPEC_CSTRING)
		return roles;
	foreach(lc, roles)
		if (strcmp((char *) lfirst(lc), spec->rolename) == 0)
			return roles;
	return lappend(roles, spec->rolename);
}

/*
 * The roles the drift grants privileges to or makes owners: they must
 * exist wherever the captured migration is applied, and creating roles
 * is not DDL a migration records.
 */
List *
migrate_ddl_roles_named(List *commands)
{
	List	   *roles = NIL;
	ListCell   *lc;

	foreach(lc, commands)
	{
		Node	   *stmt = ((CapturedCommand *) lfirst(lc))->stmt;
		ListCell   *l2;

		if (stmt == NULL)
			continue;
		switch (nodeTag(stmt))
		{
			case T_GrantStmt:
				foreach(l2, ((GrantStmt *) stmt)->grantees)
					roles = add_role(roles, lfirst_node(RoleSpec, l2));
				break;
			case T_AlterDefaultPrivilegesStmt:
				foreach(l2, ((AlterDefaultPrivilegesStmt *) stmt)->action->grantees)
					roles = add_role(roles, lfirst_node(RoleSpec, l2));
				break;
			case T_AlterOwnerStmt:
				roles = add_role(roles, ((AlterOwnerStmt *) stmt)->newowner);
				break;
			case T_AlterTableStmt:
				foreach(l2, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *sub = lfirst_node(AlterTableCmd, l2);

					if (sub->subtype == AT_ChangeOwner)
						roles = add_role(roles, sub->newowner);
				}
				break;
			case T_CreateSchemaStmt:
				roles = add_role(roles, ((CreateSchemaStmt *) stmt)->authrole);
				break;
			default:
				break;
		}
	}
	return roles;
}

/*
 * The DDL commands "query" returns (its rows are those of
 * MIGRATE_COMMAND_ROWS_SQL), in order, each with its objects; *last_id
 * is the id of the last one.
 */
List *
migrate_ddl_read_commands(MigrateQuery *query, Datum *args, char *nulls,
						  int64 *last_id)
{
	List	   *commands = NIL;
	CapturedCommand *current = NULL;
	int64		current_id = 0;
	uint64		i;

	(void) migrate_store_exec(query, args, nulls, 0);
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
			current->id = id;
			current_id = id;
			commands = lappend(commands, current);

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
		/* what a tracked ALTER TABLE changed (tablestate.c) */
		row->unchanged = DatumGetBool(migrate_store_getdatum(i, 9, &isnull));
		row->tracked = !isnull;
		if (!isnull)
		{
			Datum		d;

			d = migrate_store_getdatum(i, 10, &isnull);
			if (!isnull)
				row->columns_before = migrate_ddl_columns_from_jsonb(DatumGetJsonbP(d));
			d = migrate_store_getdatum(i, 11, &isnull);
			if (!isnull)
				row->constraints_added = migrate_ddl_constraints_from_jsonb(DatumGetJsonbP(d));
			d = migrate_store_getdatum(i, 12, &isnull);
			if (!isnull)
				row->constraints_dropped = migrate_ddl_constraints_from_jsonb(DatumGetJsonbP(d));
			row->columns_changed = DatumGetBool(migrate_store_getdatum(i, 13, &isnull)) &&
				!isnull;
		}
		current->rows = lappend(current->rows, row);
	}
	migrate_store_done();
	*last_id = current_id;
	return commands;
}
