/*-------------------------------------------------------------------------
 *
 * lint_finding.c
 *	  What the lint rules share: the findings of the script being linted,
 *	  the tables it touches (sized once), the locks it takes across
 *	  statements (several ACCESS EXCLUSIVE, no lock timeout), and the
 *	  "prefer" rules on column types.
 *
 * The rules (lint_alter.c, lint_commands.c) call down into this file; the
 * driver, lint_rules.c, calls them.
 *
 * IDENTIFICATION
 *	  src/rollout/lint_finding.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "rollout/rollout.h"

const char *
migrate_lint_lock_name(LOCKMODE mode)
{
	return GetLockmodeName(DEFAULT_LOCKMETHOD, mode);
}

/*
 * Add a finding on the current statement; its strings are copied into the
 * script's context.
 */
MigrateLintFinding *
migrate_lint_add_finding(MigrateLintState *ls, const char *rule, MigrateLintSeverity severity,
			MigrateLintTable *t, LOCKMODE mode, const char *cost,
			const char *message, const char *safer)
{
	MemoryContext oldcontext;
	MigrateLintFinding *f;

	if (t)
		migrate_lint_size(t);
	oldcontext = MemoryContextSwitchTo(ls->cxt);
	f = palloc0(sizeof(MigrateLintFinding));

	f->rule = rule;
	f->severity = severity;
	f->statement = ls->current + 1;
	f->line = ls->script->statements[ls->current].line;
	f->relation = t ? pstrdup(t->name) : NULL;
	f->lockmode = mode != NoLock ? migrate_lint_lock_name(mode) : NULL;
	f->rows = t ? t->rows : -1;
	f->bytes = t ? t->bytes : -1;
	f->activity = t ? t->activity : -1;
	f->cost = cost ? pstrdup(cost) : NULL;
	f->message = pstrdup(message);
	f->safer = safer ? pstrdup(safer) : NULL;
	ls->findings = lappend(ls->findings, f);
	MemoryContextSwitchTo(oldcontext);
	return f;
}

/*
 * The severity of a change whose risk is the application that uses the
 * table, not the time it takes: a warning once the table has rows.
 */
MigrateLintSeverity
migrate_lint_in_use_severity(MigrateLintTable *t)
{
	migrate_lint_size(t);
	return t->rows > 0 ? MIGRATE_LINT_WARNING : MIGRATE_LINT_INFO;
}

/*
 * The existing table "rv" names, sized, or NULL when the script created it
 * or it does not exist (yet): a new table is empty.  The first time a
 * table is seen, its int sequences are checked.
 */
MigrateLintTable *
migrate_lint_lookup_table(MigrateLintState *ls, RangeVar *rv)
{
	ListCell   *lc;
	Oid			relid;
	MigrateLintTable *t;
	MemoryContext oldcontext;
	int			ntables = list_length(ls->tables);
	char	   *column;
	char	   *sequence;
	double		used;

	if (rv == NULL)
		return NULL;
	foreach(lc, ls->created)
		if (strcmp((char *) lfirst(lc), rv->relname) == 0)
			return NULL;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		return NULL;

	oldcontext = MemoryContextSwitchTo(ls->cxt);
	t = migrate_lint_table(&ls->tables, relid);
	MemoryContextSwitchTo(oldcontext);
	if (t->relkind != RELKIND_RELATION && t->relkind != RELKIND_PARTITIONED_TABLE &&
		t->relkind != RELKIND_MATVIEW)
		return NULL;

	if (list_length(ls->tables) > ntables &&
		migrate_lint_sequence_use(relid, &column, &sequence, &used) &&
		used >= 0.5)
		migrate_lint_add_finding(ls, "int-sequence-near-limit",
					used >= 0.8 ? MIGRATE_LINT_ERROR : MIGRATE_LINT_WARNING,
					t, NoLock,
					psprintf("sequence %s has used %.0f%% of the range of column %s",
							 sequence, used * 100, quote_identifier(column)),
					psprintf("column %s of %s is an integer filled by a sequence near its limit: inserts fail once it is reached",
							 quote_identifier(column), t->name),
					psprintf("ALTER SEQUENCE %s AS bigint;\n"
							 "ALTER TABLE %s ADD COLUMN %s bigint;\n"
							 "-- fill it with a trigger and a batched backfill, then swap the columns in one short migration",
							 sequence, t->name,
							 quote_identifier(psprintf("%s_bigint", column))));
	return t;
}

/*
 * Remember a relation the script creates: later statements on it touch
 * an empty table.
 */
void
migrate_lint_note_created(MigrateLintState *ls, RangeVar *rv)
{
	MemoryContext oldcontext;

	if (rv == NULL)
		return;
	oldcontext = MemoryContextSwitchTo(ls->cxt);
	ls->created = lappend(ls->created, pstrdup(rv->relname));
	MemoryContextSwitchTo(oldcontext);
}

/*
 * The current statement takes lock "mode" on existing table "t": the
 * rules about locks across the script.
 */
void
migrate_lint_note_lock(MigrateLintState *ls, MigrateLintTable *t, LOCKMODE mode)
{
	if (t == NULL)
		return;

	if (mode > RowExclusiveLock && ls->ddl_statement < 0)
		ls->ddl_statement = ls->current;

	/* from SHARE up, the lock stops writes: whoever queues behind it waits */
	if (mode >= ShareLock && !ls->timeout && !ls->timeout_reported)
	{
		ls->timeout_reported = true;
		migrate_lint_add_finding(ls, "no-lock-timeout", MIGRATE_LINT_WARNING, t, mode,
					psprintf("waits for %s on %s for as long as another transaction holds a conflicting lock, and every query of the table queues behind it",
							 migrate_lint_lock_name(mode), t->name),
					"the statement takes a lock that blocks writes and no lock timeout is in force",
					"SET LOCAL lock_timeout = '3s';   -- first in the script; or leave migrate.lock_timeout at its default (3 s, with retries)");
	}

	if (mode == AccessExclusiveLock && !list_member_oid(ls->exclusive, t->relid))
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(ls->cxt);

		ls->exclusive = lappend_oid(ls->exclusive, t->relid);
		MemoryContextSwitchTo(oldcontext);
		if (list_length(ls->exclusive) > 1)
			migrate_lint_add_finding(ls, "many-access-exclusive", MIGRATE_LINT_WARNING, t, mode,
						psprintf("holds AccessExclusiveLock on %d tables until the migration commits",
								 list_length(ls->exclusive)),
						psprintf("the migration takes AccessExclusiveLock on %s while it holds it on %s: sessions that lock them in another order deadlock with it, and both tables are blocked until it commits",
								 t->name, get_rel_name(linitial_oid(ls->exclusive))),
						"-- one table per migration: move this statement to a migration of its own");
	}
}

/*
 * "sql" with "insert" after its first word "word" (case-insensitive), as
 * in "CREATE INDEX" to "CREATE INDEX CONCURRENTLY".
 */
char *
migrate_lint_insert_after_word(const char *sql, const char *word, const char *insert)
{
	int			wlen = strlen(word);
	const char *p;

	for (p = sql; *p; p++)
	{
		if (pg_strncasecmp(p, word, wlen) == 0 &&
			(p == sql || !isalnum((unsigned char) p[-1])) &&
			!isalnum((unsigned char) p[wlen]) && p[wlen] != '_')
			return psprintf("%.*s%s%s", (int) (p - sql) + wlen, sql, insert,
							p + wlen);
	}
	return pstrdup(sql);
}

/*
 * True if raw expression "node" may call a volatile function: a default
 * that must be computed for every existing row, which rewrites the
 * table.  A function is looked up by name; an unknown one counts as
 * volatile.
 */
bool
migrate_lint_volatile(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall))
	{
		FuncCall   *fc = (FuncCall *) node;
		FuncCandidateList c;

		c = FuncnameGetCandidates(fc->funcname, -1, NIL, false, false, false, true);
		if (c == NULL)
			return true;
		for (; c; c = c->next)
			if (func_volatile(c->oid) == PROVOLATILE_VOLATILE)
				return true;
	}
	return raw_expression_tree_walker(node, migrate_lint_volatile, context);
}

/*
 * The last name of a type as written, lower case as the parser keeps it:
 * "int4" for INTEGER, "timestamp" for TIMESTAMP, "bpchar" for CHAR(n).
 */
const char *
migrate_lint_type_name(const TypeName *tn)
{
	if (tn == NULL || tn->names == NIL)
		return "";
	return strVal(llast(tn->names));
}

bool
migrate_lint_is_serial(const char *name)
{
	return strcmp(name, "serial") == 0 || strcmp(name, "serial4") == 0 ||
		strcmp(name, "bigserial") == 0 || strcmp(name, "serial8") == 0 ||
		strcmp(name, "smallserial") == 0 || strcmp(name, "serial2") == 0;
}

/*
 * The "prefer" rules on a column's type: "relname" is the table as
 * written, "key" says whether the column is a primary key or filled by a
 * sequence.
 */
void
migrate_lint_column_type(MigrateLintState *ls, const char *relname, const char *colname,
				 const TypeName *tn, bool key)
{
	const char *name = migrate_lint_type_name(tn);
	const char *col = quote_identifier(colname);
	const char *rel = quote_identifier(relname);

	if (strcmp(name, "json") == 0)
		migrate_lint_add_finding(ls, "prefer-jsonb", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
					psprintf("column %s of %s is json: it has no equality operator (DISTINCT, UNION and GROUP BY fail on it) and is parsed again on every use",
							 col, rel),
					psprintf("%s jsonb", col));
	else if (strcmp(name, "timestamp") == 0)
		migrate_lint_add_finding(ls, "prefer-timestamptz", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
					psprintf("column %s of %s is timestamp without time zone: its values mean different instants to clients in different time zones",
							 col, rel),
					psprintf("%s timestamptz", col));
	else if (strcmp(name, "bpchar") == 0)
		migrate_lint_add_finding(ls, "ban-char-field", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
					psprintf("column %s of %s is char(n): values are padded with spaces, and it is no faster than text",
							 col, rel),
					psprintf("%s text   -- with CHECK (char_length(%s) <= n) if the length must be bounded",
							 col, col));
	else if (strcmp(name, "varchar") == 0 && tn->typmods != NIL)
		migrate_lint_add_finding(ls, "prefer-text-field", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
					psprintf("column %s of %s is varchar(n): making it longer later is free, but shorter rewrites the table; a CHECK constraint can be changed without a rewrite",
							 col, rel),
					psprintf("%s text CHECK (char_length(%s) <= n)", col, col));
	else if (strcmp(name, "money") == 0)
		migrate_lint_add_finding(ls, "ban-money", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
					psprintf("column %s of %s is money: its output and input depend on lc_monetary, and it has a fixed fraction",
							 col, rel),
					psprintf("%s numeric(12, 2)   -- and the currency in a column of its own", col));

	if (migrate_lint_is_serial(name))
		migrate_lint_add_finding(ls, "prefer-identity", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
					psprintf("column %s of %s is %s: its sequence has privileges and dependencies of its own; identity columns are the standard way",
							 col, rel, name),
					psprintf("%s bigint GENERATED BY DEFAULT AS IDENTITY", col));
	if (key && (strcmp(name, "int4") == 0 || strcmp(name, "int2") == 0 ||
				strcmp(name, "serial") == 0 || strcmp(name, "serial4") == 0 ||
				strcmp(name, "smallserial") == 0 || strcmp(name, "serial2") == 0))
		migrate_lint_add_finding(ls, "prefer-bigint-over-int", MIGRATE_LINT_INFO, NULL, NoLock, NULL,
					psprintf("key column %s of %s is a %s: a busy table runs out of its values, and changing the type later rewrites the table",
							 col, rel,
							 (strcmp(name, "int2") == 0 || strcmp(name, "smallserial") == 0 ||
							  strcmp(name, "serial2") == 0) ? "smallint" : "integer"),
					psprintf("%s bigint", col));
}

/* True if constraint list "constraints" has one of type "contype". */
bool
migrate_lint_has_constraint(List *constraints, ConstrType contype)
{
	ListCell   *lc;

	foreach(lc, constraints)
		if (IsA(lfirst(lc), Constraint) &&
			((Constraint *) lfirst(lc))->contype == contype)
			return true;
	return false;
}
