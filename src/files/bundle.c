/*-------------------------------------------------------------------------
 *
 * bundle.c
 *	  migrate.bundle(): the registry as a psql script, to ship it from one
 *	  database to another.
 *
 * The script is one transaction of migrate.add() calls, one per
 * registered migration in version order, then migrate.add_seed() calls,
 * one per seed in name order.  Run with psql in another database, it
 * registers the same migrations with the same text, names, transactional
 * flags, sort_as and environments, so status and checksums there match; applying
 * them is left to that database's deploy (latest(), CALL run()).  Since
 * add() is idempotent, running a bundle twice changes nothing, and a
 * bundle that would change an applied migration stops with add()'s error
 * and registers nothing.
 *
 * Scripts are dollar-quoted with a tag chosen per script so that it can
 * never close early: the tag occurs nowhere in the script, nor where the
 * script's end meets the closing tag.
 *
 * IDENTIFICATION
 *	  src/files/bundle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "files/files.h"

PG_FUNCTION_INFO_V1(migrate_bundle);

static MigrateQuery bundle_migrations_query = {
	.sql =
		"SELECT version, up, down, name, transactional, sort_as, environments"
		"  FROM migrate.migrations ORDER BY sort_key",
	.nargs = 0
};

static MigrateQuery bundle_seeds_query = {
	.sql =
		"SELECT name, sql, repeatable, environments"
		"  FROM migrate.seeds ORDER BY sort_key",
	.nargs = 0
};

/*
 * Append "text" dollar-quoted with a tag that cannot end it early: $m$,
 * else $m1$, $m2$, ...
 */
static void
append_dollar_quoted(StringInfo buf, const char *text)
{
	size_t		len = strlen(text);
	int			n = 0;

	for (;;)
	{
		char	   *tag = n == 0 ? pstrdup("$m$") : psprintf("$m%d$", n);
		char	   *closed = psprintf("%s%s", text, tag);
		bool		ok = (strstr(closed, tag) == closed + len);

		pfree(closed);
		if (ok)
		{
			appendStringInfo(buf, "%s%s%s", tag, text, tag);
			pfree(tag);
			return;
		}
		pfree(tag);
		n++;
	}
}

/*
 * Append a string literal, or NULL.
 */
static void
append_literal_or_null(StringInfo buf, const char *s)
{
	if (s)
		appendStringInfoString(buf, quote_literal_cstr(s));
	else
		appendStringInfoString(buf, "NULL");
}

/*
 * Append the environments in column "col" of row "row" as SQL.
 */
static void
append_environments(StringInfo buf, int row, int col)
{
	bool		isnull;
	Datum		d = migrate_store_getdatum(row, col, &isnull);

	if (isnull)
		appendStringInfoString(buf, "NULL");
	else
		appendStringInfoString(buf, migrate_environments_literal(d));
}

/*
 * bundle() returns text
 */
Datum
migrate_bundle(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	StringInfoData body;
	int			nmigrations;
	int			nseeds;
	uint64		i;

	initStringInfo(&body);
	migrate_spi_connect();

	(void) migrate_store_exec(&bundle_migrations_query, NULL, NULL, 0);
	nmigrations = SPI_processed;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		appendStringInfoString(&body, "SELECT migrate.add(");
		append_literal_or_null(&body, migrate_store_getstr(i, 1));
		appendStringInfoString(&body, ",\n    ");
		append_dollar_quoted(&body, migrate_store_getstr(i, 2));
		appendStringInfoString(&body, ",\n    ");
		if (migrate_store_getstr(i, 3))
			append_dollar_quoted(&body, migrate_store_getstr(i, 3));
		else
			appendStringInfoString(&body, "NULL");
		appendStringInfoString(&body, ",\n    name => ");
		append_literal_or_null(&body, migrate_store_getstr(i, 4));
		appendStringInfo(&body, ", transactional => %s,\n    sort_as => ",
						 DatumGetBool(migrate_store_getdatum(i, 5, &isnull)) ?
						 "true" : "false");
		append_literal_or_null(&body, migrate_store_getstr(i, 6));
		appendStringInfoString(&body, ", environments => ");
		append_environments(&body, i, 7);
		appendStringInfoString(&body, ");\n");
	}
	migrate_store_done();

	(void) migrate_store_exec(&bundle_seeds_query, NULL, NULL, 0);
	nseeds = SPI_processed;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		appendStringInfoString(&body, "SELECT migrate.add_seed(");
		append_literal_or_null(&body, migrate_store_getstr(i, 1));
		appendStringInfoString(&body, ",\n    ");
		append_dollar_quoted(&body, migrate_store_getstr(i, 2));
		appendStringInfo(&body, ",\n    repeatable => %s, environments => ",
						 DatumGetBool(migrate_store_getdatum(i, 3, &isnull)) ?
						 "true" : "false");
		append_environments(&body, i, 4);
		appendStringInfoString(&body, ");\n");
	}
	migrate_store_done();

	SPI_finish();

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "-- migrate bundle: %d migration%s, %d seed%s\n"
					 "-- Run it with psql in the target database; it registers, it applies nothing.\n"
					 "\\set ON_ERROR_STOP on\n"
					 "SET client_encoding = %s;\n"
					 "SET standard_conforming_strings = on;\n"
					 "BEGIN;\n"
					 "CREATE EXTENSION IF NOT EXISTS migrate;\n",
					 nmigrations, nmigrations == 1 ? "" : "s",
					 nseeds, nseeds == 1 ? "" : "s",
					 quote_literal_cstr(GetDatabaseEncodingName()));
	appendBinaryStringInfo(&buf, body.data, body.len);
	appendStringInfoString(&buf, "COMMIT;\n");

	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}
