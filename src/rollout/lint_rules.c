/*-------------------------------------------------------------------------
 *
 * lint_rules.c
 *	  The lint rules: what each statement of a script locks, rewrites or
 *	  scans, judged on PostgreSQL's own parse tree and sized by the live
 *	  catalog (lint_size.c).
 *
 * Each statement is parsed again on its own (migrate_statement_parsetree())
 * and looked at as PostgreSQL will run it: its relations are named with
 * the caller's search_path, as the migration's statements will be.  The
 * lock of an ALTER TABLE is PostgreSQL's own (AlterTableGetLockLevel());
 * for the other commands it is the lock their code takes, as the table in
 * the README lists.  Relations the script creates, and relations that do
 * not exist yet (created by an earlier pending migration), are new and
 * empty: only the "prefer" rules look at them.
 *
 * A rule whose cost grows with the table (a rewrite, a scan, an index
 * build) gets its severity from the table's size and the thresholds
 * migrate.lint_rows_* and migrate.lint_bytes_*; a rule whose risk is the
 * application (a rename, a dropped column) is a warning on a table with
 * rows and info on an empty one; the "prefer" rules are info.
 *
 * Nothing is locked but what lint_size.c takes without waiting, nothing is
 * run: lint is read-only.
 *
 * IDENTIFICATION
 *	  src/rollout/lint_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/memutils.h"

#include "rollout/rollout.h"

/* True if a table constraint in "elts" is a primary key on "colname". */
static bool
is_primary_key_column(List *elts, const char *colname)
{
	ListCell   *lc;

	foreach(lc, elts)
	{
		Constraint *c = (Constraint *) lfirst(lc);
		ListCell   *kc;

		if (!IsA(c, Constraint) || c->contype != CONSTR_PRIMARY)
			continue;
		foreach(kc, c->keys)
			if (strcmp(strVal(lfirst(kc)), colname) == 0)
				return true;
	}
	return false;
}

static void
lint_create_table(MigrateLintState *ls, CreateStmt *stmt)
{
	ListCell   *lc;

	migrate_lint_note_created(ls, stmt->relation);
	foreach(lc, stmt->tableElts)
	{
		ColumnDef  *cd = (ColumnDef *) lfirst(lc);

		if (!IsA(cd, ColumnDef))
			continue;
		migrate_lint_column_type(ls, stmt->relation->relname, cd->colname, cd->typeName,
						 migrate_lint_has_constraint(cd->constraints, CONSTR_PRIMARY) ||
						 migrate_lint_has_constraint(cd->constraints, CONSTR_IDENTITY) ||
						 is_primary_key_column(stmt->tableElts, cd->colname));
	}
}

/*
 * Lint one statement: ls->current, its text ls->sql.
 */
static void
lint_statement(MigrateLintState *ls, Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
			lint_create_table(ls, (CreateStmt *) stmt);
			break;
		case T_CreateTableAsStmt:
			migrate_lint_note_created(ls, ((CreateTableAsStmt *) stmt)->into->rel);
			break;
		case T_ViewStmt:
			migrate_lint_note_created(ls, ((ViewStmt *) stmt)->view);
			break;
		case T_AlterTableStmt:
			migrate_lint_alter_table(ls, (AlterTableStmt *) stmt);
			break;
		case T_IndexStmt:
			migrate_lint_index(ls, (IndexStmt *) stmt);
			break;
		case T_RenameStmt:
			migrate_lint_rename(ls, (RenameStmt *) stmt);
			break;
		case T_DropStmt:
			migrate_lint_drop(ls, (DropStmt *) stmt);
			break;
		case T_VacuumStmt:
		case T_ClusterStmt:
		case T_ReindexStmt:
			migrate_lint_maintenance(ls, stmt);
			break;
		case T_CreateEnumStmt:
			migrate_lint_add_finding(ls, "create-enum", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
						"an enum's values cannot be removed or renamed in order later without rewriting every table that uses it",
						"-- a text column with a CHECK constraint, or a lookup table with a foreign key");
			break;
		case T_UpdateStmt:
			migrate_lint_backfill(ls, ((UpdateStmt *) stmt)->relation, "UPDATE");
			break;
		case T_DeleteStmt:
			migrate_lint_backfill(ls, ((DeleteStmt *) stmt)->relation, "DELETE");
			break;
		case T_VariableSetStmt:
			migrate_lint_set(ls, (VariableSetStmt *) stmt);
			break;
		case T_LockStmt:
			foreach(lc, ((LockStmt *) stmt)->relations)
				migrate_lint_note_lock(ls, migrate_lint_lookup_table(ls, (RangeVar *) lfirst(lc)),
						  ((LockStmt *) stmt)->mode);
			break;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
				migrate_lint_note_lock(ls, migrate_lint_lookup_table(ls, (RangeVar *) lfirst(lc)),
						  AccessExclusiveLock);
			break;
		case T_CreateTrigStmt:
			migrate_lint_note_lock(ls, migrate_lint_lookup_table(ls, ((CreateTrigStmt *) stmt)->relation),
					  ShareRowExclusiveLock);
			break;
		case T_RefreshMatViewStmt:
			migrate_lint_note_lock(ls, migrate_lint_lookup_table(ls, ((RefreshMatViewStmt *) stmt)->relation),
					  ((RefreshMatViewStmt *) stmt)->concurrent ?
					  ExclusiveLock : AccessExclusiveLock);
			break;
		default:
			break;
	}
}

/*
 * The backfills of a transactional script that also does DDL: the DDL's
 * locks are held until the backfill commits.
 */
static void
lint_backfills(MigrateLintState *ls)
{
	ListCell   *lc;
	List	   *statements = ls->findings;
	List	   *merged = NIL;
	ListCell   *sc;

	if (!ls->transactional || ls->ddl_statement < 0)
		return;
	ls->findings = NIL;
	foreach(lc, ls->backfills)
	{
		MigrateLintBackfill *b = (MigrateLintBackfill *) lfirst(lc);

		if (b->statement == ls->ddl_statement)
			continue;
		ls->current = b->statement;
		migrate_lint_add_finding(ls, "ddl-with-backfill", migrate_lint_size_severity(b->table),
					b->table, RowExclusiveLock,
					psprintf("%s of up to %s in the transaction of the DDL of statement %d: the DDL's locks are held until it commits",
							 b->command, migrate_lint_size_text(b->table), ls->ddl_statement + 1),
					psprintf("the migration changes the schema and runs %s %s of an existing table in the same transaction",
							 b->command[0] == 'U' ? "an" : "a",
							 b->command),
					psprintf("-- move the %s to a migration of its own and run it in batches, committing between them (CALL migrate.run() commits per migration):\n"
							 "%s ... WHERE ctid IN (SELECT ctid FROM %s WHERE ... LIMIT 10000);",
							 b->command, b->command, b->table->name));
	}

	/* merge them into the others, both in statement order */
	sc = list_head(statements);
	foreach(lc, ls->findings)
	{
		MigrateLintFinding *f = (MigrateLintFinding *) lfirst(lc);

		while (sc && ((MigrateLintFinding *) lfirst(sc))->statement <= f->statement)
		{
			merged = lappend(merged, lfirst(sc));
			sc = lnext(statements, sc);
		}
		merged = lappend(merged, f);
	}
	for (; sc; sc = lnext(statements, sc))
		merged = lappend(merged, lfirst(sc));
	ls->findings = merged;
}

/*
 * The reason of a "-- migrate:lint-ok RULE: reason" comment for "rule" in
 * bytes "from" to "to" of "text", or NULL.
 */
static char *
find_acknowledgement(const char *text, int from, int to, const char *rule)
{
	static const char marker[] = "migrate:lint-ok";
	const char *p = text + from;
	const char *end = text + to;
	int			rlen = strlen(rule);

	while (p < end)
	{
		const char *dash = NULL;
		const char *q;

		for (q = p; q + 1 < end; q++)
			if (q[0] == '-' && q[1] == '-')
			{
				dash = q;
				break;
			}
		if (dash == NULL)
			return NULL;
		q = dash + 2;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (end - q > (int) sizeof(marker) - 1 &&
			strncmp(q, marker, sizeof(marker) - 1) == 0)
		{
			q += sizeof(marker) - 1;
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (end - q > rlen && strncmp(q, rule, rlen) == 0 && q[rlen] == ':')
			{
				const char *r = q + rlen + 1;
				const char *e = r;

				while (e < end && *e != '\n' && *e != '\r')
					e++;
				while (r < e && (*r == ' ' || *r == '\t'))
					r++;
				while (e > r && (e[-1] == ' ' || e[-1] == '\t'))
					e--;
				if (e > r)
					return pnstrdup(r, e - r);
			}
		}
		p = dash + 2;
	}
	return NULL;
}

/*
 * Mark the findings acknowledged by a comment on the statement: from the
 * line after the previous statement ends to the end of the statement's
 * last line, so a comment on the lines before it, inside it or after it
 * on its last line counts.
 */
static void
acknowledge(MigrateLintState *ls)
{
	const MigrateScript *script = ls->script;
	const char *text = script->text;
	int			textlen = strlen(text);
	ListCell   *lc;

	foreach(lc, ls->findings)
	{
		MigrateLintFinding *f = (MigrateLintFinding *) lfirst(lc);
		const MigrateStatement *st = &script->statements[f->statement - 1];
		int			from = 0;
		int			to = st->location + st->len;

		if (f->statement > 1)
		{
			const MigrateStatement *prev = &script->statements[f->statement - 2];

			from = prev->location + prev->len;
			while (from < st->location && text[from] != '\n')
				from++;
		}
		while (to < textlen && text[to] != '\n')
			to++;
		f->acknowledged = find_acknowledgement(text, from, to, f->rule);
		if (f->acknowledged)
			f->acknowledged = MemoryContextStrdup(ls->cxt, f->acknowledged);
	}
}

/*
 * Lint a parsed script: a list of MigrateLintFinding *, in statement
 * order, allocated in the current memory context.  "transactional" says
 * whether the script runs in one transaction (a migration registered
 * with transactional => false runs statement by statement, in the
 * background worker, without migrate.lock_timeout's default).
 */
List *
migrate_lint_script(const MigrateScript *script, bool transactional)
{
	MigrateLintState	ls;
	int			i;

	memset(&ls, 0, sizeof(ls));
	ls.script = script;
	ls.cxt = CurrentMemoryContext;
	ls.stmtcxt = AllocSetContextCreate(CurrentMemoryContext, "migrate lint statement",
									   ALLOCSET_DEFAULT_SIZES);
	ls.transactional = transactional;
	ls.timeout = migrate_effective_lock_timeout(!transactional) > 0 ||
		LockTimeout > 0;
	ls.ddl_statement = -1;

	for (i = 0; i < script->nstatements; i++)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(ls.stmtcxt);

		CHECK_FOR_INTERRUPTS();
		ls.current = i;
		ls.sql = migrate_statement_text(script, i);
		lint_statement(&ls, migrate_statement_parsetree(script, i));
		MemoryContextSwitchTo(oldcontext);
		MemoryContextReset(ls.stmtcxt);
	}
	MemoryContextDelete(ls.stmtcxt);
	lint_backfills(&ls);
	acknowledge(&ls);
	return ls.findings;
}
