/*-------------------------------------------------------------------------
 *
 * dump.c
 *	  schema(): the DDL of every user object of the database, generated
 *	  from the catalogs in a deterministic, dependency-correct order.
 *
 * Tools that dump a schema for a repository usually run pg_dump, and
 * break when the client and the server versions differ.  schema() builds
 * the DDL inside the server instead.  Where PostgreSQL has a deparser
 * (pg_get_functiondef, pg_get_indexdef, pg_get_constraintdef,
 * pg_get_viewdef, pg_get_triggerdef, pg_get_expr...), it is used; tables,
 * types, sequences, aggregates and policies are built from the catalogs.
 *
 * This file selects the schemas, keeps the items (see schema.h), reads the
 * dependencies, orders the items and assembles the text.  The order is the
 * one pg_dump uses in spirit: a default order by kind and name, changed
 * only as far as dependencies require, so that the same objects always
 * give the same text, whatever their OIDs; loading the text into an empty
 * database and calling schema() there gives the text back.
 *
 * Objects of schema "migrate", of the system schemas, temporary objects
 * and members of extensions are left out; extensions appear as CREATE
 * EXTENSION IF NOT EXISTS.  Owners and privileges are not part of the
 * schema (a migration creates objects as the role that runs it).
 *
 * The catalog queries run as the caller, read-only, in the caller's
 * snapshot; they take no locks, so DDL committed by another session while
 * schema() runs can make it fail ("cache lookup failed"); run it again.
 *
 * IDENTIFICATION
 *	  src/schema/dump.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/binaryheap.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "schema/schema.h"

PG_FUNCTION_INFO_V1(migrate_schema);

/* How many objects a warning about a dependency loop names. */
#define SCHEMA_LOOP_REPORT	10

/*
 * Session settings that change how the deparsers print: pinned while
 * schema() runs, so that its text does not depend on the caller's
 * settings.  JIT is off: compiling the catalog queries of a large
 * database costs more than it saves.  The queries are prepared once
 * (items.c) and run with their generic plan: a custom plan for each call
 * would plan them again every time, which is what preparing saves.
 */
static const char *const pinned_settings[][2] = {
	{"jit", "off"},
	{"plan_cache_mode", "force_generic_plan"},
	{"search_path", "pg_catalog, pg_temp"},
	{"DateStyle", "ISO, MDY"},
	{"IntervalStyle", "postgres"},
	{"extra_float_digits", "1"},
	{"TimeZone", "UTC"},
	{"bytea_output", "hex"},
	{"standard_conforming_strings", "on"},
	{"quote_all_identifiers", "off"},
};

/*
 * Every schema, and whether schema() leaves it out: system schemas,
 * migrate's own, temporary schemas and schemas created by extensions.
 */
static const char *const namespaces_sql =
"SELECT n.oid, n.nspname,"
"       EXISTS (SELECT FROM pg_catalog.pg_extension e"
"                WHERE e.extnamespace = n.oid),"
"       n.nspname IN ('pg_catalog', 'information_schema', 'pg_toast', '"
MIGRATE_SCHEMA "')"
"       OR n.nspname ~ '^pg_(toast_)?temp_'"
"       OR NOT " SCHEMA_NOT_IN_EXTENSION("pg_namespace", "n.oid")
"  FROM pg_catalog.pg_namespace n";

/*
 * Dependencies between user objects.  Only normal, automatic and internal
 * ones order objects; the partition dependencies of indexes are handled
 * by the index attachments.
 */
static const char *const dependencies_sql =
"SELECT d.classid, d.objid, d.refclassid, d.refobjid, d.deptype"
"  FROM pg_catalog.pg_depend d"
" WHERE d.objid >= " CppAsString2(FirstNormalObjectId) " AND d.refobjid >= " CppAsString2(FirstNormalObjectId)
"   AND d.deptype IN ('n', 'a', 'i')";

/*
 * Pin the settings that change deparsed text; returns the GUC nest level
 * to restore.
 */
static int
pin_settings(void)
{
	int			nestlevel = NewGUCNestLevel();
	int			i;

	for (i = 0; i < lengthof(pinned_settings); i++)
		(void) set_config_option(pinned_settings[i][0], pinned_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/*
 * The schema names asked for, checked: NULL for every schema.
 */
static char **
requested_schemas(ArrayType *schemas, int *nrequested)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **names;
	int			n;
	int			i;

	*nrequested = 0;
	if (schemas == NULL)
		return NULL;

	deconstruct_array(schemas, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schemas must not be empty"),
				 errhint("Pass NULL (the default) for every user schema, or the names of the schemas to dump.")));

	names = palloc(sizeof(char *) * n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("schemas must not contain NULL"),
					 errhint("Pass the names of the schemas to dump.")));
		names[i] = TextDatumGetCString(elems[i]);
	}
	*nrequested = n;
	return names;
}

/*
 * Choose the schemas to dump, check the names asked for, and add an item
 * per schema.  Sets dump->nspoids.
 */
static void
select_namespaces(SchemaDump *dump, char **requested, int nrequested)
{
	bool	   *matched = palloc0(sizeof(bool) * Max(nrequested, 1));
	Datum	   *oids;
	int			noids = 0;
	uint64		n;
	uint64		row;
	int			i;

	n = migrate_schema_query(dump, namespaces_sql);
	oids = palloc(sizeof(Datum) * Max(n, 1));
	for (row = 0; row < n; row++)
	{
		Oid			nspoid = migrate_schema_oid(row, 1);
		char	   *nspname = migrate_schema_text(row, 2);
		bool		has_extension = migrate_schema_bool(row, 3);
		bool		excluded = migrate_schema_bool(row, 4);
		bool		wanted = dump->all;
		int			item;

		for (i = 0; i < nrequested; i++)
		{
			if (strcmp(requested[i], nspname) != 0)
				continue;
			if (excluded)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("schema \"%s\" cannot be dumped by migrate.schema()",
								nspname),
						 errdetail("It is a system schema, the schema of extension migrate, or a schema created by an extension."),
						 errhint("Pass the names of user schemas.")));
			matched[i] = true;
			wanted = true;
		}
		if (excluded || !wanted)
			continue;

		oids[noids++] = ObjectIdGetDatum(nspoid);
		item = migrate_schema_item(dump, SCHEMA_P_SCHEMA, "", nspname, NULL);
		migrate_schema_own(dump, NamespaceRelationId, nspoid, item);
		/* public exists in every new database */
		if (strcmp(nspname, "public") != 0)
		{
			appendStringInfo(&dump->items[item]->ddl, "CREATE SCHEMA %s;\n",
							 quote_identifier(nspname));
			/* a schema that holds an extension stays with it */
			if (!has_extension)
				dump->items[item]->drop = psprintf("DROP SCHEMA %s;",
												   quote_identifier(nspname));
		}
	}
	migrate_schema_done();

	for (i = 0; i < nrequested; i++)
		if (!matched[i])
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" does not exist", requested[i]),
					 errhint("Names are case sensitive and not quoted: pass 'MySchema' for \"MySchema\".")));

	dump->nspoids = PointerGetDatum(construct_array(oids, noids, OIDOID,
													sizeof(Oid), true,
													TYPALIGN_INT));
}

/*
 * Turn the dependencies recorded in pg_depend into dependencies between
 * items.  A sequence's ownership by a table column is left out: the
 * table's default uses the sequence, and the OWNED BY is an item of its
 * own, after both.
 */
static void
collect_dependencies(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, dependencies_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		int			from = migrate_schema_owner_of(dump, migrate_schema_oid(row, 1),
										   migrate_schema_oid(row, 2));
		int			to;

		if (from < 0)
			continue;
		to = migrate_schema_owner_of(dump, migrate_schema_oid(row, 3), migrate_schema_oid(row, 4));
		if (to < 0 || to == from)
			continue;
		if (migrate_schema_char(row, 5) == 'a' &&
			dump->items[from]->priority == SCHEMA_P_SEQUENCE)
			continue;
		migrate_schema_depend(dump, from, to);
	}
	migrate_schema_done();
}

/*
 * Default order of items: kind, schema, name, tag, and, should all of
 * them be equal, the text itself.
 */
static int
compare_items(const void *a, const void *b)
{
	const SchemaItem *x = *(SchemaItem *const *) a;
	const SchemaItem *y = *(SchemaItem *const *) b;
	int			c;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if ((c = strcmp(x->sortnsp, y->sortnsp)) != 0)
		return c;
	if ((c = strcmp(x->sortname, y->sortname)) != 0)
		return c;
	if ((c = strcmp(x->sorttag, y->sorttag)) != 0)
		return c;
	return strcmp(x->ddl.data, y->ddl.data);
}

/*
 * binaryheap comparator: the item of lower rank first (binaryheap keeps
 * the largest on top).
 */
static int
compare_ranks(Datum a, Datum b, void *arg)
{
	int			x = DatumGetInt32(a);
	int			y = DatumGetInt32(b);

	return x < y ? 1 : (x > y ? -1 : 0);
}

/*
 * What an item creates, for messages: "table s.t", "function s.f(int)",
 * "index i on s.t".
 */
static char *
item_label(const SchemaItem *item)
{
	static const char *const kinds[] = {
		[SCHEMA_P_SCHEMA] = "schema",
		[SCHEMA_P_EXTENSION] = "extension",
		[SCHEMA_P_TYPE] = "type",
		[SCHEMA_P_FUNCTION] = "function",
		[SCHEMA_P_AGGREGATE] = "aggregate",
		[SCHEMA_P_SEQUENCE] = "sequence",
		[SCHEMA_P_TABLE] = "table",
		[SCHEMA_P_VIEW] = "view",
		[SCHEMA_P_SEQUENCE_OWNER] = "owner of sequence",
		[SCHEMA_P_CONSTRAINT] = "constraint",
		[SCHEMA_P_INDEX] = "index",
		[SCHEMA_P_INDEX_ATTACH] = "attachment of index",
		[SCHEMA_P_FOREIGN_KEY] = "foreign key",
		[SCHEMA_P_TRIGGER] = "trigger",
		[SCHEMA_P_RULE] = "rule",
		[SCHEMA_P_POLICY] = "policy",
		[SCHEMA_P_STATISTICS] = "statistics",
	};
	const char *kind = kinds[item->priority];

	switch (item->priority)
	{
		case SCHEMA_P_SCHEMA:
		case SCHEMA_P_EXTENSION:
			return psprintf("%s %s", kind, quote_identifier(item->sortname));
		case SCHEMA_P_FUNCTION:
		case SCHEMA_P_AGGREGATE:
			return psprintf("%s %s(%s)", kind,
							migrate_schema_qualified(item->sortnsp, item->sortname),
							item->sorttag);
		case SCHEMA_P_CONSTRAINT:
		case SCHEMA_P_INDEX:
		case SCHEMA_P_FOREIGN_KEY:
		case SCHEMA_P_TRIGGER:
		case SCHEMA_P_RULE:
		case SCHEMA_P_POLICY:
			return psprintf("%s %s on %s", kind, quote_identifier(item->sorttag),
							migrate_schema_qualified(item->sortnsp, item->sortname));
		default:
			return psprintf("%s %s", kind,
							migrate_schema_qualified(item->sortnsp, item->sortname));
	}
}

/*
 * Order the items: in default order, each item as early as its
 * dependencies allow (Kahn's algorithm, taking the ready item of lowest
 * rank).  Returns the items in order.  Items caught in a dependency loop
 * are put at the end in default order, with a warning.
 */
static SchemaItem **
order_items(SchemaDump *dump)
{
	int			n = dump->nitems;
	SchemaItem **sorted = palloc(sizeof(SchemaItem *) * Max(n, 1));
	SchemaItem **result = palloc(sizeof(SchemaItem *) * Max(n, 1));
	int		   *waiting = palloc0(sizeof(int) * Max(n, 1));
	int		   *first = palloc0(sizeof(int) * (n + 1));
	int		   *next = palloc(sizeof(int) * Max(dump->ndeps, 1));
	bool	   *done = palloc0(sizeof(bool) * Max(n, 1));
	binaryheap *ready;
	int			nresult = 0;
	int			i;

	memcpy(sorted, dump->items, sizeof(SchemaItem *) * n);
	qsort(sorted, n, sizeof(SchemaItem *), compare_items);
	for (i = 0; i < n; i++)
		sorted[i]->rank = i;

	/* successors of each item, by rank, as a counting-sorted edge list */
	for (i = 0; i < dump->ndeps; i++)
	{
		first[dump->items[dump->depto[i]]->rank]++;
		waiting[dump->items[dump->depfrom[i]]->rank]++;
	}
	for (i = 1; i <= n; i++)
		first[i] += first[i - 1];
	for (i = 0; i < dump->ndeps; i++)
		next[--first[dump->items[dump->depto[i]]->rank]] =
			dump->items[dump->depfrom[i]]->rank;

	ready = binaryheap_allocate(Max(n, 1), compare_ranks, NULL);
	for (i = 0; i < n; i++)
		if (waiting[i] == 0)
			binaryheap_add_unordered(ready, Int32GetDatum(i));
	binaryheap_build(ready);

	while (!binaryheap_empty(ready))
	{
		int			r = DatumGetInt32(binaryheap_remove_first(ready));
		int			e;

		result[nresult++] = sorted[r];
		done[r] = true;
		for (e = first[r]; e < first[r + 1]; e++)
			if (--waiting[next[e]] == 0)
				binaryheap_add(ready, Int32GetDatum(next[e]));
	}

	if (nresult < n)
	{
		StringInfoData loop;
		int			reported = 0;

		initStringInfo(&loop);
		for (i = 0; i < n; i++)
		{
			if (done[i])
				continue;
			if (reported < SCHEMA_LOOP_REPORT)
				appendStringInfo(&loop, "%s%s", reported > 0 ? ", " : "",
								 item_label(sorted[i]));
			reported++;
			result[nresult++] = sorted[i];
		}
		ereport(WARNING,
				(errmsg_plural("migrate.schema() found a dependency loop among %d object",
							   "migrate.schema() found a dependency loop among %d objects",
							   reported, reported),
				 errdetail_plural("It is dumped in default order, which may not load: %s%s.",
								  "They are dumped in default order, which may not load: %s%s.",
								  reported, loop.data,
								  reported > SCHEMA_LOOP_REPORT ? ", ..." : ""),
				 errhint("Break the loop, for example by moving a column default or a constraint that calls a function into a statement of its own.")));
	}

	binaryheap_free(ready);
	return result;
}

/*
 * Build the DDL of the schemas "schemas" (NULL: every user schema).  The
 * caller is connected to SPI; the result is allocated in the current
 * memory context.
 */
void
migrate_schema_build(ArrayType *schemas, SchemaResult *result)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext cxt;
	SchemaDump	dump;
	SchemaItem **ordered;
	StringInfoData ddl;
	StringInfoData drops;
	char	  **requested;
	int			nrequested;
	int			nestlevel;
	int			nitems = 0;
	int			i;

	cxt = AllocSetContextCreate(callercxt, "migrate schema",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	nestlevel = pin_settings();

	memset(&dump, 0, sizeof(dump));
	requested = requested_schemas(schemas, &nrequested);
	dump.all = (requested == NULL);
	dump.nspoids = PointerGetDatum(construct_empty_array(OIDOID));
	migrate_schema_init(&dump);

	select_namespaces(&dump, requested, nrequested);
	migrate_schema_collect_extensions(&dump);
	migrate_schema_collect_types(&dump);
	migrate_schema_collect_functions(&dump);
	migrate_schema_collect_tables(&dump);
	migrate_schema_collect_sequences(&dump);
	migrate_schema_collect_views(&dump);
	migrate_schema_collect_indexes(&dump);
	migrate_schema_collect_triggers_and_rules(&dump);
	migrate_schema_collect_policies(&dump);
	migrate_schema_collect_statistics(&dump);
	migrate_schema_collect_comments(&dump);
	collect_dependencies(&dump);
	migrate_schema_warn_unsupported(&dump);

	ordered = order_items(&dump);

	MemoryContextSwitchTo(callercxt);
	initStringInfo(&ddl);
	initStringInfo(&drops);
	/* SQL functions are checked against objects that may come later */
	if (dump.sql_bodies)
		appendStringInfoString(&ddl, "SET check_function_bodies = false;\n");
	for (i = 0; i < dump.nitems; i++)
	{
		if (ordered[i]->ddl.len == 0)
			continue;
		if (ddl.len > 0)
			appendStringInfoChar(&ddl, '\n');
		appendBinaryStringInfo(&ddl, ordered[i]->ddl.data, ordered[i]->ddl.len);
		nitems++;
	}
	if (dump.sql_bodies)
		appendStringInfoString(&ddl, "\nRESET check_function_bodies;\n");
	for (i = dump.nitems - 1; i >= 0; i--)
		if (ordered[i]->drop)
			appendStringInfo(&drops, "%s\n", ordered[i]->drop);

	result->ddl = ddl.data;
	result->drops = drops.data;
	result->nitems = nitems;
	result->nschemas = 0;
	result->schemas = palloc(sizeof(char *) * Max(dump.nitems, 1));
	result->has_tables = false;
	for (i = 0; i < dump.nitems; i++)
	{
		if (ordered[i]->priority == SCHEMA_P_SCHEMA)
			result->schemas[result->nschemas++] = pstrdup(ordered[i]->sortname);
		if (ordered[i]->holds_rows)
			result->has_tables = true;
	}

	AtEOXact_GUC(true, nestlevel);
	MemoryContextDelete(cxt);
}

/*
 * schema(schemas text[]) returns text
 *
 * The DDL of every user object, or of those in the schemas named.
 */
Datum
migrate_schema(PG_FUNCTION_ARGS)
{
	SchemaResult result;

	migrate_spi_connect();
	migrate_schema_build(PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0),
						 &result);
	SPI_finish();

	PG_RETURN_TEXT_P(cstring_to_text(result.ddl));
}
