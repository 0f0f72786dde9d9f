/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  baseline(): adopt an existing database by recording its schema as
 *	  a migration that is already applied.
 *
 * A team that starts using migrate on a database that already has its
 * tables registers one migration whose up script is schema(): run on an
 * empty database it creates what this one has; here it is recorded as
 * applied without running anything (history action "baseline").  Later
 * migrations build on it.
 *
 * Its down script drops what the up script creates, newest first and
 * without CASCADE, so that it fails, and reverts nothing, when anything
 * else depends on those objects.  It is safe to run only where it cannot
 * lose data, so it starts by checking that none of the tables the baseline
 * found holds rows, and refuses otherwise (tables made since, such as an
 * ORM's or knex's own, are not its to check).  Extensions, the schemas that hold them
 * and the public schema are never dropped: the up script only creates
 * extensions if they are missing, and cannot tell whether it did.
 *
 * IDENTIFICATION
 *	  src/schema/baseline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "schema/schema.h"

PG_FUNCTION_INFO_V1(migrate_baseline);

/*
 * Whether migrate already tracks the database, whether the version is
 * taken, and the registered versions that sort before it.
 */
static MigrateQuery baseline_state_query = {
	.sql =
		"SELECT (SELECT pg_catalog.count(*) FROM migrate.applied),"
		"       EXISTS (SELECT FROM migrate.migrations m"
		"                WHERE m.version OPERATOR(pg_catalog.=) $1),"
		"       (SELECT pg_catalog.string_agg(pg_catalog.format('\"%s\"', m.version),"
		"                                     ', ' ORDER BY m.sort_key)"
		"          FROM migrate.migrations m"
		"         WHERE m.sort_key OPERATOR(pg_catalog.<) migrate.version_key($1)),"
		"       (SELECT pg_catalog.count(*)::pg_catalog.int4"
		"          FROM migrate.migrations m"
		"         WHERE m.sort_key OPERATOR(pg_catalog.<) migrate.version_key($1))",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * A dollar-quote tag based on "base" that does not occur in "body".
 */
static char *
dollar_tag(const char *body, const char *base)
{
	char	   *tag = psprintf("$%s$", base);
	int			i;

	for (i = 1; strstr(body, tag) != NULL; i++)
		tag = psprintf("$%s%d$", base, i);
	return tag;
}

/*
 * The tables of the schemas dumped, as the baseline finds them: its own,
 * which its down script checks.  Tables created after it (knex's
 * knex_migrations, say) are not the baseline's to check or drop.
 */
static MigrateQuery baseline_tables_query = {
	.sql =
		"SELECT pg_catalog.string_agg(pg_catalog.quote_literal("
		"           pg_catalog.format('%I.%I', n.nspname, c.relname)), ', '"
		"           ORDER BY n.nspname, c.relname)"
		"  FROM pg_catalog.pg_class c"
		"  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
		" WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::pg_catalog.\"char\"[])"
		"   AND n.nspname OPERATOR(pg_catalog.=) ANY ($1)"
		"   AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
		"                    WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
		"                      AND d.objid OPERATOR(pg_catalog.=) c.oid"
		"                      AND d.deptype OPERATOR(pg_catalog.=) 'e')",
	.nargs = 1,
	.argtypes = {TEXTARRAYOID}
};

/*
 * The down script: a check that no table the baseline found holds rows,
 * then the drops.  NULL when there is nothing to drop.  A table that is
 * gone by then is not checked; one added since is neither checked nor
 * dropped, and a drop of its schema then fails, with nothing reverted.
 */
static char *
baseline_down(const SchemaResult *schema)
{
	StringInfoData down;
	StringInfoData body;
	char	   *tag;
	char	   *tables = NULL;

	if (schema->drops[0] == '\0')
		return NULL;

	if (schema->has_tables)
	{
		Datum	   *elems = palloc(sizeof(Datum) * Max(schema->nschemas, 1));
		Datum		arg;
		int			i;

		for (i = 0; i < schema->nschemas; i++)
			elems[i] = CStringGetTextDatum(schema->schemas[i]);
		arg = PointerGetDatum(construct_array(elems, schema->nschemas, TEXTOID,
											  -1, false, TYPALIGN_INT));
		(void) migrate_store_exec(&baseline_tables_query, &arg, NULL, 1);
		tables = migrate_store_getstr(0, 1);
		migrate_store_done();
	}

	initStringInfo(&down);
	if (tables)
	{
		initStringInfo(&body);
		appendStringInfo(&body,
						 "\nDECLARE\n"
						 "    t pg_catalog.text;\n"
						 "    nonempty pg_catalog.bool;\n"
						 "BEGIN\n"
						 "    FOREACH t IN ARRAY ARRAY[%s]::pg_catalog.text[] LOOP\n"
						 "        CONTINUE WHEN pg_catalog.to_regclass(t) IS NULL;\n"
						 "        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM ONLY %%s)', t)\n"
						 "            INTO nonempty;\n"
						 "        IF nonempty THEN\n"
						 "            RAISE EXCEPTION 'table %% holds rows', t\n"
						 "                USING ERRCODE = 'object_not_in_prerequisite_state',\n"
						 "                      DETAIL = 'The down script of a baseline drops its objects only when none of its tables holds rows.',\n"
						 "                      HINT = 'Empty the tables first, or drop the objects by hand and record that with migrate.mark_reverted().';\n"
						 "        END IF;\n"
						 "    END LOOP;\n"
						 "END\n",
						 tables);
		tag = dollar_tag(body.data, "baseline");
		appendStringInfo(&down, "DO %s%s%s;\n", tag, body.data, tag);
	}
	appendStringInfoString(&down, schema->drops);
	return down.data;
}

/*
 * baseline(version text, name text) returns (version, name, statements,
 * reversible)
 *
 * Register a migration whose up script is schema() and record it as
 * applied, in a batch of its own, without running it.
 */
Datum
migrate_baseline(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	char	   *name = PG_ARGISNULL(1) ? "baseline" :
		text_to_cstring(PG_GETARG_TEXT_PP(1));
	Datum		arg;
	bool		isnull;
	int64		applied;
	bool		registered;
	char	   *before;
	int			nbefore;
	SchemaResult schema;
	char	   *down;
	int			statements;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	migrate_check_version(version, "version");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	migrate_call_begin();

	arg = CStringGetTextDatum(version);
	(void) migrate_store_exec(&baseline_state_query, &arg, NULL, 1);
	applied = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	registered = DatumGetBool(migrate_store_getdatum(0, 2, &isnull));
	before = migrate_store_getstr(0, 3);
	nbefore = DatumGetInt32(migrate_store_getdatum(0, 4, &isnull));
	migrate_store_done();

	if (applied > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot record migration \"%s\" as a baseline: migrate already tracks this database",
						version),
				 errdetail_plural("%lld migration is applied, and a baseline adopts only a database that has no applied migrations. Nothing was registered.",
								  "%lld migrations are applied, and a baseline adopts only a database that has no applied migrations. Nothing was registered.",
								  (unsigned long) applied, (long long) applied),
				 errhint("Record later changes as new migrations.")));
	if (registered)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("migration \"%s\" is already registered", version),
				 errdetail("Nothing was registered."),
				 errhint("Choose a version that is not registered for the baseline, usually one that sorts before every other migration.")));

	migrate_schema_build(NULL, &schema);
	if (schema.nitems == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot record migration \"%s\" as a baseline: the database has no user objects",
						version),
				 errdetail("There is nothing to adopt. Nothing was registered."),
				 errhint("Register the first migration with migrate.add().")));

	down = baseline_down(&schema);
	(void) migrate_register(version, schema.ddl, down, name, true, NULL,
							false);
	migrate_mark_applied(version, migrate_next_batch(), "baseline");
	statements = migrate_parse_script(version, "up", schema.ddl, false)->nstatements;

	if (before)
		ereport(WARNING,
				(errmsg_plural("registered migration %s sorts before baseline migration \"%s\"",
							   "registered migrations %s sort before baseline migration \"%s\"",
							   nbefore, before, version),
				 errdetail_plural("It is pending: migrate.latest() applies it after the baseline, out of order.",
								  "They are pending: migrate.latest() applies them after the baseline, out of order.",
								  nbefore),
				 errhint_plural("Remove it with migrate.remove() if the baseline already contains its changes.",
								"Remove them with migrate.remove() if the baseline already contains their changes.",
								nbefore)));
	if (down)
		ereport(NOTICE,
				(errmsg("baseline migration \"%s\" recorded as applied", version),
				 errdetail_plural("Its up script has %d statement. Nothing was run.",
								  "Its up script has %d statements. Nothing was run.",
								  statements, statements)));
	else
		ereport(NOTICE,
				(errmsg("baseline migration \"%s\" recorded as applied", version),
				 errdetail_plural("Its up script has %d statement, and it has no down script. Nothing was run.",
								  "Its up script has %d statements, and it has no down script. Nothing was run.",
								  statements, statements)));

	migrate_call_end();

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(name);
	values[2] = Int32GetDatum(statements);
	values[3] = BoolGetDatum(down != NULL);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
