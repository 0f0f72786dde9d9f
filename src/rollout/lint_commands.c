/*-------------------------------------------------------------------------
 *
 * lint_commands.c
 *	  The lint rules of the other commands: CREATE INDEX, RENAME, DROP
 *	  INDEX and DROP TABLE, VACUUM FULL, CLUSTER, REINDEX; and what
 *	  SET lock_timeout and UPDATE or DELETE tell the rules across a
 *	  script.
 *
 * PostgreSQL has no function that says which lock these commands take
 * before they run; the locks are those their code takes (indexcmds.c,
 * tablecmds.c, vacuum.c, cluster.c), as the README's table lists.
 *
 * IDENTIFICATION
 *	  src/rollout/lint_commands.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "nodes/makefuncs.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "rollout/rollout.h"

void
migrate_lint_index(MigrateLintState *ls, IndexStmt *stmt)
{
	MigrateLintTable *t = migrate_lint_lookup_table(ls, stmt->relation);

	if (stmt->concurrent)
	{
		migrate_lint_note_lock(ls, t, ShareUpdateExclusiveLock);
		return;
	}
	if (t == NULL)
		return;
	migrate_lint_note_lock(ls, t, ShareLock);
	migrate_lint_add_finding(ls, "create-index-not-concurrently", migrate_lint_size_severity(t),
				t, ShareLock,
				psprintf("builds an index over %s while holding ShareLock: inserts, updates and deletes of the table wait until it is built",
						 migrate_lint_size_text(t)),
				"CREATE INDEX without CONCURRENTLY blocks writes to the table while the index is built",
				psprintf("%s;   -- in a migration of its own, registered with transactional => false and applied by CALL migrate.run()",
						 migrate_lint_insert_after_word(ls->sql, "index", " CONCURRENTLY")));
}

void
migrate_lint_rename(MigrateLintState *ls, RenameStmt *stmt)
{
	MigrateLintTable *t;

	if (stmt->renameType == OBJECT_TABLE ||
		(stmt->renameType == OBJECT_COLUMN && stmt->relationType == OBJECT_TABLE))
		t = migrate_lint_lookup_table(ls, stmt->relation);
	else
		return;
	if (t == NULL)
		return;
	migrate_lint_note_lock(ls, t, AccessExclusiveLock);
	if (stmt->renameType == OBJECT_TABLE)
		migrate_lint_add_finding(ls, "rename-table", migrate_lint_in_use_severity(t), t, AccessExclusiveLock,
					psprintf("takes AccessExclusiveLock on %s briefly", t->name),
					psprintf("renaming %s breaks every query of the application that still uses the old name",
							 t->name),
					psprintf("%s;\nCREATE VIEW %s AS SELECT * FROM %s;   -- a simple view is updatable; drop it once nothing uses the old name",
							 ls->sql, t->name,
							 quote_qualified_identifier(get_namespace_name(get_rel_namespace(t->relid)),
														stmt->newname)));
	else
		migrate_lint_add_finding(ls, "rename-column", migrate_lint_in_use_severity(t), t, AccessExclusiveLock,
					psprintf("takes AccessExclusiveLock on %s briefly", t->name),
					psprintf("renaming column %s breaks every query of the application that still uses the old name",
							 quote_identifier(stmt->subname)),
					psprintf("ALTER TABLE %s ADD COLUMN %s ...;   -- same type\n"
							 "-- write both columns (a trigger), fill the new one in batches, move the application to it, then drop %s in a later release",
							 t->name, quote_identifier(stmt->newname),
							 quote_identifier(stmt->subname)));
}

/*
 * The table of index "names" (a qualified name as a list), or InvalidOid.
 */
static Oid
index_table(List *names)
{
	Oid			indexid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);

	if (!OidIsValid(indexid) || get_rel_relkind(indexid) != RELKIND_INDEX)
		return InvalidOid;
	return IndexGetRelation(indexid, true);
}

/*
 * A RangeVar for existing relation "relid", for migrate_lint_lookup_table().
 */
static RangeVar *
relation_rangevar(Oid relid)
{
	if (!OidIsValid(relid))
		return NULL;
	return makeRangeVar(get_namespace_name(get_rel_namespace(relid)),
						get_rel_name(relid), -1);
}

void
migrate_lint_drop(MigrateLintState *ls, DropStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->objects)
	{
		List	   *names = (List *) lfirst(lc);
		MigrateLintTable *t;

		if (stmt->removeType == OBJECT_INDEX)
		{
			t = migrate_lint_lookup_table(ls, relation_rangevar(index_table(names)));
			if (t == NULL)
				continue;
			migrate_lint_note_lock(ls, t, stmt->concurrent ? ShareUpdateExclusiveLock : AccessExclusiveLock);
			if (!stmt->concurrent)
				migrate_lint_add_finding(ls, "drop-index-not-concurrently", migrate_lint_in_use_severity(t),
							t, AccessExclusiveLock,
							psprintf("takes AccessExclusiveLock on %s: it waits for every query of the table, and every query waits for it",
									 t->name),
							psprintf("DROP INDEX %s without CONCURRENTLY locks its table",
									 NameListToQuotedString(names)),
							psprintf("DROP INDEX CONCURRENTLY %s;   -- in a migration of its own, transactional => false",
									 NameListToQuotedString(names)));
		}
		else if (stmt->removeType == OBJECT_TABLE)
		{
			t = migrate_lint_lookup_table(ls, makeRangeVarFromNameList(names));
			if (t == NULL)
				continue;
			migrate_lint_note_lock(ls, t, AccessExclusiveLock);
			migrate_lint_add_finding(ls, "drop-table", migrate_lint_in_use_severity(t), t, AccessExclusiveLock,
						psprintf("deletes %s", migrate_lint_size_text(t)),
						psprintf("dropping %s deletes its rows and breaks every query that still uses it",
								 t->name),
						"-- first release the application without the table, and keep a dump of it");
		}
	}
}

/* True if DefElem list "options" sets option "name" on. */
static bool
option_on(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, name) == 0)
			return opt->arg == NULL || defGetBoolean(opt);
	}
	return false;
}

/*
 * VACUUM FULL, CLUSTER, REINDEX without CONCURRENTLY: rebuilds under a
 * lock.  "t" is NULL for a whole schema or database.
 */
static void
lint_rebuild(MigrateLintState *ls, const char *rule, MigrateLintTable *t,
			 LOCKMODE mode, const char *message, const char *safer)
{
	migrate_lint_note_lock(ls, t, mode);
	migrate_lint_add_finding(ls, rule, t ? migrate_lint_size_severity(t) : MIGRATE_LINT_ERROR,
				t, mode,
				t ? psprintf("rebuilds %s while holding %s", migrate_lint_size_text(t), migrate_lint_lock_name(mode)) :
				psprintf("rebuilds every table it names while holding %s on each", migrate_lint_lock_name(mode)),
				message, safer);
}

void
migrate_lint_maintenance(MigrateLintState *ls, Node *stmt)
{
	ListCell   *lc;

	if (IsA(stmt, VacuumStmt))
	{
		VacuumStmt *vac = (VacuumStmt *) stmt;

		if (!vac->is_vacuumcmd || !option_on(vac->options, "full"))
			return;
		if (vac->rels == NIL)
			lint_rebuild(ls, "vacuum-full", NULL, AccessExclusiveLock,
						 "VACUUM FULL rewrites every table of the database under ACCESS EXCLUSIVE",
						 "-- pg_repack or pg_squeeze, table by table; or plain VACUUM");
		foreach(lc, vac->rels)
		{
			VacuumRelation *vr = (VacuumRelation *) lfirst(lc);
			MigrateLintTable *t = migrate_lint_lookup_table(ls, vr->relation);

			if (t)
				lint_rebuild(ls, "vacuum-full", t, AccessExclusiveLock,
							 "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
							 psprintf("-- pg_repack --table %s (or pg_squeeze): the same result, with the lock held only at the end; or VACUUM %s",
									  t->name, t->name));
		}
	}
	else if (IsA(stmt, ClusterStmt))
	{
		ClusterStmt *cl = (ClusterStmt *) stmt;
		MigrateLintTable *t = migrate_lint_lookup_table(ls, cl->relation);

		if (cl->relation != NULL && t == NULL)
			return;
		lint_rebuild(ls, "cluster", t, AccessExclusiveLock,
					 "CLUSTER rewrites the table in index order under ACCESS EXCLUSIVE",
					 t ? psprintf("-- pg_repack --table %s --order-by <columns>: the same order, with the lock held only at the end",
								  t->name) :
					 "-- pg_repack, table by table");
	}
	else if (IsA(stmt, ReindexStmt))
	{
		ReindexStmt *ri = (ReindexStmt *) stmt;
		MigrateLintTable *t = NULL;
		const char *word;

		if (option_on(ri->params, "concurrently"))
			return;
		switch (ri->kind)
		{
			case REINDEX_OBJECT_INDEX:
				word = "index";
				t = migrate_lint_lookup_table(ls, relation_rangevar(index_table(ri->relation->schemaname ?
																   list_make2(makeString(ri->relation->schemaname),
																			  makeString(ri->relation->relname)) :
																   list_make1(makeString(ri->relation->relname)))));
				if (t == NULL)
					return;
				break;
			case REINDEX_OBJECT_TABLE:
				word = "table";
				t = migrate_lint_lookup_table(ls, ri->relation);
				if (t == NULL)
					return;
				break;
			case REINDEX_OBJECT_SCHEMA:
				word = "schema";
				break;
			default:
				word = "database";
				break;
		}
		lint_rebuild(ls, "reindex-not-concurrently", t, ShareLock,
					 "REINDEX without CONCURRENTLY blocks writes to the table, and reads that use the index, until it ends",
					 psprintf("%s;   -- in a migration of its own, transactional => false",
							  migrate_lint_insert_after_word(ls->sql, word, " CONCURRENTLY")));
	}
}

/*
 * SET [LOCAL] lock_timeout in the script: the statements after it run
 * with it.
 */
void
migrate_lint_set(MigrateLintState *ls, VariableSetStmt *stmt)
{
	Node	   *arg;

	if (stmt->name == NULL || strcmp(stmt->name, "lock_timeout") != 0)
		return;
	if (stmt->kind != VAR_SET_VALUE || stmt->args == NIL)
	{
		ls->timeout = LockTimeout > 0;
		return;
	}
	arg = (Node *) linitial(stmt->args);
	if (IsA(arg, A_Const) && IsA(&((A_Const *) arg)->val, Integer))
		ls->timeout = intVal(&((A_Const *) arg)->val) != 0;
	else if (IsA(arg, A_Const) && IsA(&((A_Const *) arg)->val, String))
		ls->timeout = atoi(strVal(&((A_Const *) arg)->val)) != 0;
	else
		ls->timeout = true;
}

/*
 * An UPDATE or DELETE of an existing table: judged at the end, when it is
 * known whether the script also does DDL.
 */
void
migrate_lint_backfill(MigrateLintState *ls, RangeVar *rv, const char *command)
{
	MigrateLintTable *t = migrate_lint_lookup_table(ls, rv);
	MemoryContext oldcontext;
	MigrateLintBackfill *b;

	if (t == NULL)
		return;
	migrate_lint_note_lock(ls, t, RowExclusiveLock);
	oldcontext = MemoryContextSwitchTo(ls->cxt);
	b = palloc(sizeof(MigrateLintBackfill));
	b->statement = ls->current;
	b->table = t;
	b->command = command;
	ls->backfills = lappend(ls->backfills, b);
	MemoryContextSwitchTo(oldcontext);
}
