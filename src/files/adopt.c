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
 * history.c reads the table as the tool does; this file matches what it
 * records with the registered migrations, by the tool's key:
 *	- a version, compared as the tool compares versions (Flyway, dbmate,
 *	  diesel, goose, TypeORM); golang-migrate's one version stands for
 *	  every version up to it;
 *	- a file or directory name (knex, Prisma, Sequelize CLI, Strapi):
 *	  version_name whole, else the version it begins with;
 *	- a Sqitch change name: the registered version, else the name; the
 *	  rows of a reworked change take the migrations of that name in turn;
 *	- an Alembic revision id: the registered version, else the start of
 *	  the name; it and every migration before it in migrate's order are
 *	  applied.
 *
 * IDENTIFICATION
 *	  src/files/adopt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "files/files.h"

PG_FUNCTION_INFO_V1(migrate_adopt);

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
	bool		claimed;		/* a Sqitch row of its name took it */
	char	   *adopt_note;		/* set when it is to be adopted */
} Registered;

/*
 * How a registered migration is found: by a key made of its version (as
 * the tool compares versions, or with its name appended), or by its
 * name alone (a Sqitch change name).
 */
typedef enum KeyKind
{
	KEY_VERSION,
	KEY_NAME
} KeyKind;

/*
 * A registered migration under a key the tool's entries are looked up by.
 */
typedef struct KeyRef
{
	char	   *key;
	KeyKind		kind;
	int			index;			/* into AdoptState.registered */
} KeyRef;

typedef struct AdoptState
{
	MigrateHistory h;			/* the tool's table, as read */
	Registered *registered;
	int			nregistered;
	KeyRef	   *keys;			/* registered migrations by key, sorted */
	int			nkeys;
} AdoptState;

static int
keyref_cmp(const void *a, const void *b)
{
	const KeyRef *ka = (const KeyRef *) a;
	const KeyRef *kb = (const KeyRef *) b;
	int			c = strcmp(ka->key, kb->key);

	if (c != 0)
		return c;
	if (ka->kind != kb->kind)
		return ka->kind < kb->kind ? -1 : 1;
	return (ka->index > kb->index) - (ka->index < kb->index);
}

/*
 * Index registered migration "i" under "key".
 */
static void
add_key(AdoptState *st, char *key, KeyKind kind, int i)
{
	st->keys[st->nkeys].key = key;
	st->keys[st->nkeys].kind = kind;
	st->keys[st->nkeys++].index = i;
}

/*
 * Read every registered migration, in version order, and whether it is
 * applied; index them by the tool's key: the version as the tool compares
 * versions, for the tools keyed by file name also version_name (and for
 * Strapi version.name, its own convention), for Sqitch also the name.
 */
static void
read_registered(AdoptState *st)
{
	MigrateTool tool = st->h.tool;
	uint64		i;

	(void) migrate_store_exec(&adopt_registered_query, NULL, NULL, 0);
	st->nregistered = SPI_processed;
	st->registered = palloc0(sizeof(Registered) * Max(st->nregistered, 1));
	st->keys = palloc0(sizeof(KeyRef) * Max(3 * st->nregistered, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Registered *r = &st->registered[i];
		char	   *key;

		r->version = migrate_store_getstr(i, 1);
		r->name = migrate_store_getstr(i, 2);
		r->applied = DatumGetBool(migrate_store_getdatum(i, 3, &isnull));

		if ((key = migrate_tool_key(tool, r->version)) != NULL)
			add_key(st, key, KEY_VERSION, i);
		if (r->name == NULL)
			continue;
		if (tool == MIGRATE_TOOL_KNEX || tool == MIGRATE_TOOL_PRISMA ||
			tool == MIGRATE_TOOL_STRAPI)
			add_key(st, psprintf("%s_%s", r->version, r->name), KEY_VERSION, i);
		if (tool == MIGRATE_TOOL_STRAPI)
			add_key(st, psprintf("%s.%s", r->version, r->name), KEY_VERSION, i);
		if (tool == MIGRATE_TOOL_SQITCH)
			add_key(st, r->name, KEY_NAME, i);
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
		migrate_adopt_row(&st->h.rows, r->version, r->name, "already applied",
						  note);
		r->reported = true;
	}
	else if (!r->applied && r->adopt_note == NULL)
		r->adopt_note = note;
}

/*
 * The first key of the sorted keys equal to (key, kind), or NULL.
 */
static KeyRef *
find_key(AdoptState *st, const char *key, KeyKind kind)
{
	KeyRef		probe = {(char *) key, kind, -1};
	KeyRef	   *end = st->keys + st->nkeys;
	KeyRef	   *lo = st->keys;
	KeyRef	   *hi = end;

	/* the lower bound: index -1 sorts before every index of the key */
	while (lo < hi)
	{
		KeyRef	   *mid = lo + (hi - lo) / 2;

		if (keyref_cmp(mid, &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < end && lo->kind == kind && strcmp(lo->key, key) == 0)
		return lo;
	return NULL;
}

/*
 * Take every registered migration whose key is "key"; false if none is.
 */
static bool
take_by_key(AdoptState *st, const char *key, char *note)
{
	KeyRef	   *hit = find_key(st, key, KEY_VERSION);
	KeyRef	   *end = st->keys + st->nkeys;

	if (hit == NULL)
		return false;
	for (; hit < end && hit->kind == KEY_VERSION && strcmp(hit->key, key) == 0; hit++)
		take(st, &st->registered[hit->index], note);
	return true;
}

/*
 * Take the first registered migration named "name" that no earlier row
 * of that name took: Sqitch has a row per deployment of a reworked
 * change, which migrate registers as a migration per rework.
 */
static bool
take_by_name(AdoptState *st, const char *name, char *note)
{
	KeyRef	   *hit = find_key(st, name, KEY_NAME);
	KeyRef	   *end = st->keys + st->nkeys;

	for (; hit && hit < end && hit->kind == KEY_NAME &&
		 strcmp(hit->key, name) == 0; hit++)
	{
		Registered *r = &st->registered[hit->index];

		if (r->claimed)
			continue;
		r->claimed = true;
		take(st, r, note);
		return true;
	}
	return false;
}

/*
 * The leading date and time of a Strapi migration name, as Strapi's
 * documentation names them ("2022.05.10T00.00.00" of
 * "2022.05.10T00.00.00.add-slugs"), or of "20240101_add_slugs": the
 * longest start of digits, 'T' and separators that ends before a
 * separator, without it; NULL when there is none.
 */
static char *
strapi_prefix(const char *stem)
{
	const char *p = stem;
	const char *cut = NULL;

	if (!isdigit((unsigned char) *p))
		return NULL;
	for (; *p; p++)
	{
		if (*p == '.' || *p == '_' || *p == '-')
		{
			if (isdigit((unsigned char) p[-1]))
				cut = p;
		}
		else if (!isdigit((unsigned char) *p) && *p != 'T')
			break;
	}
	if (*p == '\0' || cut == NULL)
		return NULL;
	return pnstrdup(stem, cut - stem);
}

/*
 * True if migration name "name" is Alembic revision "rev" or begins with
 * it and a separator, as Alembic's file names do
 * ("ae1027a6acf_add_a_column").
 */
static bool
alembic_named(const char *name, const char *rev)
{
	size_t		len = strlen(rev);

	if (name == NULL || strncmp(name, rev, len) != 0)
		return false;
	return name[len] == '\0' || name[len] == '_' || name[len] == '-' ||
		name[len] == ' ' || name[len] == '.';
}

/*
 * Alembic's head revision: the registered migration with that version,
 * else the last whose name begins with it, and every migration before it
 * in migrate's order, are applied.  False if none matches.
 */
static bool
match_alembic(AdoptState *st, MigrateToolEntry *e)
{
	int			bound = -1;
	int			i;

	for (i = 0; i < st->nregistered && bound < 0; i++)
		if (strcmp(st->registered[i].version, e->key) == 0)
			bound = i;
	if (bound < 0)
		for (i = 0; i < st->nregistered; i++)
			if (alembic_named(st->registered[i].name, e->key))
				bound = i;
	if (bound < 0)
		return false;
	for (i = 0; i <= bound; i++)
		take(st, &st->registered[i], i == bound ?
			 psprintf("%s records revision %s", st->h.table, e->key) :
			 psprintf("%s is at revision %s", st->h.table, e->key));
	return true;
}

/*
 * Match the tool's applied versions with the registered migrations.
 */
static void
match_history(AdoptState *st)
{
	MigrateTool tool = st->h.tool;
	const char *table = st->h.table;
	ListCell   *lc;

	foreach(lc, st->h.entries)
	{
		MigrateToolEntry *e = (MigrateToolEntry *) lfirst(lc);
		bool		found = false;
		bool		by_name = false;
		int			i;

		if (!e->applied || e->repeated)
			continue;
		CHECK_FOR_INTERRUPTS();

		if (tool == MIGRATE_TOOL_GOLANG)
		{
			/* golang-migrate keeps its current version: all up to it */
			for (i = 0; i < st->nregistered; i++)
			{
				Registered *r = &st->registered[i];
				int			c;

				if (migrate_tool_key(tool, r->version) == NULL)
					continue;
				c = migrate_number_compare(r->version, e->key);
				if (c == 0)
					found = true;
				if (c <= 0)
					take(st, r, c == 0 ?
						 psprintf("%s records version %s", table, e->key) :
						 psprintf("%s is at version %s", table, e->key));
			}
		}
		else if (tool == MIGRATE_TOOL_ALEMBIC)
		{
			by_name = true;
			found = match_alembic(st, e);
		}
		else if (tool == MIGRATE_TOOL_SQITCH)
		{
			char	   *note = e->about ?
				psprintf("%s records change %s %s", table, e->key, e->about) :
				psprintf("%s records change %s", table, e->key);

			by_name = true;
			found = take_by_key(st, e->nkey, note) ||
				take_by_name(st, e->nkey, note);
		}
		else if (tool == MIGRATE_TOOL_KNEX || tool == MIGRATE_TOOL_PRISMA ||
				 tool == MIGRATE_TOOL_SEQUELIZE || tool == MIGRATE_TOOL_STRAPI)
		{
			char	   *note = psprintf("%s records %s", table, e->key);
			char	   *sep = strchr(e->nkey, tool == MIGRATE_TOOL_SEQUELIZE ? '-' : '_');
			char	   *prefix = tool == MIGRATE_TOOL_STRAPI ? strapi_prefix(e->nkey) :
				sep ? pnstrdup(e->nkey, sep - e->nkey) : NULL;

			/*
			 * The file (knex, Sequelize, Strapi) or directory (Prisma) name:
			 * whole, as version_name, else the version before its first '_'
			 * ('-' for Sequelize's 20240101000000-create-users.js, the date
			 * and time for Strapi's 2022.05.10T00.00.00.add-slugs.js).
			 */
			by_name = true;
			found = take_by_key(st, e->nkey, note);
			if (!found && prefix)
				found = take_by_key(st, prefix, note);
		}
		else
			found = take_by_key(st, e->nkey,
								psprintf("%s records version %s", table, e->key));

		/* a Flyway baseline stands for every version up to it */
		if (e->baseline)
			for (i = 0; i < st->nregistered; i++)
			{
				Registered *r = &st->registered[i];

				if (migrate_tool_key(tool, r->version) != NULL &&
					migrate_flyway_compare(r->version, e->key) < 0)
					take(st, r, psprintf("below the Flyway baseline %s", e->key));
			}

		if (found)
			continue;
		if (tool == MIGRATE_TOOL_SQITCH)
			migrate_adopt_row(&st->h.rows, NULL, NULL, "not registered",
							  psprintf("%s records change %s%s%s, which matches no registered migration",
									   table, e->key, e->about ? " " : "",
									   e->about ? e->about : ""));
		else if (tool == MIGRATE_TOOL_ALEMBIC)
			migrate_adopt_row(&st->h.rows, NULL, NULL, "not registered",
							  psprintf("%s records revision %s, which matches no registered migration",
									   table, e->key));
		else
			migrate_adopt_row(&st->h.rows, by_name ? NULL : e->key, NULL,
							  "not registered",
							  psprintf("%s records %s%s, which matches no registered migration",
									   table, by_name ? "" : "version ", e->key));
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
	migrate_history_tool(fcinfo, &st.h);

	migrate_call_begin();
	migrate_read_history(fcinfo, &st.h);
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
							   list_length(adopted), st.h.toolname, batch),
				 errdetail_plural("It is marked applied. Nothing was run.",
								  "They are marked applied. Nothing was run.",
								  list_length(adopted))));
	}
	else
		ereport(NOTICE,
				(errmsg("no migration to adopt from %s", st.h.toolname)));

	migrate_call_end();

	/* adopted migrations first, in version order, then what was reported */
	foreach(lc, adopted)
	{
		Registered *r = (Registered *) lfirst(lc);

		migrate_adopt_row(&rows, r->version, r->name, "adopted", r->adopt_note);
	}
	rows = list_concat(rows, st.h.rows);

	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	foreach(lc, rows)
	{
		MigrateAdoptRow *row = (MigrateAdoptRow *) lfirst(lc);
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
