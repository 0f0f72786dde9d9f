/*-------------------------------------------------------------------------
 *
 * adopt.c
 *	  migrate.adopt(): take over the history of another migration tool.
 *
 * A team that switches to migrate registers its migrations (usually with
 * load() from the directory the old tool used) and then adopts the old
 * tool's history table: every registered migration the table records as
 * applied is marked applied in migrate, without running it, in one new
 * batch, recorded in migrate.history with action 'adopt'.  Versions the
 * table records that are not registered are reported, never invented.
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
 *	- TypeORM: migrations(id, timestamp, name), keyed by the timestamp.
 *
 * The history table is found on the caller's search_path as the tool
 * finds it; adopt() therefore does not pin its own search_path (its
 * queries are fully qualified).  It must be a plain table the caller may
 * read, and it is read as its owner (see read_history()), so that a table
 * planted by another role cannot run code with the caller's privileges.
 *
 * IDENTIFICATION
 *	  src/files/adopt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
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

PG_FUNCTION_INFO_V1(migrate_adopt);

typedef enum AdoptTool
{
	TOOL_KNEX,
	TOOL_FLYWAY,
	TOOL_DBMATE,
	TOOL_GOLANG,
	TOOL_DIESEL,
	TOOL_GOOSE,
	TOOL_PRISMA,
	TOOL_SEQUELIZE,
	TOOL_TYPEORM
} AdoptTool;

/*
 * What adopt() knows of each tool: its name, its default history table
 * and how to read the table (two text columns, oldest first).
 */
static const struct
{
	const char *name;
	AdoptTool	tool;
	const char *table;
	const char *query;
} tools[] = {
	{"knex", TOOL_KNEX, "knex_migrations",
	"SELECT name::pg_catalog.text, NULL::pg_catalog.text FROM %s ORDER BY id"},
	{"flyway", TOOL_FLYWAY, "flyway_schema_history",
		"SELECT version::pg_catalog.text,"
		" CASE WHEN success THEN type::pg_catalog.text END"
		" FROM %s WHERE version IS NOT NULL ORDER BY installed_rank"},
	{"dbmate", TOOL_DBMATE, "schema_migrations",
	"SELECT version::pg_catalog.text, NULL::pg_catalog.text FROM %s ORDER BY 1"},
	{"golang-migrate", TOOL_GOLANG, "schema_migrations",
	"SELECT version::pg_catalog.text, dirty::pg_catalog.text FROM %s"},
	{"diesel", TOOL_DIESEL, "__diesel_schema_migrations",
	"SELECT version::pg_catalog.text, NULL::pg_catalog.text FROM %s ORDER BY 1"},
	{"goose", TOOL_GOOSE, "goose_db_version",
	"SELECT version_id::pg_catalog.text, is_applied::pg_catalog.text FROM %s ORDER BY id"},
	{"prisma", TOOL_PRISMA, "_prisma_migrations",
		"SELECT migration_name::pg_catalog.text,"
		" CASE WHEN rolled_back_at IS NOT NULL THEN 'rolled back'"
		"      WHEN finished_at IS NOT NULL THEN 'applied' ELSE 'failed' END"
		" FROM %s ORDER BY started_at, migration_name"},
	{"sequelize", TOOL_SEQUELIZE, "\"SequelizeMeta\"",
	"SELECT name::pg_catalog.text, NULL::pg_catalog.text FROM %s ORDER BY name"},
	{"typeorm", TOOL_TYPEORM, "migrations",
	"SELECT \"timestamp\"::pg_catalog.text, name::pg_catalog.text FROM %s ORDER BY id"},
};

static MigrateQuery adopt_registered_query = {
	.sql =
		"SELECT m.version, m.name, a.version IS NOT NULL"
		"  FROM migrate.migrations m"
		"  LEFT JOIN migrate.applied a ON a.version OPERATOR(pg_catalog.=) m.version"
		" ORDER BY m.sort_key",
	.nargs = 0
};

/*
 * A registered migration, and what adopt() does with it.
 */
typedef struct Registered
{
	char	   *version;
	char	   *name;
	bool		applied;
	bool		reported;		/* its "already applied" row was added */
	char	   *adopt_note;		/* set when it is to be adopted */
} Registered;

/*
 * A version the tool's table records as applied.
 */
typedef struct ToolEntry
{
	char	   *key;			/* version, or knex's file name */
	char	   *nkey;			/* key as the tool compares it (tool_key) */
	int			seq;			/* row number in the table's order */
	bool		applied;
	bool		baseline;		/* Flyway baseline */
	bool		repeated;		/* a later row of a version seen before */
} ToolEntry;

/*
 * A registered migration under a key the tool's entries are looked up by.
 */
typedef struct KeyRef
{
	char	   *key;
	int			index;			/* into AdoptState.registered */
} KeyRef;

/*
 * One result row.
 */
typedef struct AdoptRow
{
	char	   *version;
	char	   *name;
	const char *action;
	char	   *note;
} AdoptRow;

typedef struct AdoptState
{
	int			tool;			/* index into tools[] */
	char	   *table;			/* qualified, quoted */
	Oid			owner;			/* the table's owner, who it is read as */
	List	   *entries;		/* ToolEntry, oldest first */
	Registered *registered;
	int			nregistered;
	KeyRef	   *keys;			/* registered migrations by tool_key() */
	int			nkeys;
	List	   *rows;			/* AdoptRow */
} AdoptState;

/*
 * Add a result row for something adopt() reports.
 */
static void
add_row(AdoptState *st, const char *version, const char *name,
		const char *action, char *note)
{
	AdoptRow   *row = palloc(sizeof(AdoptRow));

	row->version = version ? pstrdup(version) : NULL;
	row->name = name ? pstrdup(name) : NULL;
	row->action = action;
	row->note = note;
	st->rows = lappend(st->rows, row);
}

/*
 * The tool argument, case-insensitive.
 */
static int
tool_arg(FunctionCallInfo fcinfo)
{
	char	   *tool;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tool must not be NULL"),
				 errhint("Pass knex, flyway, dbmate, golang-migrate, diesel, goose, prisma, sequelize or typeorm.")));
	tool = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (i = 0; i < lengthof(tools); i++)
		if (pg_strcasecmp(tool, tools[i].name) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown migration tool \"%s\"", tool),
			 errdetail("The function adopt() reads the history of knex, flyway, dbmate, golang-migrate, diesel, goose, prisma, sequelize and typeorm."),
			 errhint("Pass knex, flyway, dbmate, golang-migrate, diesel, goose, prisma, sequelize or typeorm.")));
	return -1;					/* keep compiler quiet */
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
 * qualified by table_name; returns it qualified and quoted, and sets
 * st->owner.  Only a plain or partitioned table is read: a view, a
 * materialized view or a foreign table runs code of its owner's choosing
 * when it is read, and that code would run as the caller, often a
 * superuser.  The caller must be allowed to read it.
 */
static char *
history_table(FunctionCallInfo fcinfo, AdoptState *st)
{
	int			tool = st->tool;
	text	   *name = PG_ARGISNULL(1) ? cstring_to_text(tools[tool].table) :
		PG_GETARG_TEXT_PP(1);
	RangeVar   *rv = makeRangeVarFromNameList(textToQualifiedNameList(name));
	Oid			relid = RangeVarGetRelid(rv, AccessShareLock, true);
	char	   *qualified;
	char		relkind;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("history table \"%s\" of %s does not exist",
						text_to_cstring(name), tools[tool].name),
				 errdetail("The table is looked up on the search_path, as %s does. Nothing was adopted.",
						   tools[tool].name),
				 errhint("Pass table_name => 'schema.table' if it is elsewhere or named otherwise.")));
	qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										   get_rel_name(relid));
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("history table %s of %s is not a table", qualified,
						tools[tool].name),
				 errdetail("adopt() reads only plain tables: reading a view, a materialized view or a foreign table runs code its owner chose, with the caller's privileges. Nothing was adopted."),
				 errhint("Check which relation %s is on the search_path, or pass table_name => 'schema.table' to name the tool's table.",
						 quote_identifier(get_rel_name(relid)))));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
	st->owner = rel_owner(relid);
	return qualified;
}

/*
 * Error context while the tool's history table is read.
 */
static void
read_error_callback(void *arg)
{
	AdoptState *st = (AdoptState *) arg;

	errcontext("reading %s history table \"%s\"", tools[st->tool].name, st->table);
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
 * A version as the tool compares it, so that equal versions have equal
 * keys: integers without leading zeros (goose, golang-migrate), Flyway's
 * parts as integers joined by '.' without trailing zero parts, diesel's
 * version without '-'.  NULL when
 * "v" cannot be a version of that tool.
 */
static char *
tool_key(AdoptTool tool, const char *v)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	switch (tool)
	{
		case TOOL_GOOSE:
		case TOOL_GOLANG:
		case TOOL_TYPEORM:
			if (!all_digits(v))
				return NULL;
			while (*v == '0' && v[1])
				v++;
			return pstrdup(v);
		case TOOL_FLYWAY:
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
		case TOOL_DIESEL:
			for (p = v; *p; p++)
				if (*p != '-')
					appendStringInfoChar(&buf, *p);
			return buf.data;
		case TOOL_KNEX:
		case TOOL_DBMATE:
		case TOOL_PRISMA:
		case TOOL_SEQUELIZE:
			break;
	}
	return pstrdup(v);
}

/*
 * Add a row of the tool's table to st->entries.
 */
static ToolEntry *
add_entry(AdoptState *st, const char *key)
{
	ToolEntry  *e = palloc0(sizeof(ToolEntry));
	AdoptTool	tool = tools[st->tool].tool;

	e->key = pstrdup(key);
	e->nkey = tool == TOOL_KNEX || tool == TOOL_SEQUELIZE ? knex_stem(key) :
		tool_key(tool, key);
	if (e->nkey == NULL)
		e->nkey = pstrdup(key);
	e->seq = list_length(st->entries);
	st->entries = lappend(st->entries, e);
	return e;
}

static int
entry_cmp(const void *a, const void *b)
{
	const ToolEntry *ea = *(ToolEntry *const *) a;
	const ToolEntry *eb = *(ToolEntry *const *) b;
	int			c = strcmp(ea->nkey, eb->nkey);

	return c != 0 ? c : (ea->seq > eb->seq) - (ea->seq < eb->seq);
}

/*
 * Flyway and goose log every change: the latest row of a version says
 * its state.  Keep the first row of each version, with the latest state,
 * and mark the others repeated.
 */
static void
merge_repeats(AdoptState *st)
{
	int			n = list_length(st->entries);
	ToolEntry **sorted = palloc(sizeof(ToolEntry *) * Max(n, 1));
	ListCell   *lc;
	int			rep = 0;
	int			i;

	foreach(lc, st->entries)
		sorted[foreach_current_index(lc)] = (ToolEntry *) lfirst(lc);
	qsort(sorted, n, sizeof(ToolEntry *), entry_cmp);
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
 * Read the tool's history table into st->entries, as the tool reads it.
 */
static void
read_history(AdoptState *st)
{
	AdoptTool	tool = tools[st->tool].tool;
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
	SetUserIdAndSecContext(st->owner,
						   save_sec_context | SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	callback.callback = read_error_callback;
	callback.arg = st;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	ret = SPI_execute(psprintf(tools[st->tool].query, st->table), true, 0);
	error_context_stack = callback.previous;

	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	MemoryContextSwitchTo(oldcontext);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading %s failed: %s", st->table,
			 SPI_result_code_string(ret));

	if (tool == TOOL_GOLANG && SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg_plural("golang-migrate history table \"%s\" has %d row",
							   "golang-migrate history table \"%s\" has %d rows",
							   (unsigned long) SPI_processed,
							   st->table, (int) SPI_processed),
				 errdetail("The history table of golang-migrate has one row, its current version. Nothing was adopted."),
				 errhint("Check that table_name names golang-migrate's table.")));

	for (i = 0; i < SPI_processed; i++)
	{
		char	   *key = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *extra = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		ToolEntry  *e;

		if (key == NULL)
			continue;
		switch (tool)
		{
			case TOOL_GOLANG:
				if (extra && strcmp(extra, "true") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("golang-migrate history marks migration \"%s\" dirty", key),
							 errdetail("The tool golang-migrate marks a version dirty when its migration failed part of the way: the database may hold part of it. Nothing was adopted."),
							 errhint("Repair the database by hand, clear the flag as golang-migrate's force command does (UPDATE %s SET dirty = false), then adopt again.",
									 st->table)));
				e = add_entry(st, key);
				e->applied = true;
				break;
			case TOOL_FLYWAY:
				if (extra == NULL)
				{
					add_row(st, key, NULL, "ignored",
							psprintf("%s records it as failed", st->table));
					break;
				}
				if (strcmp(extra, "SCHEMA") == 0)
					break;
				e = add_entry(st, key);
				e->applied = !(strncmp(extra, "UNDO", 4) == 0 ||
							   strcmp(extra, "DELETE") == 0);
				e->baseline = e->applied && strstr(extra, "BASELINE") != NULL;
				break;
			case TOOL_PRISMA:
				if (strcmp(extra, "failed") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("prisma history records migration \"%s\" as failed", key),
							 errdetail("Prisma records a migration that started and did not finish: the database may hold part of it. Nothing was adopted."),
							 errhint("Repair the database by hand and resolve the migration as Prisma's migrate resolve does (--applied or --rolled-back), then adopt again.")));
				if (strcmp(extra, "rolled back") == 0)
				{
					add_row(st, NULL, NULL, "ignored",
							psprintf("%s records %s as rolled back", st->table, key));
					break;
				}
				e = add_entry(st, key);
				e->applied = true;
				break;
			case TOOL_GOOSE:
				if (migrate_number_compare(key, "0") == 0)
					break;		/* the row goose creates with the table */
				e = add_entry(st, key);
				e->applied = (extra && strcmp(extra, "true") == 0);
				break;
			default:
				e = add_entry(st, key);
				e->applied = true;
				break;
		}
	}
	SPI_freetuptable(SPI_tuptable);
	merge_repeats(st);
}

static int
keyref_cmp(const void *a, const void *b)
{
	return strcmp(((const KeyRef *) a)->key, ((const KeyRef *) b)->key);
}

/*
 * Read every registered migration, in version order, and whether it is
 * applied; index them by the tool's key (knex also by version_name, its
 * file name without extension).
 */
static void
read_registered(AdoptState *st)
{
	AdoptTool	tool = tools[st->tool].tool;
	uint64		i;

	(void) migrate_store_exec(&adopt_registered_query, NULL, NULL, 0);
	st->nregistered = SPI_processed;
	st->registered = palloc0(sizeof(Registered) * Max(st->nregistered, 1));
	st->keys = palloc0(sizeof(KeyRef) * Max(2 * st->nregistered, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Registered *r = &st->registered[i];
		char	   *key;

		r->version = migrate_store_getstr(i, 1);
		r->name = migrate_store_getstr(i, 2);
		r->applied = DatumGetBool(migrate_store_getdatum(i, 3, &isnull));

		if ((key = tool_key(tool, r->version)) != NULL)
		{
			st->keys[st->nkeys].key = key;
			st->keys[st->nkeys++].index = i;
		}
		if ((tool == TOOL_KNEX || tool == TOOL_PRISMA) && r->name)
		{
			st->keys[st->nkeys].key = psprintf("%s_%s", r->version, r->name);
			st->keys[st->nkeys++].index = i;
		}
	}
	migrate_store_done();
	qsort(st->keys, st->nkeys, sizeof(KeyRef), keyref_cmp);
}

/*
 * Mark registered migration "r" for adoption, or report it applied.
 */
static void
take(AdoptState *st, Registered *r, char *note)
{
	if (r->applied && !r->reported)
	{
		add_row(st, r->version, r->name, "already applied", note);
		r->reported = true;
	}
	else if (!r->applied && r->adopt_note == NULL)
		r->adopt_note = note;
}

/*
 * Take every registered migration whose key is "key"; false if none is.
 */
static bool
take_by_key(AdoptState *st, const char *key, char *note)
{
	KeyRef		probe = {(char *) key, 0};
	KeyRef	   *hit = bsearch(&probe, st->keys, st->nkeys, sizeof(KeyRef),
							  keyref_cmp);
	KeyRef	   *end = st->keys + st->nkeys;

	if (hit == NULL)
		return false;
	while (hit > st->keys && strcmp(hit[-1].key, key) == 0)
		hit--;
	for (; hit < end && strcmp(hit->key, key) == 0; hit++)
		take(st, &st->registered[hit->index], note);
	return true;
}

/*
 * Match the tool's applied versions with the registered migrations.
 */
static void
match_history(AdoptState *st)
{
	AdoptTool	tool = tools[st->tool].tool;
	ListCell   *lc;

	foreach(lc, st->entries)
	{
		ToolEntry  *e = (ToolEntry *) lfirst(lc);
		bool		found = false;
		int			i;

		if (!e->applied || e->repeated)
			continue;
		CHECK_FOR_INTERRUPTS();

		if (tool == TOOL_GOLANG)
		{
			/* golang-migrate keeps its current version: all up to it */
			for (i = 0; i < st->nregistered; i++)
			{
				Registered *r = &st->registered[i];
				int			c;

				if (!all_digits(r->version))
					continue;
				c = migrate_number_compare(r->version, e->key);
				if (c == 0)
					found = true;
				if (c <= 0)
					take(st, r, c == 0 ?
						 psprintf("%s records version %s", st->table, e->key) :
						 psprintf("%s is at version %s", st->table, e->key));
			}
		}
		else if (tool == TOOL_KNEX || tool == TOOL_PRISMA || tool == TOOL_SEQUELIZE)
		{
			char	   *note = psprintf("%s records %s", st->table, e->key);
			char	   *sep = strchr(e->nkey, tool == TOOL_SEQUELIZE ? '-' : '_');

			/*
			 * The file (knex, Sequelize) or directory (Prisma) name: whole,
			 * as version_name, else the version before its first '_' ('-'
			 * for Sequelize's 20240101000000-create-users.js).
			 */
			found = take_by_key(st, e->nkey, note);
			if (!found && sep)
				found = take_by_key(st, pnstrdup(e->nkey, sep - e->nkey), note);
		}
		else
			found = take_by_key(st, e->nkey,
								psprintf("%s records version %s", st->table, e->key));

		/* a Flyway baseline stands for every version up to it */
		if (e->baseline)
			for (i = 0; i < st->nregistered; i++)
			{
				Registered *r = &st->registered[i];

				if (flyway_shaped(r->version) &&
					migrate_flyway_compare(r->version, e->key) < 0)
					take(st, r, psprintf("below the Flyway baseline %s", e->key));
			}

		if (!found)
		{
			bool		by_name = (tool == TOOL_KNEX || tool == TOOL_PRISMA ||
								   tool == TOOL_SEQUELIZE);

			add_row(st, by_name ? NULL : e->key, NULL,
					"not registered",
					psprintf("%s records %s%s, which matches no registered migration",
							 st->table, by_name ? "" : "version ", e->key));
		}
	}
}

/*
 * adopt(tool, table_name) returns setof (version, name, action, note)
 */
Datum
migrate_adopt(PG_FUNCTION_ARGS)
{
	AdoptState	st;
	List	   *adopted = NIL;
	List	   *rows = NIL;
	ListCell   *lc;
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	int			i;

	memset(&st, 0, sizeof(st));
	st.tool = tool_arg(fcinfo);

	migrate_call_begin();
	st.table = history_table(fcinfo, &st);
	read_history(&st);
	read_registered(&st);
	match_history(&st);

	for (i = 0; i < st.nregistered; i++)
		if (st.registered[i].adopt_note)
			adopted = lappend(adopted, &st.registered[i]);

	if (adopted != NIL)
	{
		int			batch = migrate_next_batch();

		foreach(lc, adopted)
		{
			Registered *r = (Registered *) lfirst(lc);

			CHECK_FOR_INTERRUPTS();
			migrate_mark_applied(r->version, batch, "adopt");
		}
		ereport(NOTICE,
				(errmsg_plural("adopted %d migration from %s as batch %d",
							   "adopted %d migrations from %s as batch %d",
							   list_length(adopted),
							   list_length(adopted), tools[st.tool].name, batch),
				 errdetail_plural("It is marked applied. Nothing was run.",
								  "They are marked applied. Nothing was run.",
								  list_length(adopted))));
	}
	else
		ereport(NOTICE,
				(errmsg("no migration to adopt from %s", tools[st.tool].name)));

	migrate_call_end();

	/* adopted migrations first, in version order, then what was reported */
	foreach(lc, adopted)
	{
		Registered *r = (Registered *) lfirst(lc);
		AdoptRow   *row = palloc(sizeof(AdoptRow));

		row->version = r->version;
		row->name = r->name;
		row->action = "adopted";
		row->note = r->adopt_note;
		rows = lappend(rows, row);
	}
	rows = list_concat(rows, st.rows);

	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	foreach(lc, rows)
	{
		AdoptRow   *row = (AdoptRow *) lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {row->version == NULL, row->name == NULL, false,
		row->note == NULL};

		values[0] = row->version ? CStringGetTextDatum(row->version) : (Datum) 0;
		values[1] = row->name ? CStringGetTextDatum(row->name) : (Datum) 0;
		values[2] = CStringGetTextDatum(row->action);
		values[3] = row->note ? CStringGetTextDatum(row->note) : (Datum) 0;
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
