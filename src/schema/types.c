/*-------------------------------------------------------------------------
 *
 * types.c
 *	  schema(): types (enum, composite, range, domain) and sequences.
 *
 * PostgreSQL has no pg_get_typedef() or pg_get_sequencedef(), so these are
 * built from pg_type, pg_enum, pg_range, pg_constraint and pg_sequence,
 * with one query per kind.  Options are written only where they differ
 * from what the command would choose by itself, so the text reads like
 * what a person would write, and gives the same catalog entries back.
 *
 * Base types and shell types need C functions and are not dumped (see
 * migrate_schema_warn_unsupported()).
 *
 * IDENTIFICATION
 *	  src/schema/types.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "schema/schema.h"

/*
 * Enum types, with their labels in order.
 */
static const char *const enums_sql =
"SELECT t.oid, n.nspname, t.typname, t.typarray, 0::pg_catalog.oid,"
"       (SELECT string_agg(E'\\n    ' || quote_literal(e.enumlabel), ','"
"                          ORDER BY e.enumsortorder)"
"          FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)"
"  FROM pg_catalog.pg_type t"
"  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
" WHERE t.typtype = 'e' AND t.typnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_type", "t.oid");

/*
 * Composite types, with their attributes in order.  Identifiers in the
 * aggregated list are quoted by quote_ident(), which is quote_identifier().
 */
static const char *const composites_sql =
"SELECT t.oid, n.nspname, t.typname, t.typarray, t.typrelid,"
"       (SELECT string_agg(E'\\n    ' || quote_ident(a.attname) || ' '"
"                          || format_type(a.atttypid, a.atttypmod)"
"                          || CASE WHEN a.attcollation <> at.typcollation"
"                             THEN ' COLLATE ' || quote_ident(cn.nspname)"
"                                  || '.' || quote_ident(co.collname)"
"                             ELSE '' END, ',' ORDER BY a.attnum)"
"          FROM pg_catalog.pg_attribute a"
"          JOIN pg_catalog.pg_type at ON at.oid = a.atttypid"
"          LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
"          LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
"         WHERE a.attrelid = t.typrelid AND a.attnum > 0"
"           AND NOT a.attisdropped)"
"  FROM pg_catalog.pg_type t"
"  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
"  JOIN pg_catalog.pg_class c ON c.oid = t.typrelid"
" WHERE t.typtype = 'c' AND c.relkind = 'c' AND t.typnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_type", "t.oid");

/*
 * Domains: base type, collation, default, NOT NULL, and their CHECK
 * constraints by name, the validated ones (inline) apart from the NOT
 * VALID ones (added after).
 */
static const char *const domains_sql =
"SELECT t.oid, n.nspname, t.typname, t.typarray,"
"       format_type(t.typbasetype, t.typtypmod),"
"       CASE WHEN t.typcollation <> bt.typcollation"
"            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname)"
"       END,"
"       pg_get_expr(t.typdefaultbin, 0), t.typnotnull,"
"       (SELECT string_agg(E'\\n    CONSTRAINT ' || quote_ident(k.conname)"
"                          || ' ' || pg_get_constraintdef(k.oid), ''"
"                          ORDER BY k.conname)"
"          FROM pg_catalog.pg_constraint k"
"         WHERE k.contypid = t.oid AND k.contype = 'c' AND k.convalidated),"
"       (SELECT string_agg('ALTER DOMAIN ' || format_type(t.oid, NULL)"
"                          || ' ADD CONSTRAINT ' || quote_ident(k.conname)"
"                          || ' ' || pg_get_constraintdef(k.oid) || E';\\n', ''"
"                          ORDER BY k.conname)"
"          FROM pg_catalog.pg_constraint k"
"         WHERE k.contypid = t.oid AND k.contype = 'c'"
"           AND NOT k.convalidated),"
"       ARRAY(SELECT k.oid FROM pg_catalog.pg_constraint k"
"              WHERE k.contypid = t.oid),"
"       (SELECT k.conname FROM pg_catalog.pg_constraint k"
"         WHERE k.contypid = t.oid AND k.contype = 'n')"
"  FROM pg_catalog.pg_type t"
"  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
"  JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype"
"  LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation"
"  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
" WHERE t.typtype = 'd' AND t.typnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_type", "t.oid");

/*
 * Range types: subtype, and the options that differ from the subtype's
 * defaults.  Function names print qualified where needed (regproc).
 */
static const char *const ranges_sql =
"SELECT t.oid, n.nspname, t.typname, t.typarray,"
"       format_type(r.rngsubtype, NULL),"
"       CASE WHEN NOT oc.opcdefault"
"            THEN quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname)"
"       END,"
"       CASE WHEN r.rngcollation <> st.typcollation"
"            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname)"
"       END,"
"       CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::pg_catalog.regproc::text END,"
"       CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.regproc::text END,"
"       r.rngmultitypid, m.typarray,"
"       quote_ident(mn.nspname) || '.' || quote_ident(m.typname)"
"  FROM pg_catalog.pg_type t"
"  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
"  JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid"
"  JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype"
"  JOIN pg_catalog.pg_opclass oc ON oc.oid = r.rngsubopc"
"  JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace"
"  LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation"
"  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
"  LEFT JOIN pg_catalog.pg_type m ON m.oid = r.rngmultitypid"
"  LEFT JOIN pg_catalog.pg_namespace mn ON mn.oid = m.typnamespace"
" WHERE t.typtype = 'r' AND t.typnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_type", "t.oid");

/*
 * Sequences other than identity sequences (those belong to their column),
 * with the column that owns them, if any.
 */
static const char *const sequences_sql =
"SELECT c.oid, n.nspname, c.relname, s.seqtypid, s.seqstart,"
"       s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle,"
"       c.relpersistence = 'u', o.oid, o.nspname, o.relname, o.attname"
"  FROM pg_catalog.pg_class c"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
"  JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid"
"  LEFT JOIN LATERAL ("
"       SELECT t.oid, tn.nspname, t.relname, a.attname"
"         FROM pg_catalog.pg_depend d"
"         JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"
"         JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace"
"         JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid"
"                                       AND a.attnum = d.refobjsubid"
"        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"          AND d.objid = c.oid AND d.deptype = 'a'"
"          AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"          AND d.refobjsubid > 0) o ON true"
" WHERE c.relkind = 'S' AND c.relnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_class", "c.oid")
"   AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend i"
"                    WHERE i.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"                      AND i.objid = c.oid AND i.deptype = 'i')";

/*
 * Add the item of type "nsp"."name" (oid "typoid", array type
 * "typarray") and return its number.
 */
static int
type_item(SchemaDump *dump, const char *nsp, const char *name, Oid typoid,
		  Oid typarray, const char *dropkind)
{
	int			item = migrate_schema_item(dump, SCHEMA_P_TYPE, nsp, name, NULL);

	migrate_schema_own(dump, TypeRelationId, typoid, item);
	migrate_schema_own(dump, TypeRelationId, typarray, item);
	dump->items[item]->drop = psprintf("DROP %s %s;", dropkind,
									   migrate_schema_qualified(nsp, name));
	return item;
}

/*
 * CREATE TYPE ... AS ENUM (labels) or AS (attributes), from a row
 * (oid, schema, name, array type, pg_class entry, list).
 */
static void
collect_listed_types(SchemaDump *dump, const char *sql, const char *kind)
{
	uint64		n = migrate_schema_query(dump, sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		char	   *list = migrate_schema_text(row, 6);
		int			item = type_item(dump, nsp, name, migrate_schema_oid(row, 1),
									 migrate_schema_oid(row, 4), "TYPE");

		/* a composite type's attributes belong to its pg_class entry */
		migrate_schema_own(dump, RelationRelationId, migrate_schema_oid(row, 5), item);
		appendStringInfo(&dump->items[item]->ddl, "CREATE TYPE %s AS %s(%s%s);\n",
						 migrate_schema_qualified(nsp, name), kind,
						 list ? list : "", list ? "\n" : "");
	}
	migrate_schema_done();
}

/*
 * CREATE DOMAIN with its validated CHECK constraints, then ALTER DOMAIN
 * for the NOT VALID ones.
 */
static void
collect_domains(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, domains_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		char	   *qualified = migrate_schema_qualified(nsp, name);
		char	   *collation = migrate_schema_text(row, 6);
		char	   *defexpr = migrate_schema_text(row, 7);
		char	   *checks = migrate_schema_text(row, 9);
		char	   *notvalid = migrate_schema_text(row, 10);
		char	   *nnname = migrate_schema_text(row, 12);
		int			item = type_item(dump, nsp, name, migrate_schema_oid(row, 1),
									 migrate_schema_oid(row, 4), "DOMAIN");
		StringInfo	ddl = &dump->items[item]->ddl;
		bool		isnull;
		ArrayType  *constraints;
		Datum	   *oids;
		int			noids;
		int			i;

		appendStringInfo(ddl, "CREATE DOMAIN %s AS %s", qualified,
						 migrate_schema_text(row, 5));
		if (collation)
			appendStringInfo(ddl, " COLLATE %s", collation);
		if (defexpr)
			appendStringInfo(ddl, " DEFAULT %s", defexpr);
		/* from 17 on, NOT NULL is a constraint with a name */
		if (migrate_schema_bool(row, 8) && nnname &&
			strcmp(nnname, psprintf("%s_not_null", name)) != 0)
			appendStringInfo(ddl, " CONSTRAINT %s NOT NULL", quote_identifier(nnname));
		else if (migrate_schema_bool(row, 8))
			appendStringInfoString(ddl, " NOT NULL");
		if (checks)
			appendStringInfoString(ddl, checks);
		appendStringInfoString(ddl, ";\n");
		if (notvalid)
			appendStringInfoString(ddl, notvalid);

		/* its constraints are part of the item */
		constraints = DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[row],
													   SPI_tuptable->tupdesc,
													   11, &isnull));
		deconstruct_array(constraints, OIDOID, sizeof(Oid), true,
						  TYPALIGN_INT, &oids, NULL, &noids);
		for (i = 0; i < noids; i++)
			migrate_schema_own(dump, ConstraintRelationId, DatumGetObjectId(oids[i]),
					   item);
	}
	migrate_schema_done();
}

/*
 * CREATE TYPE ... AS RANGE.  The multirange type's name is always given:
 * PostgreSQL makes it up from the range's name, and a rename of either
 * would otherwise be lost.
 */
static void
collect_ranges(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, ranges_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		char	   *opclass = migrate_schema_text(row, 6);
		char	   *collation = migrate_schema_text(row, 7);
		char	   *canonical = migrate_schema_text(row, 8);
		char	   *subdiff = migrate_schema_text(row, 9);
		char	   *multirange = migrate_schema_text(row, 12);
		int			item = type_item(dump, nsp, name, migrate_schema_oid(row, 1),
									 migrate_schema_oid(row, 4), "TYPE");
		StringInfo	ddl = &dump->items[item]->ddl;

		migrate_schema_own(dump, TypeRelationId, migrate_schema_oid(row, 10), item);
		migrate_schema_own(dump, TypeRelationId, migrate_schema_oid(row, 11), item);
		appendStringInfo(ddl, "CREATE TYPE %s AS RANGE (\n    subtype = %s",
						 migrate_schema_qualified(nsp, name), migrate_schema_text(row, 5));
		if (multirange)
			appendStringInfo(ddl, ",\n    multirange_type_name = %s",
							 multirange);
		if (opclass)
			appendStringInfo(ddl, ",\n    subtype_opclass = %s", opclass);
		if (collation)
			appendStringInfo(ddl, ",\n    collation = %s", collation);
		if (canonical)
			appendStringInfo(ddl, ",\n    canonical = %s", canonical);
		if (subdiff)
			appendStringInfo(ddl, ",\n    subtype_diff = %s", subdiff);
		appendStringInfoString(ddl, "\n);\n");
	}
	migrate_schema_done();
}

/*
 * Enum, composite, domain and range types.
 */
void
migrate_schema_collect_types(SchemaDump *dump)
{
	collect_listed_types(dump, enums_sql, "ENUM ");
	collect_listed_types(dump, composites_sql, "");
	collect_domains(dump);
	collect_ranges(dump);
}

/*
 * Append the options of a sequence of type "typid" that differ from the
 * defaults CREATE SEQUENCE would choose, each with a leading space.
 */
void
migrate_schema_sequence_options(StringInfo buf, Oid typid, int64 start,
						int64 increment, int64 max, int64 min, int64 cache,
						bool cycle)
{
	int64		typmin = PG_INT64_MIN;
	int64		typmax = PG_INT64_MAX;

	if (typid == INT2OID)
	{
		typmin = PG_INT16_MIN;
		typmax = PG_INT16_MAX;
	}
	else if (typid == INT4OID)
	{
		typmin = PG_INT32_MIN;
		typmax = PG_INT32_MAX;
	}

	if (increment != 1)
		appendStringInfo(buf, " INCREMENT BY " INT64_FORMAT, increment);
	if (min != (increment > 0 ? 1 : typmin))
		appendStringInfo(buf, " MINVALUE " INT64_FORMAT, min);
	if (max != (increment > 0 ? typmax : -1))
		appendStringInfo(buf, " MAXVALUE " INT64_FORMAT, max);
	if (start != (increment > 0 ? min : max))
		appendStringInfo(buf, " START WITH " INT64_FORMAT, start);
	if (cache != 1)
		appendStringInfo(buf, " CACHE " INT64_FORMAT, cache);
	if (cycle)
		appendStringInfoString(buf, " CYCLE");
}

/*
 * Sequences, and the OWNED BY of those a column owns, as an item after
 * both the sequence and the table.  Runs after the tables are collected.
 */
void
migrate_schema_collect_sequences(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, sequences_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		char	   *qualified = migrate_schema_qualified(nsp, name);
		Oid			typid = migrate_schema_oid(row, 4);
		Oid			owner = migrate_schema_oid(row, 12);
		int			item = migrate_schema_item(dump, SCHEMA_P_SEQUENCE, nsp, name, NULL);
		StringInfo	ddl = &dump->items[item]->ddl;

		migrate_schema_own(dump, RelationRelationId, migrate_schema_oid(row, 1), item);
		appendStringInfo(ddl, "CREATE %sSEQUENCE %s",
						 migrate_schema_bool(row, 11) ? "UNLOGGED " : "", qualified);
		if (typid != INT8OID)
			appendStringInfo(ddl, " AS %s", format_type_be(typid));
		migrate_schema_sequence_options(ddl, typid, migrate_schema_int64(row, 5),
								migrate_schema_int64(row, 6), migrate_schema_int64(row, 7),
								migrate_schema_int64(row, 8), migrate_schema_int64(row, 9),
								migrate_schema_bool(row, 10));
		appendStringInfoString(ddl, ";\n");

		if (OidIsValid(owner))
		{
			int			owned = migrate_schema_item(dump, SCHEMA_P_SEQUENCE_OWNER, nsp,
											name, NULL);

			/* dropped with its table */
			appendStringInfo(&dump->items[owned]->ddl,
							 "ALTER SEQUENCE %s OWNED BY %s.%s;\n", qualified,
							 migrate_schema_qualified(migrate_schema_text(row, 13),
											  migrate_schema_text(row, 14)),
							 quote_identifier(migrate_schema_text(row, 15)));
			migrate_schema_depend(dump, owned, item);
			migrate_schema_depend(dump, owned,
						  migrate_schema_owner_of(dump, RelationRelationId, owner));
		}
		else
			dump->items[item]->drop = psprintf("DROP SEQUENCE %s;", qualified);
	}
	migrate_schema_done();
}
