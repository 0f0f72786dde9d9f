/*-------------------------------------------------------------------------
 *
 * history.c
 *	  The history tables of other migration tools: what adopt() knows of
 *	  each tool, finding its table, checking that the table has the
 *	  tool's columns, and reading it as the tool reads it.
 *
 * Each tool records its history its own way:
 *	- knex: knex_migrations(name, batch, ...), one row per migration file,
 *	  keyed by file name;
 *	- Flyway: flyway_schema_history(installed_rank, version, type, success,
 *	  ...): successful rows only; an undo or a repair's DELETE row
 *	  unapplies a version; a baseline row stands for every version up to
 *	  it; versions compare part by part as numbers ("1.1" is "1_1");
 *	- dbmate: schema_migrations(version), one row per migration;
 *	- golang-migrate: schema_migrations(version, dirty), one row with the
 *	  current version: every version up to it is applied.  A dirty state
 *	  (a migration failed half-way) is refused;
 *	- diesel: __diesel_schema_migrations(version, run_on), the version
 *	  with '-' removed;
 *	- goose: goose_db_version(id, version_id, is_applied, ...), a log in
 *	  which the latest row of a version says whether it is applied;
 *	- Prisma: _prisma_migrations(migration_name, finished_at,
 *	  rolled_back_at, ...), keyed by directory name (20240101000000_init):
 *	  finished rows are applied, rolled-back ones ignored, and a started
 *	  row that never finished (a failed migration) is refused;
 *	- Sequelize CLI: "SequelizeMeta"(name), keyed by file name
 *	  (20240101000000-create-users.js);
 *	- TypeORM: migrations(id, timestamp, name), keyed by the timestamp;
 *	- Sqitch: sqitch.changes(change_id, change, project, committed_at,
 *	  ...), in the schema of Sqitch's registry: one row per deployed
 *	  change (Sqitch deletes the row when it reverts the change and writes
 *	  none for a deploy that failed), keyed by change name; a reworked
 *	  change has a row per deployment of it.  One registry can hold
 *	  several projects, and adopt() takes the history of one;
 *	- Alembic: alembic_version(version_num), one row per head with its
 *	  revision id: every revision up to it is applied.  Several heads
 *	  (branches) are refused: which revisions they cover is in Alembic's
 *	  revision graph, not in migrate's linear order;
 *	- Strapi 4 and 5: strapi_migrations(id, name, time), and Strapi 5's
 *	  own strapi_migrations_internal with the same columns, one row per
 *	  migration, keyed by file name (2022.05.10T00.00.00.add-slugs.js).
 *
 * The table must have the columns adopt() reads, with the types it
 * compares; a table with other columns is refused with an error naming
 * what is missing, before anything is read, rather than with the error of
 * a query the caller never wrote.  A column that only another tool's
 * table has (golang-migrate's "dirty" in what is passed as dbmate's
 * schema_migrations) says the table is that tool's.
 *
 * The history table is found on the caller's search_path as the tool
 * finds it; adopt() therefore does not pin its own search_path (its
 * queries are fully qualified).  It must be a plain table the caller may
 * read, and it is read as its owner (see migrate_read_history()), so that
 * a table planted by another role cannot run code with the caller's
 * privileges.
 *
 * IDENTIFICATION
 *	  src/files/history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lockdefs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "files/files.h"

/*
 * What adopt() knows of each tool: its name, its default history table,
 * the columns it reads and how to read them.
 *
 * "columns" lists the columns the table must have, separated by spaces;
 * ":bool" after a name says that the column must be boolean, and "!"
 * before one that a table with that column is "other"'s, not this tool's.
 * "order" lists ORDER BY lists the tool's order may be read by, best
 * first, separated by '|': the first whose columns the table has is used
 * (a leading digit is a column number, used as is).  The query returns
 * the key, what the tool records about it, and more for the note, with
 * %s for the table and then for the ORDER BY list.
 */
static const struct
{
	const char *name;
	MigrateTool tool;
	const char *table;
	const char *columns;
	const char *order;
	const char *query;
	const char *other;			/* the tool whose table a "!" column marks */
	const char *hint;			/* for a table without the columns */
} tools[] = {
	{"knex", MIGRATE_TOOL_KNEX, "knex_migrations", "name", "id|name",
	"SELECT name::pg_catalog.text, NULL, NULL FROM %s ORDER BY %s",
	 NULL, NULL},
	{"flyway", MIGRATE_TOOL_FLYWAY, "flyway_schema_history",
		"version type success:bool", "installed_rank",
		"SELECT version::pg_catalog.text,"
		" CASE WHEN success THEN type::pg_catalog.text END, NULL"
		" FROM %s WHERE version IS NOT NULL ORDER BY %s",
	 NULL, NULL},
	{"dbmate", MIGRATE_TOOL_DBMATE, "schema_migrations", "version !dirty", "1",
		"SELECT version::pg_catalog.text, NULL, NULL FROM %s ORDER BY %s",
	"golang-migrate", NULL},
	{"golang-migrate", MIGRATE_TOOL_GOLANG, "schema_migrations",
		"version dirty:bool", "1",
		"SELECT version::pg_catalog.text, dirty::pg_catalog.text, NULL FROM %s ORDER BY %s",
		NULL,
	"A schema_migrations table without a boolean dirty column is dbmate's: adopt it with migrate.adopt('dbmate')."},
	{"diesel", MIGRATE_TOOL_DIESEL, "__diesel_schema_migrations", "version", "1",
	"SELECT version::pg_catalog.text, NULL, NULL FROM %s ORDER BY %s",
	 NULL, NULL},
	{"goose", MIGRATE_TOOL_GOOSE, "goose_db_version",
		"version_id is_applied:bool", "id",
	"SELECT version_id::pg_catalog.text, is_applied::pg_catalog.text, NULL FROM %s ORDER BY %s",
	 NULL, NULL},
	{"prisma", MIGRATE_TOOL_PRISMA, "_prisma_migrations",
		"migration_name finished_at rolled_back_at",
		"started_at, migration_name|migration_name",
		"SELECT migration_name::pg_catalog.text,"
		" CASE WHEN rolled_back_at IS NOT NULL THEN 'rolled back'"
		"      WHEN finished_at IS NOT NULL THEN 'applied' ELSE 'failed' END,"
		" NULL FROM %s ORDER BY %s",
	 NULL, NULL},
	{"sequelize", MIGRATE_TOOL_SEQUELIZE, "\"SequelizeMeta\"", "name", "name",
	"SELECT name::pg_catalog.text, NULL, NULL FROM %s ORDER BY %s",
	 NULL, NULL},
	{"typeorm", MIGRATE_TOOL_TYPEORM, "migrations", "timestamp name",
		"id|timestamp",
	"SELECT \"timestamp\"::pg_catalog.text, name::pg_catalog.text, NULL FROM %s ORDER BY %s",
	 NULL, NULL},
	{"sqitch", MIGRATE_TOOL_SQITCH, "sqitch.changes", "change_id change project",
		"committed_at, change_id|change_id",
		"SELECT change::pg_catalog.text, project::pg_catalog.text,"
	" change_id::pg_catalog.text FROM %s ORDER BY %s",
	 NULL, NULL},
	{"alembic", MIGRATE_TOOL_ALEMBIC, "alembic_version", "version_num", "1",
	"SELECT version_num::pg_catalog.text, NULL, NULL FROM %s ORDER BY %s",
	 NULL, NULL},
	{"strapi", MIGRATE_TOOL_STRAPI, "strapi_migrations", "name",
		"time, id|id|name",
	"SELECT name::pg_catalog.text, NULL, NULL FROM %s ORDER BY %s",
	 NULL, NULL},
};

/*
 * Add a result row for something adopt() reports.
 */
void
migrate_adopt_row(List **rows, const char *version, const char *name,
				  const char *action, char *note)
{
	MigrateAdoptRow *row = palloc(sizeof(MigrateAdoptRow));

	row->version = version ? pstrdup(version) : NULL;
	row->name = name ? pstrdup(name) : NULL;
	row->action = action;
	row->note = note;
	*rows = lappend(*rows, row);
}

/*
 * The tool argument, case-insensitive: sets h->tool and h->toolname.
 */
void
migrate_history_tool(FunctionCallInfo fcinfo, MigrateHistory *h)
{
	char	   *tool;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tool must not be NULL"),
				 errhint("Pass knex, flyway, dbmate, golang-migrate, diesel, goose, prisma, sequelize, typeorm, sqitch, alembic or strapi.")));
	tool = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (i = 0; i < lengthof(tools); i++)
		if (pg_strcasecmp(tool, tools[i].name) == 0)
		{
			h->index = i;
			h->tool = tools[i].tool;
			h->toolname = tools[i].name;
			return;
		}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown migration tool \"%s\"", tool),
			 errdetail("The function adopt() reads the history of knex, flyway, dbmate, golang-migrate, diesel, goose, prisma, sequelize, typeorm, sqitch, alembic and strapi."),
			 errhint("Pass knex, flyway, dbmate, golang-migrate, diesel, goose, prisma, sequelize, typeorm, sqitch, alembic or strapi.")));
}

/*
 * The owner of relation "relid".
 */
static Oid
rel_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Find the tool's history table on the caller's search_path, or as
 * qualified by table_name; returns its OID and sets h->table (qualified
 * and quoted) and h->owner.  Only a plain or partitioned table is read:
 * a view, a materialized view or a foreign table runs code of its
 * owner's choosing when it is read, and that code would run as the
 * caller, often a superuser.  The caller must be allowed to read it.
 */
static Oid
history_table(FunctionCallInfo fcinfo, MigrateHistory *h)
{
	text	   *name = PG_ARGISNULL(1) ? cstring_to_text(tools[h->index].table) :
		PG_GETARG_TEXT_PP(1);
	RangeVar   *rv = makeRangeVarFromNameList(textToQualifiedNameList(name));
	Oid			relid = RangeVarGetRelid(rv, AccessShareLock, true);
	char		relkind;

	if (!OidIsValid(relid) && h->tool == MIGRATE_TOOL_SQITCH)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("history table \"%s\" of sqitch does not exist",
						text_to_cstring(name)),
				 errdetail("Sqitch keeps its registry in a schema of its own, sqitch unless its registry setting names another. Nothing was adopted."),
				 errhint("Pass table_name => 'schema.changes' if the registry is in another schema.")));
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("history table \"%s\" of %s does not exist",
						text_to_cstring(name), h->toolname),
				 errdetail("The table is looked up on the search_path, as %s does. Nothing was adopted.",
						   h->toolname),
				 errhint("Pass table_name => 'schema.table' if it is elsewhere or named otherwise.")));
	h->table = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  get_rel_name(relid));
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("history table %s of %s is not a table", h->table,
						h->toolname),
				 errdetail("adopt() reads only plain tables: reading a view, a materialized view or a foreign table runs code its owner chose, with the caller's privileges. Nothing was adopted."),
				 errhint("Check which relation %s is on the search_path, or pass table_name => 'schema.table' to name the tool's table.",
						 quote_identifier(get_rel_name(relid)))));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
	h->owner = rel_owner(relid);
	return relid;
}

/*
 * The column names of a "columns" or "order" list of tools[], markers
 * dropped, each once, in order; appended to *names.
 */
static List *
list_columns(const char *spec, const char *separators, List *names)
{
	char	   *copy = pstrdup(spec);
	char	   *tok;
	char	   *save;

	for (tok = strtok_r(copy, separators, &save); tok;
		 tok = strtok_r(NULL, separators, &save))
	{
		char	   *colon = strchr(tok, ':');
		ListCell   *lc;
		bool		seen = false;

		if (*tok == '!' || isdigit((unsigned char) *tok))
			continue;
		if (colon)
			*colon = '\0';
		foreach(lc, names)
			if (strcmp((char *) lfirst(lc), tok) == 0)
				seen = true;
		if (!seen)
			names = lappend(names, tok);
	}
	return names;
}

/*
 * The columns a tool reads, for messages: "version, type, success and
 * installed_rank".
 */
static char *
columns_text(MigrateHistory *h)
{
	const char *order = tools[h->index].order;
	char	   *first = pstrdup(order);
	char	   *bar = strchr(first, '|');
	List	   *names;
	StringInfoData buf;
	ListCell   *lc;

	if (bar)
		*bar = '\0';
	names = list_columns(tools[h->index].columns, " ", NIL);
	names = list_columns(first, ", ", names);
	initStringInfo(&buf);
	foreach(lc, names)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, foreach_current_index(lc) ==
								   list_length(names) - 1 ? " and " : ", ");
		appendStringInfoString(&buf, (char *) lfirst(lc));
	}
	return buf.data;
}

/*
 * The table's column "name", or InvalidAttrNumber.
 */
static AttrNumber
column_of(Oid relid, const char *name)
{
	return get_attnum(relid, name);
}

/*
 * Check that the table has the tool's columns, with the types compared,
 * and that it is not another tool's; returns the ORDER BY list to read it
 * by, its names quoted.
 */
static char *
check_columns(MigrateHistory *h, Oid relid)
{
	char	   *spec = pstrdup(tools[h->index].columns);
	char	   *tok;
	char	   *save;
	char	   *orders;
	char	   *alt;
	char	   *altsave;

	for (tok = strtok_r(spec, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
	{
		char	   *colon = strchr(tok, ':');
		AttrNumber	attnum;

		if (colon)
			*colon = '\0';
		if (*tok == '!')
		{
			if (column_of(relid, tok + 1) != InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_WRONG_OBJECT_TYPE),
						 errmsg("history table %s of %s has a column \"%s\", which is %s's",
								h->table, h->toolname, tok + 1,
								tools[h->index].other),
						 errdetail("The table of %s has no column \"%s\": a table with one is the history of %s. Nothing was adopted.",
								   h->toolname, tok + 1, tools[h->index].other),
						 errhint("Adopt it with migrate.adopt('%s').",
								 tools[h->index].other)));
			continue;
		}
		attnum = column_of(relid, tok);
		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("history table %s of %s has no column \"%s\"",
							h->table, h->toolname, tok),
					 errdetail("The function adopt() reads the columns %s of the history table of %s. Nothing was adopted.",
							   columns_text(h), h->toolname),
					 tools[h->index].hint ? errhint("%s", tools[h->index].hint) :
					 errhint("Check that table_name names the history table of %s.",
							 h->toolname)));
		if (colon && strcmp(colon + 1, "bool") == 0 &&
			get_atttype(relid, attnum) != BOOLOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of history table %s of %s is of type %s, not boolean",
							tok, h->table, h->toolname,
							format_type_be(get_atttype(relid, attnum))),
					 errdetail("The history table of %s records in \"%s\" whether each row counts. Nothing was adopted.",
							   h->toolname, tok),
					 tools[h->index].hint ? errhint("%s", tools[h->index].hint) :
					 errhint("Check that table_name names the history table of %s.",
							 h->toolname)));
	}

	/* the first ORDER BY list whose columns the table has */
	orders = pstrdup(tools[h->index].order);
	for (alt = strtok_r(orders, "|", &altsave); alt;
		 alt = strtok_r(NULL, "|", &altsave))
	{
		StringInfoData buf;
		char	   *cols = pstrdup(alt);
		char	   *missing = NULL;

		if (isdigit((unsigned char) *alt))
			return alt;
		initStringInfo(&buf);
		for (tok = strtok_r(cols, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		{
			if (column_of(relid, tok) == InvalidAttrNumber)
				missing = tok;
			if (buf.len > 0)
				appendStringInfoString(&buf, ", ");
			appendStringInfoString(&buf, quote_identifier(tok));
		}
		if (missing == NULL)
			return buf.data;
	}

	/* none: name the first list's first missing column */
	alt = pstrdup(tools[h->index].order);
	if (strchr(alt, '|'))
		*strchr(alt, '|') = '\0';
	for (tok = strtok_r(alt, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		if (column_of(relid, tok) == InvalidAttrNumber)
			break;
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("history table %s of %s has no column \"%s\"",
					h->table, h->toolname, tok ? tok : alt),
			 errdetail("The function adopt() reads the columns %s of the history table of %s, in the order of \"%s\". Nothing was adopted.",
					   columns_text(h), h->toolname, tok ? tok : alt),
			 errhint("Check that table_name names the history table of %s.",
					 h->toolname)));
	return NULL;				/* keep compiler quiet */
}

/*
 * Error context while the tool's history table is read.
 */
static void
read_error_callback(void *arg)
{
	MigrateHistory *h = (MigrateHistory *) arg;

	errcontext("reading %s history table \"%s\"", h->toolname, h->table);
}

/*
 * True if "s" is a non-empty run of digits.
 */
static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char) *s))
			return false;
	return true;
}

/*
 * True if "s" is digit runs separated by '.' or '_': a Flyway version.
 */
static bool
flyway_shaped(const char *s)
{
	bool		digit = false;

	for (; *s; s++)
	{
		if (isdigit((unsigned char) *s))
			digit = true;
		else if ((*s == '.' || *s == '_') && digit)
			digit = false;
		else
			return false;
	}
	return digit;
}

/*
 * knex's file name without its extension ("20240101_users.js" ->
 * "20240101_users").
 */
static char *
knex_stem(const char *file)
{
	char	   *stem = pstrdup(file);
	char	   *dot = strrchr(stem, '.');

	if (dot && dot != stem)
		*dot = '\0';
	return stem;
}

/*
 * Strapi's migration name without the extension of a migration file
 * ("2022.05.10T00.00.00.add-slugs.js" -> "2022.05.10T00.00.00.add-slugs").
 * Only a file extension is dropped: Strapi's own migrations have names
 * with dots and none ("5.0.0-02-created-document-id").
 */
static char *
strapi_stem(const char *name)
{
	static const char *const extensions[] = {".js", ".ts", ".mjs", ".cjs", ".sql"};
	size_t		len = strlen(name);
	int			i;

	for (i = 0; i < lengthof(extensions); i++)
	{
		size_t		elen = strlen(extensions[i]);

		if (len > elen && strcmp(name + len - elen, extensions[i]) == 0)
			return pnstrdup(name, len - elen);
	}
	return pstrdup(name);
}

/*
 * A version as the tool compares it, so that equal versions have equal
 * keys: integers without leading zeros (goose, golang-migrate, TypeORM),
 * Flyway's parts as integers joined by '.' without trailing zero parts,
 * diesel's version without '-'.  NULL when "v" cannot be a version of
 * that tool.
 */
char *
migrate_tool_key(MigrateTool tool, const char *v)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	switch (tool)
	{
		case MIGRATE_TOOL_GOOSE:
		case MIGRATE_TOOL_GOLANG:
		case MIGRATE_TOOL_TYPEORM:
			if (!all_digits(v))
				return NULL;
			while (*v == '0' && v[1])
				v++;
			return pstrdup(v);
		case MIGRATE_TOOL_FLYWAY:
			if (!flyway_shaped(v))
				return NULL;
			for (p = v; *p;)
			{
				while (*p == '0' && isdigit((unsigned char) p[1]))
					p++;
				if (buf.len > 0)
					appendStringInfoChar(&buf, '.');
				while (isdigit((unsigned char) *p))
					appendStringInfoChar(&buf, *p++);
				if (*p)
					p++;
			}
			/* 1.0 is 1 */
			while (buf.len >= 2 && strcmp(buf.data + buf.len - 2, ".0") == 0)
				buf.data[buf.len -= 2] = '\0';
			return buf.data;
		case MIGRATE_TOOL_DIESEL:
			for (p = v; *p; p++)
				if (*p != '-')
					appendStringInfoChar(&buf, *p);
			return buf.data;
		case MIGRATE_TOOL_KNEX:
		case MIGRATE_TOOL_DBMATE:
		case MIGRATE_TOOL_PRISMA:
		case MIGRATE_TOOL_SEQUELIZE:
		case MIGRATE_TOOL_SQITCH:
		case MIGRATE_TOOL_ALEMBIC:
		case MIGRATE_TOOL_STRAPI:
			break;
	}
	return pstrdup(v);
}

/*
 * Add a row of the tool's table to h->entries.
 */
static MigrateToolEntry *
add_entry(MigrateHistory *h, const char *key)
{
	MigrateToolEntry *e = palloc0(sizeof(MigrateToolEntry));

	e->key = pstrdup(key);
	if (h->tool == MIGRATE_TOOL_KNEX || h->tool == MIGRATE_TOOL_SEQUELIZE)
		e->nkey = knex_stem(key);
	else if (h->tool == MIGRATE_TOOL_STRAPI)
		e->nkey = strapi_stem(key);
	else
		e->nkey = migrate_tool_key(h->tool, key);
	if (e->nkey == NULL)
		e->nkey = pstrdup(key);
	e->seq = list_length(h->entries);
	h->entries = lappend(h->entries, e);
	return e;
}

static int
entry_cmp(const void *a, const void *b)
{
	const MigrateToolEntry *ea = *(MigrateToolEntry *const *) a;
	const MigrateToolEntry *eb = *(MigrateToolEntry *const *) b;
	int			c = strcmp(ea->nkey, eb->nkey);

	return c != 0 ? c : (ea->seq > eb->seq) - (ea->seq < eb->seq);
}

/*
 * Flyway and goose log every change: the latest row of a version says
 * its state.  Keep the first row of each version, with the latest state,
 * and mark the others repeated.
 */
static void
merge_repeats(MigrateHistory *h)
{
	int			n = list_length(h->entries);
	MigrateToolEntry **sorted = palloc(sizeof(MigrateToolEntry *) * Max(n, 1));
	ListCell   *lc;
	int			rep = 0;
	int			i;

	foreach(lc, h->entries)
		sorted[foreach_current_index(lc)] = (MigrateToolEntry *) lfirst(lc);
	qsort(sorted, n, sizeof(MigrateToolEntry *), entry_cmp);
	for (i = 1; i < n; i++)
	{
		if (strcmp(sorted[i]->nkey, sorted[rep]->nkey) != 0)
		{
			rep = i;
			continue;
		}
		sorted[rep]->applied = sorted[i]->applied;
		sorted[rep]->baseline = sorted[i]->baseline;
		sorted[i]->repeated = true;
	}
	pfree(sorted);
}

/*
 * Refuse a history whose rows do not make one linear history: more than
 * one row of golang-migrate (its table has one), more than one head of
 * Alembic, the changes of more than one Sqitch project.
 */
static void
check_linear(MigrateHistory *h)
{
	uint64		n = SPI_processed;
	uint64		i;
	List	   *projects = NIL;
	StringInfoData list;

	if (h->tool == MIGRATE_TOOL_GOLANG && n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg_plural("golang-migrate history table \"%s\" has %d row",
							   "golang-migrate history table \"%s\" has %d rows",
							   (unsigned long) n, h->table, (int) n),
				 errdetail("The history table of golang-migrate has one row, its current version. Nothing was adopted."),
				 errhint("Check that table_name names golang-migrate's table.")));
	if (h->tool == MIGRATE_TOOL_ALEMBIC && n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("alembic history table \"%s\" records %d head",
							   "alembic history table \"%s\" records %d heads",
							   (unsigned long) n, h->table, (int) n),
				 errdetail("Alembic keeps a row per head of a branched history; which revisions each head covers is in Alembic's revision graph, not in migrate's order of versions. Nothing was adopted."),
				 errhint("Merge the heads with alembic merge and upgrade to the merge revision, or mark the applied migrations with migrate.mark_applied().")));
	if (h->tool != MIGRATE_TOOL_SQITCH)
		return;

	initStringInfo(&list);
	for (i = 0; i < n; i++)
	{
		char	   *project = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		ListCell   *lc;
		bool		seen = false;

		if (project == NULL)
			continue;
		foreach(lc, projects)
			if (strcmp((char *) lfirst(lc), project) == 0)
				seen = true;
		if (seen)
			continue;
		if (projects != NIL)
			appendStringInfoString(&list, ", ");
		appendStringInfoString(&list, quote_literal_cstr(project));
		projects = lappend(projects, project);
	}
	if (list_length(projects) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("sqitch history table \"%s\" holds the changes of %d project",
							   "sqitch history table \"%s\" holds the changes of %d projects",
							   list_length(projects), h->table,
							   list_length(projects)),
				 errdetail("Sqitch keeps every project deployed to the database in one registry, here %s, and a change name means something only within its project. Nothing was adopted.",
						   list.data),
				 errhint("Copy the rows of the project to adopt into a table of their own and pass it, for example CREATE TEMP TABLE changes AS SELECT * FROM %s WHERE project = %s, then migrate.adopt('sqitch', 'pg_temp.changes').",
						 h->table, quote_literal_cstr((char *) linitial(projects)))));
}

/*
 * Find the tool's history table, check its columns and read it into
 * h->entries, as the tool reads it.
 */
void
migrate_read_history(FunctionCallInfo fcinfo, MigrateHistory *h)
{
	Oid			relid = history_table(fcinfo, h);
	char	   *order = check_columns(h, relid);
	ErrorContextCallback callback;
	MemoryContext oldcontext = CurrentMemoryContext;
	int			ret;
	uint64		i;

	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;

	/*
	 * Read as the table's owner, in a security-restricted operation with a
	 * pinned search_path, as VACUUM and ANALYZE run a table's index
	 * functions: whatever the table runs when read (the output functions
	 * of its column types, its operators) runs with its owner's
	 * privileges, never the caller's.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(h->owner,
						   save_sec_context | SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	callback.callback = read_error_callback;
	callback.arg = h;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	ret = SPI_execute(psprintf(tools[h->index].query, h->table, order), true, 0);
	error_context_stack = callback.previous;

	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	MemoryContextSwitchTo(oldcontext);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading %s failed: %s", h->table,
			 SPI_result_code_string(ret));

	check_linear(h);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *key = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *extra = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		MigrateToolEntry *e;

		if (key == NULL)
			continue;
		switch (h->tool)
		{
			case MIGRATE_TOOL_GOLANG:
				if (extra && strcmp(extra, "true") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("golang-migrate history marks migration \"%s\" dirty", key),
							 errdetail("The tool golang-migrate marks a version dirty when its migration failed part of the way: the database may hold part of it. Nothing was adopted."),
							 errhint("Repair the database by hand, clear the flag as golang-migrate's force command does (UPDATE %s SET dirty = false), then adopt again.",
									 h->table)));
				e = add_entry(h, key);
				e->applied = true;
				break;
			case MIGRATE_TOOL_FLYWAY:
				if (extra == NULL)
				{
					migrate_adopt_row(&h->rows, key, NULL, "ignored",
									  psprintf("%s records it as failed", h->table));
					break;
				}
				if (strcmp(extra, "SCHEMA") == 0)
					break;
				e = add_entry(h, key);
				e->applied = !(strncmp(extra, "UNDO", 4) == 0 ||
							   strcmp(extra, "DELETE") == 0);
				e->baseline = e->applied && strstr(extra, "BASELINE") != NULL;
				break;
			case MIGRATE_TOOL_PRISMA:
				if (strcmp(extra, "failed") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("prisma history records migration \"%s\" as failed", key),
							 errdetail("Prisma records a migration that started and did not finish: the database may hold part of it. Nothing was adopted."),
							 errhint("Repair the database by hand and resolve the migration as Prisma's migrate resolve does (--applied or --rolled-back), then adopt again.")));
				if (strcmp(extra, "rolled back") == 0)
				{
					migrate_adopt_row(&h->rows, NULL, NULL, "ignored",
									  psprintf("%s records %s as rolled back", h->table, key));
					break;
				}
				e = add_entry(h, key);
				e->applied = true;
				break;
			case MIGRATE_TOOL_GOOSE:
				if (migrate_number_compare(key, "0") == 0)
					break;		/* the row goose creates with the table */
				e = add_entry(h, key);
				e->applied = (extra && strcmp(extra, "true") == 0);
				break;
			case MIGRATE_TOOL_SQITCH:
				e = add_entry(h, key);
				e->applied = true;
				e->about = extra ? psprintf("of project %s", extra) : NULL;
				break;
			default:
				e = add_entry(h, key);
				e->applied = true;
				break;
		}
	}
	SPI_freetuptable(SPI_tuptable);

	/* a reworked Sqitch change is deployed once per rework: keep each */
	if (h->tool != MIGRATE_TOOL_SQITCH)
		merge_repeats(h);
}
