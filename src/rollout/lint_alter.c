/*-------------------------------------------------------------------------
 *
 * lint_alter.c
 *	  The lint rules of ALTER TABLE: columns added with a volatile default
 *	  or stored generated, type changes that rewrite, SET NOT NULL that
 *	  scans, constraints added without NOT VALID or without an index,
 *	  dropped columns, SET LOGGED and UNLOGGED.
 *
 * The lock is PostgreSQL's own: AlterTableGetLockLevel() of the
 * statement's subcommands, the lock ALTER TABLE itself takes.  The driver
 * and the shared helpers are in lint_rules.c.
 *
 * IDENTIFICATION
 *	  src/rollout/lint_alter.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/tablecmds.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "rollout/rollout.h"

/*
 * ALTER TABLE ... ADD COLUMN: a volatile default (serial included) or a
 * stored generated column is computed for every row, which rewrites the
 * table.
 */
static void
lint_add_column(MigrateLintState *ls, RangeVar *rv, MigrateLintTable *t,
				ColumnDef *cd, LOCKMODE mode)
{
	Node	   *expr = cd->raw_default;
	bool		generated = false;
	ListCell   *lc;
	const char *typname = migrate_lint_type_name(cd->typeName);

	migrate_lint_column_type(ls, rv->relname, cd->colname, cd->typeName,
					 migrate_lint_has_constraint(cd->constraints, CONSTR_PRIMARY) ||
					 migrate_lint_has_constraint(cd->constraints, CONSTR_IDENTITY));
	if (t == NULL)
		return;

	foreach(lc, cd->constraints)
	{
		Constraint *c = (Constraint *) lfirst(lc);

		if (c->contype == CONSTR_DEFAULT)
			expr = c->raw_expr;
		else if (c->contype == CONSTR_GENERATED &&
				 migrate_constraint_generated_stored(c))
			generated = true;
	}

	if (generated)
		migrate_lint_add_finding(ls, "add-stored-generated-column", migrate_lint_size_severity(t),
					t, mode,
					psprintf("rewrites %s while holding %s: every read and write of the table waits",
							 migrate_lint_size_text(t), migrate_lint_lock_name(mode)),
					psprintf("adding the stored generated column %s computes it for every row and rewrites the table",
							 quote_identifier(cd->colname)),
					psprintf("ALTER TABLE %s ADD COLUMN %s %s;\n"
							 "-- fill it with a trigger and a batched backfill instead of GENERATED ... STORED",
							 t->name, quote_identifier(cd->colname),
							 TypeNameToString(cd->typeName)));
	else if (migrate_lint_is_serial(typname) || (expr && migrate_lint_volatile(expr, NULL)))
		migrate_lint_add_finding(ls, "add-column-volatile-default", migrate_lint_size_severity(t),
					t, mode,
					psprintf("rewrites %s while holding %s: every read and write of the table waits",
							 migrate_lint_size_text(t), migrate_lint_lock_name(mode)),
					psprintf("column %s is added with a volatile default, computed for every existing row: the table is rewritten",
							 quote_identifier(cd->colname)),
					psprintf("ALTER TABLE %s ADD COLUMN %s %s;\n"
							 "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT <the default>;   -- new rows only\n"
							 "-- then fill the existing rows in batches, in migrations of their own:\n"
							 "UPDATE %s SET %s = <the default> WHERE ctid IN (SELECT ctid FROM %s WHERE %s IS NULL LIMIT 10000);",
							 t->name, quote_identifier(cd->colname),
							 migrate_lint_is_serial(typname) ? "bigint" : TypeNameToString(cd->typeName),
							 t->name, quote_identifier(cd->colname),
							 t->name, quote_identifier(cd->colname), t->name,
							 quote_identifier(cd->colname)));
}

/*
 * ALTER TABLE ... ALTER COLUMN ... TYPE: a change that is not binary
 * coercible, or that shortens a length or precision, or with USING,
 * rewrites the table (or checks every row) under ACCESS EXCLUSIVE.  A
 * binary-coercible change (varchar(n) to text or to a longer varchar)
 * changes only the catalog and is not reported.
 */
static void
lint_alter_type(MigrateLintState *ls, RangeVar *rv, MigrateLintTable *t,
				AlterTableCmd *cmd, LOCKMODE mode)
{
	ColumnDef  *def = (ColumnDef *) cmd->def;
	AttrNumber	attnum;
	Oid			oldtype;
	int32		oldtypmod;
	Oid			oldcoll;
	Oid			newtype;
	int32		newtypmod;
	Type		typ;
	bool		shrink;
	const char *col = quote_identifier(cmd->name);
	char	   *newname;

	migrate_lint_column_type(ls, rv->relname, cmd->name, def->typeName, false);
	if (t == NULL)
		return;
	attnum = get_attnum(t->relid, cmd->name);
	if (attnum == InvalidAttrNumber)
		return;
	typ = LookupTypeName(NULL, def->typeName, &newtypmod, true);
	if (typ == NULL)
		return;
	newtype = typeTypeId(typ);
	ReleaseSysCache(typ);
	get_atttypetypmodcoll(t->relid, attnum, &oldtype, &oldtypmod, &oldcoll);

	shrink = newtypmod >= 0 && (oldtypmod < 0 || newtypmod < oldtypmod);
	if (def->raw_default == NULL && IsBinaryCoercible(oldtype, newtype) &&
		(oldtype != newtype ? newtypmod < 0 || (oldtypmod >= 0 && !shrink) : !shrink))
		return;

	newname = format_type_with_typemod(newtype, newtypmod);
	if (def->raw_default == NULL && IsBinaryCoercible(oldtype, newtype) &&
		(newtype == VARCHAROID || newtype == BPCHAROID) && newtypmod > VARHDRSZ)
		migrate_lint_add_finding(ls, "alter-column-type", migrate_lint_size_severity(t), t, mode,
					psprintf("rewrites %s while holding %s to check the new length: every read and write of the table waits",
							 migrate_lint_size_text(t), migrate_lint_lock_name(mode)),
					psprintf("column %s becomes %s, shorter than before: every row is checked and the table rewritten",
							 col, newname),
					psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (char_length(%s) <= %d) NOT VALID;\n"
							 "ALTER TABLE %s VALIDATE CONSTRAINT %s;   -- in the next migration: reads and writes go on\n"
							 "-- and keep the column's type as it is",
							 t->name, quote_identifier(psprintf("%s_%s_length", get_rel_name(t->relid), cmd->name)),
							 col, newtypmod - VARHDRSZ,
							 t->name, quote_identifier(psprintf("%s_%s_length", get_rel_name(t->relid), cmd->name))));
	else
		migrate_lint_add_finding(ls, "alter-column-type", migrate_lint_size_severity(t), t, mode,
					psprintf("rewrites %s and rebuilds its indexes while holding %s: every read and write of the table waits",
							 migrate_lint_size_text(t), migrate_lint_lock_name(mode)),
					psprintf("column %s changes from %s to %s, which is not binary coercible: the table is rewritten",
							 col, format_type_with_typemod(oldtype, oldtypmod), newname),
					psprintf("ALTER TABLE %s ADD COLUMN %s %s;\n"
							 "-- keep it in step with %s (a trigger), fill it in batches, then in one short migration:\n"
							 "ALTER TABLE %s RENAME COLUMN %s TO %s;\n"
							 "ALTER TABLE %s RENAME COLUMN %s TO %s;",
							 t->name, quote_identifier(psprintf("%s_new", cmd->name)), newname,
							 col,
							 t->name, col, quote_identifier(psprintf("%s_old", cmd->name)),
							 t->name, quote_identifier(psprintf("%s_new", cmd->name)), col));
}

/*
 * True if table "relid" has a validated CHECK (col IS NOT NULL) on column
 * "attnum": SET NOT NULL then uses it instead of scanning the table.
 */
static bool
has_validated_not_null_check(Oid relid, AttrNumber attnum)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		bool		isnull;
		Datum		bin;
		Node	   *expr;

		if (con->contype != CONSTRAINT_CHECK || !con->convalidated)
			continue;
		bin = heap_getattr(tuple, Anum_pg_constraint_conbin,
						   RelationGetDescr(conrel), &isnull);
		if (isnull)
			continue;
		expr = stringToNode(TextDatumGetCString(bin));
		if (IsA(expr, NullTest) &&
			((NullTest *) expr)->nulltesttype == IS_NOT_NULL &&
			!((NullTest *) expr)->argisrow &&
			IsA(((NullTest *) expr)->arg, Var) &&
			((Var *) ((NullTest *) expr)->arg)->varattno == attnum)
			found = true;
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return found;
}

/*
 * SET NOT NULL (or, on 18, ADD CONSTRAINT ... NOT NULL without NOT VALID)
 * on column "colname" of existing table "t": a scan of every row under
 * ACCESS EXCLUSIVE, unless the column is NOT NULL already or a validated
 * CHECK proves it, in the catalog or validated earlier in the script.
 */
static void
lint_set_not_null(MigrateLintState *ls, MigrateLintTable *t, const char *colname,
				  LOCKMODE mode)
{
	HeapTuple	tuple;
	AttrNumber	attnum;
	bool		notnull;
	const char *col = quote_identifier(colname);
	char	   *check;

	tuple = SearchSysCacheAttName(t->relid, colname);
	if (!HeapTupleIsValid(tuple))
		return;
	attnum = ((Form_pg_attribute) GETSTRUCT(tuple))->attnum;
	notnull = ((Form_pg_attribute) GETSTRUCT(tuple))->attnotnull;
	ReleaseSysCache(tuple);
	if (notnull || list_member_oid(ls->validated, t->relid) ||
		has_validated_not_null_check(t->relid, attnum))
		return;

	check = (char *) quote_identifier(psprintf("%s_%s_not_null", get_rel_name(t->relid), colname));
	migrate_lint_add_finding(ls, "set-not-null", migrate_lint_size_severity(t), t, mode,
				psprintf("scans %s while holding %s: every read and write of the table waits",
						 migrate_lint_size_text(t), migrate_lint_lock_name(mode)),
				psprintf("SET NOT NULL on column %s checks every row, as no validated CHECK (%s IS NOT NULL) proves it",
						 col, col),
				psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n"
						 "ALTER TABLE %s VALIDATE CONSTRAINT %s;   -- in the next migration: reads and writes go on\n"
						 "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;   -- uses the CHECK, no scan\n"
						 "ALTER TABLE %s DROP CONSTRAINT %s;\n"
						 "-- PostgreSQL 18: ALTER TABLE %s ADD CONSTRAINT %s NOT NULL %s NOT VALID; then VALIDATE CONSTRAINT %s",
						 t->name, check, col, t->name, check, t->name, col,
						 t->name, check, t->name, check, col, check));
}

/*
 * ALTER TABLE ... ADD CONSTRAINT on existing table "t".
 */
static void
lint_add_constraint(MigrateLintState *ls, AlterTableStmt *stmt, MigrateLintTable *t,
					Constraint *c, LOCKMODE mode)
{
	const char *name = c->conname ? quote_identifier(c->conname) : "<its name>";
	StringInfoData keys;
	ListCell   *lc;

	initStringInfo(&keys);
	foreach(lc, c->keys)
		appendStringInfo(&keys, "%s%s", keys.len ? ", " : "",
						 quote_identifier(strVal(lfirst(lc))));

	switch (c->contype)
	{
		case CONSTR_CHECK:
		case CONSTR_FOREIGN:
			if (c->contype == CONSTR_FOREIGN)
				migrate_lint_note_lock(ls, migrate_lint_lookup_table(ls, c->pktable), ShareRowExclusiveLock);
			if (c->skip_validation)
				return;
			migrate_lint_add_finding(ls, "constraint-missing-not-valid", migrate_lint_size_severity(t),
						t, mode,
						psprintf("checks every row of %s while holding %s%s",
								 migrate_lint_size_text(t), migrate_lint_lock_name(mode),
								 mode >= ShareLock ? ": writes to the table wait" : ""),
						psprintf("the %s constraint %s is validated as it is added, scanning the table under the lock",
								 c->contype == CONSTR_FOREIGN ? "foreign key" : "CHECK",
								 name),
						psprintf("%s%s NOT VALID;\n"
								 "ALTER TABLE %s VALIDATE CONSTRAINT %s;   -- in the next migration: ShareUpdateExclusiveLock, reads and writes go on",
								 list_length(stmt->cmds) == 1 ? ls->sql :
								 psprintf("ALTER TABLE %s ADD CONSTRAINT %s ...", t->name, name),
								 c->conname ? "" : "   -- name the constraint",
								 t->name, name));
			break;
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
			if (c->indexname)
				return;
			{
				char	   *index = (char *) quote_identifier(c->conname ? psprintf("%s_index", c->conname) :
															  psprintf("%s_%s_index", get_rel_name(t->relid),
																	   c->contype == CONSTR_PRIMARY ? "pkey" : "key"));
				const char *kind = c->contype == CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE";

				migrate_lint_add_finding(ls, "add-unique-without-index", migrate_lint_size_severity(t),
							t, mode,
							psprintf("builds a unique index over %s while holding %s: every read and write of the table waits",
									 migrate_lint_size_text(t), migrate_lint_lock_name(mode)),
							psprintf("ADD %s builds its index under the lock", kind),
							psprintf("CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s);   -- in a migration of its own, transactional => false\n"
									 "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;",
									 index, t->name, keys.data, t->name,
									 c->conname ? name : quote_identifier(psprintf("%s_%s", get_rel_name(t->relid),
																				   c->contype == CONSTR_PRIMARY ? "pkey" : "key")),
									 kind, index));
			}
			break;
		case CONSTR_EXCLUSION:
			migrate_lint_add_finding(ls, "add-exclusion-constraint", migrate_lint_size_severity(t),
						t, mode,
						psprintf("builds an index over %s and checks every row while holding %s",
								 migrate_lint_size_text(t), migrate_lint_lock_name(mode)),
						"an exclusion constraint cannot be added NOT VALID or from an existing index: it is built and checked under the lock",
						"-- add it when the table is created, or in a maintenance window");
			break;
		case CONSTR_NOTNULL:
			if (!c->skip_validation && c->keys != NIL)
				lint_set_not_null(ls, t, strVal(linitial(c->keys)), mode);
			break;
		default:
			break;
	}
}

void
migrate_lint_alter_table(MigrateLintState *ls, AlterTableStmt *stmt)
{
	MigrateLintTable *t;
	LOCKMODE	mode;
	ListCell   *lc;

	if (stmt->objtype != OBJECT_TABLE)
		return;
	t = migrate_lint_lookup_table(ls, stmt->relation);
	mode = AlterTableGetLockLevel(stmt->cmds);
	migrate_lint_note_lock(ls, t, mode);

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		switch (cmd->subtype)
		{
			case AT_AddColumn:
				lint_add_column(ls, stmt->relation, t, (ColumnDef *) cmd->def, mode);
				break;
			case AT_AlterColumnType:
				lint_alter_type(ls, stmt->relation, t, cmd, mode);
				break;
			case AT_SetNotNull:
				if (t)
					lint_set_not_null(ls, t, cmd->name, mode);
				break;
			case AT_AddConstraint:
				if (t)
					lint_add_constraint(ls, stmt, t, (Constraint *) cmd->def, mode);
				break;
			case AT_ValidateConstraint:
				if (t)
				{
					MemoryContext oldcontext = MemoryContextSwitchTo(ls->cxt);

					ls->validated = lappend_oid(ls->validated, t->relid);
					MemoryContextSwitchTo(oldcontext);
				}
				break;
			case AT_DropColumn:
				if (t)
					migrate_lint_add_finding(ls, "drop-column", migrate_lint_in_use_severity(t), t, mode,
								psprintf("takes %s on %s briefly; the column's data stays on disk until the table is rewritten",
										 migrate_lint_lock_name(mode), t->name),
								psprintf("dropping column %s breaks every query and ORM model that still uses it",
										 quote_identifier(cmd->name)),
								psprintf("-- first release the application without %s (ignore it in the ORM), then:\n%s;",
										 quote_identifier(cmd->name), ls->sql));
				break;
			case AT_SetLogged:
			case AT_SetUnLogged:
				if (t)
					migrate_lint_add_finding(ls, "set-logged-unlogged", migrate_lint_size_severity(t),
								t, mode,
								psprintf("rewrites %s%s while holding %s: every read and write of the table waits",
										 migrate_lint_size_text(t),
										 cmd->subtype == AT_SetLogged ? " and writes all of it to the WAL" : "",
										 migrate_lint_lock_name(mode)),
								psprintf("SET %s rewrites the whole table",
										 cmd->subtype == AT_SetLogged ? "LOGGED" : "UNLOGGED"),
								psprintf("-- no online way: CREATE %sTABLE <new name> (LIKE %s INCLUDING ALL); copy the rows in batches, then swap the names in one short migration",
										 cmd->subtype == AT_SetLogged ? "" : "UNLOGGED ", t->name));
				break;
			default:
				break;
		}
	}
}
