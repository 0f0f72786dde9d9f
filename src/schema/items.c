/*-------------------------------------------------------------------------
 *
 * items.c
 *	  The items of schema(): one object's DDL each, the catalog objects
 *	  each item stands for, the dependencies between items, and the
 *	  helpers the collectors use to run their catalog queries.
 *
 * The collectors (tables.c, types.c, objects.c) and dump.c call these;
 * they call nothing of schema/ themselves.
 *
 * IDENTIFICATION
 *	  src/schema/items.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "schema/schema.h"

/*
 * Key and entry of the map from catalog objects to items.
 */
typedef struct SchemaObjectKey
{
	Oid			classid;
	Oid			objid;
} SchemaObjectKey;

typedef struct SchemaObjectEntry
{
	SchemaObjectKey key;
	int			item;
} SchemaObjectEntry;

/*
 * The catalog queries of schema(), prepared once per backend: each is a
 * fixed string (a static of its collector) with the same two
 * parameters, and planning them costs more than running them on a
 * database of a few hundred relations, where schema() runs them again
 * and again (verify() calls it three times per migration).  The plan
 * cache replans a kept plan when the catalogs' own definitions change,
 * never for their rows.  Keyed by the string's address, its text checked
 * too; a query not among the first SCHEMA_MAX_PLANS is planned each time.
 */
#define SCHEMA_MAX_PLANS	64

typedef struct SchemaPlanEntry
{
	const char *sql;			/* hash key: the caller's string */
	char	   *text;			/* a copy, to check the key stands for it */
	SPIPlanPtr	plan;
} SchemaPlanEntry;

static HTAB *schema_plans = NULL;

/*
 * The kept plan of catalog query "sql", or NULL when it is not kept.
 */
static SPIPlanPtr
schema_plan(const char *sql, Oid *argtypes)
{
	SchemaPlanEntry *entry;
	bool		found;

	if (schema_plans == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(const char *);
		ctl.entrysize = sizeof(SchemaPlanEntry);
		ctl.hcxt = TopMemoryContext;
		schema_plans = hash_create("migrate schema plans", SCHEMA_MAX_PLANS, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(schema_plans, &sql, HASH_FIND, NULL);
	if (entry && strcmp(entry->text, sql) == 0)
		return entry->plan;
	if (entry || hash_get_num_entries(schema_plans) >= SCHEMA_MAX_PLANS)
		return NULL;

	/* prepared before the entry exists: an error leaves no half entry */
	{
		SPIPlanPtr	plan = SPI_prepare(sql, 2, argtypes);
		char	   *text;

		if (plan == NULL)
			elog(ERROR, "could not prepare a catalog query of schema(): %s",
				 SPI_result_code_string(SPI_result));
		text = MemoryContextStrdup(TopMemoryContext, sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep a catalog query of schema()");
		entry = hash_search(schema_plans, &sql, HASH_ENTER, &found);
		entry->text = text;
		entry->plan = plan;
	}
	return entry->plan;
}

/*
 * Set up an empty dump: room for the items and dependencies, and the map
 * from catalog objects to items, in the current memory context.
 */
void
migrate_schema_init(SchemaDump *dump)
{
	HASHCTL		ctl;

	dump->maxitems = 1024;
	dump->items = palloc(sizeof(SchemaItem *) * dump->maxitems);
	dump->maxdeps = 4096;
	dump->depfrom = palloc(sizeof(int) * dump->maxdeps);
	dump->depto = palloc(sizeof(int) * dump->maxdeps);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(SchemaObjectKey);
	ctl.entrysize = sizeof(SchemaObjectEntry);
	ctl.hcxt = CurrentMemoryContext;
	dump->objects = hash_create("migrate schema objects", 4096, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * Run one catalog query of schema(), with $1 the oid[] of the schemas
 * dumped and $2 whether every schema is.  Returns the number of rows, in
 * SPI_tuptable; the caller frees them with migrate_schema_done().
 */
uint64
migrate_schema_query(SchemaDump *dump, const char *sql)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	Oid			argtypes[2] = {OIDARRAYOID, BOOLOID};
	Datum		values[2];
	int			ret;

	SPIPlanPtr	plan = schema_plan(sql, argtypes);

	values[0] = dump->nspoids;
	values[1] = BoolGetDatum(dump->all);
	if (plan)
		ret = SPI_execute_plan(plan, values, NULL, true, 0);
	else
		ret = SPI_execute_with_args(sql, 2, argtypes, values, NULL, true, 0);
	/* SPI leaves its procedure context current; go back to ours */
	MemoryContextSwitchTo(oldcontext);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "catalog query of schema() failed: %s",
			 SPI_result_code_string(ret));
	return SPI_processed;
}

/*
 * Column "col" (1-based) of row "row" of the last query as a C string in
 * the current memory context, or NULL.
 */
char *
migrate_schema_text(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/*
 * Column "col" of row "row" of the last query as a Datum, (Datum) 0 for
 * NULL.
 */
static Datum
binval(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row],
								  SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? (Datum) 0 : d;
}

/*
 * Column "col" of row "row" of the last query as an oid, a bool, an int8
 * or a "char"; NULL reads as 0, false or '\0'.
 */
Oid
migrate_schema_oid(uint64 row, int col)
{
	return DatumGetObjectId(binval(row, col));
}

bool
migrate_schema_bool(uint64 row, int col)
{
	return DatumGetBool(binval(row, col));
}

int64
migrate_schema_int64(uint64 row, int col)
{
	Datum		d = binval(row, col);

	/* int8 is passed by reference where Datum is 32 bits */
	return d == (Datum) 0 ? 0 : DatumGetInt64(d);
}

char
migrate_schema_char(uint64 row, int col)
{
	return DatumGetChar(binval(row, col));
}

/*
 * Free the rows of the last query.
 */
void
migrate_schema_done(void)
{
	if (SPI_tuptable)
		SPI_freetuptable(SPI_tuptable);
	SPI_tuptable = NULL;
}

/*
 * "nsp"."name", each quoted only where needed.
 */
char *
migrate_schema_qualified(const char *nsp, const char *name)
{
	return quote_qualified_identifier(nsp, name);
}

/*
 * Add an item: the DDL of one object, to be filled by the caller.
 * Returns its number.
 */
int
migrate_schema_item(SchemaDump *dump, SchemaPriority priority, const char *nsp,
			const char *name, const char *tag)
{
	SchemaItem *item = palloc0(sizeof(SchemaItem));

	if (dump->nitems == dump->maxitems)
	{
		dump->maxitems *= 2;
		dump->items = repalloc(dump->items,
							   sizeof(SchemaItem *) * dump->maxitems);
	}
	item->priority = priority;
	item->sortnsp = nsp ? nsp : "";
	item->sortname = name ? name : "";
	item->sorttag = tag ? tag : "";
	initStringInfo(&item->ddl);
	dump->items[dump->nitems] = item;
	return dump->nitems++;
}

/*
 * Record that catalog object (classid, objid) is created by "item": its
 * dependencies become the item's, and comments on it go to the item.
 */
void
migrate_schema_own(SchemaDump *dump, Oid classid, Oid objid, int item)
{
	SchemaObjectKey key;
	SchemaObjectEntry *entry;
	bool		found;

	if (!OidIsValid(objid))
		return;
	key.classid = classid;
	key.objid = objid;
	entry = hash_search(dump->objects, &key, HASH_ENTER, &found);
	entry->item = item;
}

/*
 * The item that creates catalog object (classid, objid), or -1 when the
 * object is not dumped (a system object, a member of an extension...).
 */
int
migrate_schema_owner_of(SchemaDump *dump, Oid classid, Oid objid)
{
	SchemaObjectKey key;
	SchemaObjectEntry *entry;

	key.classid = classid;
	key.objid = objid;
	entry = hash_search(dump->objects, &key, HASH_FIND, NULL);
	return entry ? entry->item : -1;
}

/*
 * Record that "item" must come after item "on".
 */
void
migrate_schema_depend(SchemaDump *dump, int item, int on)
{
	if (item < 0 || on < 0 || item == on)
		return;
	if (dump->ndeps == dump->maxdeps)
	{
		dump->maxdeps *= 2;
		dump->depfrom = repalloc(dump->depfrom, sizeof(int) * dump->maxdeps);
		dump->depto = repalloc(dump->depto, sizeof(int) * dump->maxdeps);
	}
	dump->depfrom[dump->ndeps] = item;
	dump->depto[dump->ndeps] = on;
	dump->ndeps++;
}
