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
#include "common/hashfn.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "ddl/ddl.h"

/*
 * A string-keyed hash table: the commands of a long history are matched
 * by identity, never by a scan of all the others (which made changes()
 * of a 100,000-row log quadratic).
 */
typedef struct StringEntry
{
	const char *key;			/* the hash key: a pointer to the string */
	void	   *value;
} StringEntry;

static uint32
string_key_hash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return hash_bytes((const unsigned char *) s, strlen(s));
}

static int
string_key_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static HTAB *
string_table(const char *name)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(StringEntry);
	ctl.hash = string_key_hash;
	ctl.match = string_key_match;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 256, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

static void *
string_lookup(HTAB *table, const char *key)
{
	StringEntry *e = hash_search(table, &key, HASH_FIND, NULL);

	return e ? e->value : NULL;
}

static void
string_store(HTAB *table, const char *key, void *value)
{
	bool		found;
	StringEntry *e = hash_search(table, &key, HASH_ENTER, &found);

	e->value = value;
}

/*
 * The command that created objects, with every name they had since; an
 * object the drift created, under one of those names, and the rename
 * that gave it the name, if one did.
 */
typedef struct CreatedGroup
{
	CapturedCommand *creator;
	List	   *members;		/* CreatedObject */
} CreatedGroup;

typedef struct CreatedObject
{
	const char *identity;
	CreatedGroup *group;
	CapturedCommand *renamer;
	bool		gone;			/* dropped again by the drift */
} CreatedObject;

/*
 * What the drift created, by identity and, for a statement that names a
 * relation without its schema, by the quoted name after the schema.
 */
typedef struct Created
{
	HTAB	   *by_identity;
	HTAB	   *by_name;
} Created;

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
 * The offset of the first (first_dot) or last dot of "identity" outside
 * double quotes, or -1.
 */
static int
identity_dot(const char *identity, bool first_dot)
{
	bool		quoted = false;
	int			found = -1;
	int			i;

	for (i = 0; identity[i]; i++)
	{
		if (identity[i] == '"')
			quoted = !quoted;
		else if (identity[i] == '.' && !quoted)
		{
			found = i;
			if (first_dot)
				break;
		}
	}
	return found;
}

static CreatedObject *
created_by_identity(Created *created, const char *identity)
{
	CreatedObject *co = string_lookup(created->by_identity, identity);

	return co && !co->gone ? co : NULL;
}

static CreatedObject *
created_by_name(Created *created, RangeVar *rv)
{
	CreatedObject *co;

	if (rv == NULL)
		return NULL;
	if (rv->schemaname)
		return created_by_identity(created,
								   quote_qualified_identifier(rv->schemaname,
															  rv->relname));
	co = string_lookup(created->by_name, quote_identifier(rv->relname));
	return co && !co->gone ? co : NULL;
}

/*
 * Remember an object of "group" under "identity".
 */
static void
remember(Created *created, CreatedGroup *group, const char *identity,
		 CapturedCommand *renamer)
{
	CreatedObject *co = palloc0(sizeof(CreatedObject));
	int			dot = identity_dot(identity, true);

	co->identity = identity;
	co->group = group;
	co->renamer = renamer;
	group->members = lappend(group->members, co);
	string_store(created->by_identity, identity, co);
	if (dot >= 0)
		string_store(created->by_name, identity + dot + 1, co);
}

/*
 * True if a command created objects: it reported objects under a CREATE
 * tag that it did not replace (a replaced object's definition was kept)
 * and that the drift had not created already.
 */
static bool
creates_objects(CapturedCommand *cmd, Created *created)
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
add_created(CapturedCommand *cmd, Created *created)
{
	CreatedGroup *group = palloc0(sizeof(CreatedGroup));
	ListCell   *lc;

	group->creator = cmd;
	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (row->dropped || row->identity == NULL || row->command_tag == NULL ||
			strncmp(row->command_tag, "CREATE ", 7) != 0 ||
			created_by_identity(created, row->identity))
			continue;
		remember(created, group, row->identity, NULL);
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
grant_on_created(GrantStmt *gs, Created *created)
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
about_created(CapturedCommand *cmd, CapturedRow *row, Created *created)
{
	if (row && created_by_identity(created, row->identity))
		return true;
	if (row && row->object_type && strcmp(row->object_type, "table column") == 0)
	{
		int			dot = identity_dot(row->identity, false);

		if (dot > 0 && created_by_identity(created, pnstrdup(row->identity, dot)))
			return true;
	}
	if (cmd->stmt == NULL)
		return false;
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
drop_created(CapturedCommand *cmd, Created *created)
{
	List	   *groups = NIL;
	ListCell   *lc;

	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);
		CreatedObject *co;

		if (!row->dropped || row->cascaded)
			continue;
		co = row->identity ? created_by_identity(created, row->identity) : NULL;
		if (co == NULL)
			return;
		groups = list_append_unique_ptr(groups, co->group);
	}
	if (groups == NIL)
		return;

	cmd->settled = true;
	foreach(lc, groups)
	{
		CreatedGroup *group = (CreatedGroup *) lfirst(lc);
		ListCell   *m;

		group->creator->settled = true;
		foreach(m, group->members)
		{
			CreatedObject *co = (CreatedObject *) lfirst(m);

			co->gone = true;
			if (co->renamer)
				co->renamer->settled = true;
		}
	}
}

/*
 * A constraint change not yet cancelled: the list (constraints_added or
 * _dropped of a table's row) it is in.
 */
typedef struct OpenConstraint
{
	List	  **list;
	TableConstraint *constraint;
	bool		added;
} OpenConstraint;

/*
 * Take "c" out of the list of "open" and of "list".
 */
static void
cancel_pair(OpenConstraint *open, List **list, TableConstraint *c)
{
	*open->list = list_delete_ptr(*open->list, open->constraint);
	*list = list_delete_ptr(*list, c);
}

/*
 * A constraint one command dropped and a later one added back the same
 * (or added and a later one dropped) cancel out: neither is undone.  The
 * changes are paired in order, by table, name and definition.
 */
static void
cancel_constraints(List *commands)
{
	HTAB	   *open = string_table("migrate open constraints");
	ListCell   *lc;

	foreach(lc, commands)
	{
		CapturedCommand *cmd = (CapturedCommand *) lfirst(lc);
		CapturedRow *row = table_row(cmd);
		int			pass;

		if (cmd->settled || row == NULL || !row->tracked)
			continue;
		for (pass = 0; pass < 2; pass++)
		{
			bool		added = (pass == 1);
			List	  **list = added ? &row->constraints_added : &row->constraints_dropped;
			ListCell   *c;

			foreach(c, list_copy(*list))
			{
				TableConstraint *con = (TableConstraint *) lfirst(c);
				char	   *key = psprintf("%s\x01%s\x01%s", row->identity,
										   con->name, con->definition);
				OpenConstraint *oc = string_lookup(open, key);

				if (oc && oc->added != added)
				{
					cancel_pair(oc, list, con);
					string_store(open, key, NULL);
					continue;
				}
				oc = palloc(sizeof(OpenConstraint));
				oc->list = list;
				oc->constraint = con;
				oc->added = added;
				string_store(open, key, oc);
			}
		}
	}
	hash_destroy(open);
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
	Created		created;
	ListCell   *lc;

	created.by_identity = string_table("migrate created objects");
	created.by_name = string_table("migrate created names");

	foreach(lc, commands)
	{
		CapturedCommand *cmd = (CapturedCommand *) lfirst(lc);
		Node	   *stmt = cmd->stmt;
		CapturedRow *row;
		CreatedObject *co;

		if (cmd->rows == NIL)
			continue;			/* it changed nothing */
		row = main_row(cmd);

		/*
		 * A command without a parse tree (changes() parses only ALTER and
		 * DROP commands) is known by the objects it reported.
		 */
		if (stmt && IsA(stmt, RenameStmt))
		{
			RenameStmt *rs = (RenameStmt *) stmt;

			/* dropped by its new name; the rename itself is undone first */
			if (rs->relation && rs->renameType != OBJECT_COLUMN &&
				rs->renameType != OBJECT_TABCONSTRAINT && row &&
				(co = created_by_name(&created, rs->relation)))
			{
				remember(&created, co->group, row->identity, cmd);
				continue;
			}
		}
		else if (stmt && IsA(stmt, DropStmt))
		{
			drop_created(cmd, &created);
			continue;
		}
		else if (creates_objects(cmd, &created))
		{
			add_created(cmd, &created);
			continue;
		}

		if (for_capture && about_created(cmd, row, &created))
			cmd->settled = true;
	}

	hash_destroy(created.by_identity);
	hash_destroy(created.by_name);
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
		/* what a tracked GRANT or REVOKE changed (grants.c) */
		{
			Datum		d = migrate_store_getdatum(i, 14, &isnull);

			if (!isnull)
				row->acls = migrate_ddl_grant_acls_from_jsonb(DatumGetJsonbP(d));
		}
		current->rows = lappend(current->rows, row);
	}
	migrate_store_done();
	*last_id = current_id;
	return commands;
}
