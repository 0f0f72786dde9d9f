/*-------------------------------------------------------------------------
 *
 * tables.c
 *	  schema(): tables, their columns and constraints, partitions,
 *	  inheritance, and indexes.
 *
 * There is no pg_get_tabledef(): a table's CREATE TABLE is built from
 * pg_class, pg_attribute and pg_attrdef, with one query for every table,
 * one for every column and one for every constraint, whatever the number
 * of tables.  Constraints and indexes use pg_get_constraintdef() and
 * pg_get_indexdef().
 *
 * The statements follow pg_dump where it matters for getting the same
 * catalog back:
 *   - validated CHECK constraints are written inside CREATE TABLE, other
 *     constraints are items of their own, after the tables: primary keys,
 *     unique and exclusion constraints (ALTER TABLE ONLY), then indexes,
 *     then foreign keys, so that tables can reference each other in any
 *     order; a CHECK constraint that is NOT VALID or calls a user function
 *     is an item of its own too, so that the function can come after the
 *     table;
 *   - a partition is created with PARTITION OF, and takes its columns from
 *     its parent; an index or key of a partitioned table is created ON
 *     ONLY the parent, the partitions' ones are created separately and
 *     attached (ALTER INDEX ... ATTACH PARTITION), so that every index
 *     keeps its name;
 *   - a child table (INHERITS) lists only its own columns; NOT NULL or a
 *     default that a child or a partition has and its parent has not is
 *     set after the CREATE TABLE;
 *   - foreign keys and triggers cloned from a partitioned table to its
 *     partitions are not written: the partitions get them again.
 *
 * IDENTIFICATION
 *	  src/schema/tables.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "schema/schema.h"

/*
 * What a table's item needs until its CREATE TABLE is written.
 */
typedef struct TableInfo
{
	char	   *qualified;		/* schema-qualified, quoted name */
	char		relkind;
	bool		ispartition;
	int			nelements;		/* columns and constraints so far */
	StringInfoData elements;	/* inside CREATE TABLE ( ... ) */
	StringInfoData after;		/* statements after CREATE TABLE */
} TableInfo;

/*
 * Tables (ordinary and partitioned; typed tables are not dumped).
 */
static const char *const tables_sql =
"SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence = 'u',"
"       c.reltype, t.typarray, c.relispartition,"
"       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,"
"       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,"
"       (SELECT string_agg(quote_ident(pn.nspname) || '.' || quote_ident(p.relname),"
"                          ', ' ORDER BY i.inhseqno)"
"          FROM pg_catalog.pg_inherits i"
"          JOIN pg_catalog.pg_class p ON p.oid = i.inhparent"
"          JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
"         WHERE i.inhrelid = c.oid),"
"       concat_ws(', ', " SCHEMA_OPTIONS_SQL("''", "c.reloptions") ","
"                 " SCHEMA_OPTIONS_SQL("'toast.'", "tc.reloptions") "),"
"       CASE WHEN c.relkind = 'r' AND am.amname <> 'heap'"
"            THEN quote_ident(am.amname) END,"
"       c.relrowsecurity, c.relforcerowsecurity, c.relreplident"
"  FROM pg_catalog.pg_class c"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
"  JOIN pg_catalog.pg_type t ON t.oid = c.reltype"
"  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid"
"  LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam"
" WHERE c.relkind IN ('r', 'p') AND c.reloftype = 0"
"   AND c.relnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_class", "c.oid");

/*
 * Their columns, in order, with what the parents say about inherited
 * ones, and the identity sequence of identity columns.
 */
static const char *const columns_sql =
"SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),"
"       CASE WHEN a.attcollation <> t.typcollation"
"            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname)"
"       END,"
"       a.attnotnull, a.attidentity, a.attgenerated,"
"       pg_get_expr(d.adbin, d.adrelid), d.oid,"
"       a.attislocal AND NOT c.relispartition,"
"       CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END,"
"       CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END,"
"       CASE WHEN a.attcompression <> '' THEN a.attcompression END,"
"       s.seqrelid, s.nspname, s.relname, s.seqtypid, s.seqstart,"
"       s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle,"
"       CASE WHEN a.attinhcount > 0 THEN"
"            EXISTS (SELECT FROM pg_catalog.pg_inherits i"
"                      JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent"
"                                                     AND pa.attname = a.attname"
"                     WHERE i.inhrelid = a.attrelid AND pa.attnotnull)"
"       END,"
"       CASE WHEN a.attinhcount > 0 THEN"
"            (SELECT pg_get_expr(pd.adbin, pd.adrelid)"
"               FROM pg_catalog.pg_inherits i"
"               JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent"
"                                              AND pa.attname = a.attname"
"               JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pa.attrelid"
"                                            AND pd.adnum = pa.attnum"
"              WHERE i.inhrelid = a.attrelid"
"              ORDER BY i.inhseqno LIMIT 1)"
"       END,"
"       " SCHEMA_OPTIONS_SQL("''", "a.attoptions") ","
"       nn.conname, nn.conislocal, nn.connoinherit, nn.convalidated,"
"       CASE WHEN nn.oid IS NOT NULL THEN pg_get_constraintdef(nn.oid) END,"
"       nn.oid"
"  FROM pg_catalog.pg_attribute a"
"  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
"  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
"  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
"  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
"  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid"
"                                   AND d.adnum = a.attnum"
"  LEFT JOIN pg_catalog.pg_constraint nn ON nn.conrelid = a.attrelid"
"                                       AND nn.contype = 'n'"
"                                       AND nn.conkey[1] = a.attnum"
"  LEFT JOIN LATERAL ("
"       SELECT q.*, qn.nspname, qc.relname"
"         FROM pg_catalog.pg_depend qd"
"         JOIN pg_catalog.pg_class qc ON qc.oid = qd.objid"
"         JOIN pg_catalog.pg_namespace qn ON qn.oid = qc.relnamespace"
"         JOIN pg_catalog.pg_sequence q ON q.seqrelid = qc.oid"
"        WHERE a.attidentity <> ''"
"          AND qd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"          AND qd.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"          AND qd.refobjid = a.attrelid AND qd.refobjsubid = a.attnum"
"          AND qd.deptype = 'i') s ON true"
" WHERE c.relkind IN ('r', 'p') AND c.reloftype = 0"
"   AND c.relnamespace = ANY ($1)"
"   AND a.attnum > 0 AND NOT a.attisdropped"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_class", "c.oid")
" ORDER BY a.attrelid, a.attnum";

/*
 * Their constraints.  Whether a CHECK constraint calls a user function
 * decides whether it can stay inside CREATE TABLE.
 */
static const char *const constraints_sql =
"SELECT k.oid, k.conrelid, k.conname, k.contype, pg_get_constraintdef(k.oid),"
"       k.convalidated, k.conislocal, k.conindid, k.conparentid,"
"       i.indisclustered, i.indisreplident, ic.relname,"
"       k.contype = 'c' AND EXISTS ("
"           SELECT FROM pg_catalog.pg_depend d"
"            WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass"
"              AND d.objid = k.oid"
"              AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
"              AND d.refobjid >= " CppAsString2(FirstNormalObjectId) ")"
"  FROM pg_catalog.pg_constraint k"
"  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid"
"  LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = k.conindid"
"                                 AND k.contype IN ('p', 'u', 'x')"
"  LEFT JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
" WHERE k.contype IN ('c', 'p', 'u', 'x', 'f')"
"   AND c.relkind IN ('r', 'p') AND c.reloftype = 0"
"   AND c.relnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_class", "c.oid")
" ORDER BY k.conrelid, k.conname COLLATE \"C\"";

/*
 * Indexes that are not part of a constraint, on tables and materialized
 * views.  Invalid indexes (a failed CREATE INDEX CONCURRENTLY) are left
 * out, except on partitioned tables, where an index is invalid until
 * every partition has its own.
 */
static const char *const indexes_sql =
"SELECT i.indexrelid, i.indrelid, n.nspname, c.relname, ic.relname,"
"       pg_get_indexdef(i.indexrelid), i.indisclustered, i.indisreplident"
"  FROM pg_catalog.pg_index i"
"  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
"  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" WHERE c.relkind IN ('r', 'p', 'm') AND c.reloftype = 0"
"   AND c.relnamespace = ANY ($1)"
"   AND (i.indisvalid OR c.relkind = 'p')"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_class", "c.oid")
"   AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k"
"                    WHERE k.conindid = i.indexrelid"
"                      AND k.conrelid = i.indrelid"
"                      AND k.contype IN ('p', 'u', 'x'))";

/*
 * Indexes of partitions attached to an index of their parent.
 */
static const char *const index_attachments_sql =
"SELECT i.inhrelid, i.inhparent, cn.nspname, c.relname, pn.nspname, p.relname"
"  FROM pg_catalog.pg_inherits i"
"  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
"  JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace"
"  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent"
"  JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
" WHERE c.relkind IN ('i', 'I') AND c.relnamespace = ANY ($1)";

/*
 * The table item of relation "relid", with its TableInfo, or -1.
 */
static int
table_of(SchemaDump *dump, Oid relid, TableInfo **info)
{
	int			item = migrate_schema_owner_of(dump, RelationRelationId, relid);

	*info = NULL;
	if (item < 0 || dump->items[item]->priority != SCHEMA_P_TABLE)
		return -1;
	*info = (TableInfo *) dump->items[item]->extra;
	return item;
}

/*
 * Add an element (column or constraint) inside CREATE TABLE ( ... ).
 */
static void
add_element(TableInfo *ti, const char *element)
{
	appendStringInfo(&ti->elements, "%s%s",
					 ti->nelements++ > 0 ? ",\n    " : "\n    ", element);
}

/*
 * An item per table, with what comes before and after its list of
 * columns: name, partition bound, parents, partition key, access method,
 * storage parameters, row level security and replica identity.
 */
static void
collect_table_rows(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, tables_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		int			item = migrate_schema_item(dump, SCHEMA_P_TABLE, nsp, name, NULL);
		TableInfo  *ti = palloc0(sizeof(TableInfo));
		StringInfo	ddl = &dump->items[item]->ddl;
		char	   *partkey = migrate_schema_text(row, 9);
		char	   *bound = migrate_schema_text(row, 10);
		char	   *parents = migrate_schema_text(row, 11);
		char	   *options = migrate_schema_text(row, 12);
		char	   *am = migrate_schema_text(row, 13);
		char		replident = migrate_schema_char(row, 16);

		ti->qualified = migrate_schema_qualified(nsp, name);
		ti->relkind = migrate_schema_char(row, 4);
		ti->ispartition = migrate_schema_bool(row, 8);
		initStringInfo(&ti->elements);
		initStringInfo(&ti->after);
		dump->items[item]->extra = ti;
		dump->items[item]->drop = psprintf("DROP TABLE %s;", ti->qualified);
		migrate_schema_own(dump, RelationRelationId, migrate_schema_oid(row, 1), item);
		migrate_schema_own(dump, TypeRelationId, migrate_schema_oid(row, 6), item);
		migrate_schema_own(dump, TypeRelationId, migrate_schema_oid(row, 7), item);
		dump->items[item]->holds_rows = (ti->relkind == RELKIND_RELATION);

		/*
		 * The CREATE TABLE is written once the columns and constraints are
		 * known: here its head goes to "ddl", its tail to "after".
		 */
		appendStringInfo(ddl, "CREATE %sTABLE %s",
						 migrate_schema_bool(row, 5) ? "UNLOGGED " : "", ti->qualified);
		if (ti->ispartition)
			appendStringInfo(ddl, " PARTITION OF %s", parents);
		if (ti->ispartition)
			appendStringInfo(&ti->after, "\n    %s", bound);
		else if (parents)
			appendStringInfo(&ti->after, "\nINHERITS (%s)", parents);
		if (partkey)
			appendStringInfo(&ti->after, "\nPARTITION BY %s", partkey);
		if (am)
			appendStringInfo(&ti->after, "\nUSING %s", am);
		if (options && options[0] != '\0')
			appendStringInfo(&ti->after, "\nWITH (%s)", options);
		appendStringInfoString(&ti->after, ";\n");

		if (migrate_schema_bool(row, 14))
			appendStringInfo(&ti->after,
							 "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n",
							 ti->qualified);
		if (migrate_schema_bool(row, 15))
			appendStringInfo(&ti->after,
							 "ALTER TABLE %s FORCE ROW LEVEL SECURITY;\n",
							 ti->qualified);
		if (replident == REPLICA_IDENTITY_FULL ||
			replident == REPLICA_IDENTITY_NOTHING)
			appendStringInfo(&ti->after,
							 "ALTER TABLE ONLY %s REPLICA IDENTITY %s;\n",
							 ti->qualified,
							 replident == REPLICA_IDENTITY_FULL ? "FULL" : "NOTHING");
	}
	migrate_schema_done();
}

/*
 * The identity clause of a column: GENERATED ... AS IDENTITY, with the
 * sequence's name where it is not the one PostgreSQL would choose, and
 * its options where they are not the defaults.
 */
static void
append_identity(StringInfo buf, uint64 row, const char *relname,
				const char *nsp, const char *attname)
{
	char		identity = migrate_schema_char(row, 6);
	char	   *seqnsp = migrate_schema_text(row, 15);
	char	   *seqname = migrate_schema_text(row, 16);
	char	   *defname = psprintf("%s_%s_seq", relname, attname);
	StringInfoData options;

	initStringInfo(&options);
	if (seqname &&
		(strcmp(seqnsp, nsp) != 0 || strcmp(seqname, defname) != 0))
		appendStringInfo(&options, " SEQUENCE NAME %s",
						 migrate_schema_qualified(seqnsp, seqname));
	if (seqname)
		migrate_schema_sequence_options(&options, migrate_schema_oid(row, 17),
								migrate_schema_int64(row, 18), migrate_schema_int64(row, 19),
								migrate_schema_int64(row, 20), migrate_schema_int64(row, 21),
								migrate_schema_int64(row, 22), migrate_schema_bool(row, 23));

	appendStringInfo(buf, " GENERATED %s AS IDENTITY",
					 identity == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT");
	if (options.len > 0)
		appendStringInfo(buf, " (%s)", options.data + 1);
}

/*
 * Statements after CREATE TABLE for a column: NOT NULL and default of an
 * inherited column where they differ from the parent's, storage,
 * statistics target, options (n_distinct...) and compression.
 */
static void
append_column_settings(TableInfo *ti, uint64 row, const char *column,
					   bool local)
{
	char	   *defexpr = migrate_schema_text(row, 8);
	char	   *storage = migrate_schema_text(row, 11);
	char	   *stattarget = migrate_schema_text(row, 12);
	char	   *compression = migrate_schema_text(row, 13);
	char	   *options = migrate_schema_text(row, 26);

	if (!local)
	{
		char	   *inhdefault = migrate_schema_text(row, 25);

		if (migrate_schema_text(row, 27) != NULL)
		{
			char	   *defname = psprintf("%s_%s_not_null",
										   strrchr(ti->qualified, '.') + 1, column);
			bool		plain = migrate_schema_bool(row, 30) &&
				!migrate_schema_bool(row, 29) &&
				strcmp(migrate_schema_text(row, 27), defname) == 0;

			/*
			 * 18: the column's NOT NULL constraint, if it is its own; as
			 * before 18 where it has the name PostgreSQL would choose
			 */
			if (migrate_schema_bool(row, 28) && !migrate_schema_bool(row, 24) && plain)
				appendStringInfo(&ti->after,
								 "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n",
								 ti->qualified, column);
			else if (migrate_schema_bool(row, 28) && !migrate_schema_bool(row, 24))
				appendStringInfo(&ti->after, "ALTER TABLE %s ADD CONSTRAINT %s %s;\n",
								 ti->qualified,
								 quote_identifier(migrate_schema_text(row, 27)),
								 migrate_schema_text(row, 31));
			else if (migrate_schema_bool(row, 28))
				appendStringInfo(&ti->after,
								 "ALTER TABLE ONLY %s ALTER COLUMN %s SET NOT NULL;\n",
								 ti->qualified, column);
		}
		else if (migrate_schema_bool(row, 5) && !migrate_schema_bool(row, 24))
			appendStringInfo(&ti->after,
							 "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n",
							 ti->qualified, column);
		if (migrate_schema_char(row, 7) == '\0' && defexpr &&
			(inhdefault == NULL || strcmp(defexpr, inhdefault) != 0))
			appendStringInfo(&ti->after,
							 "ALTER TABLE ONLY %s ALTER COLUMN %s SET DEFAULT %s;\n",
							 ti->qualified, column, defexpr);
		else if (migrate_schema_char(row, 7) == '\0' && !defexpr && inhdefault)
			appendStringInfo(&ti->after,
							 "ALTER TABLE ONLY %s ALTER COLUMN %s DROP DEFAULT;\n",
							 ti->qualified, column);
	}
	if (storage)
		appendStringInfo(&ti->after,
						 "ALTER TABLE ONLY %s ALTER COLUMN %s SET STORAGE %s;\n",
						 ti->qualified, column,
						 storage[0] == TYPSTORAGE_PLAIN ? "PLAIN" :
						 storage[0] == TYPSTORAGE_EXTERNAL ? "EXTERNAL" :
						 storage[0] == TYPSTORAGE_MAIN ? "MAIN" : "EXTENDED");
	if (stattarget)
		appendStringInfo(&ti->after,
						 "ALTER TABLE ONLY %s ALTER COLUMN %s SET STATISTICS %s;\n",
						 ti->qualified, column, stattarget);
	if (options)
		appendStringInfo(&ti->after,
						 "ALTER TABLE ONLY %s ALTER COLUMN %s SET (%s);\n",
						 ti->qualified, column, options);
	if (compression && !local)
		appendStringInfo(&ti->after,
						 "ALTER TABLE ONLY %s ALTER COLUMN %s SET COMPRESSION %s;\n",
						 ti->qualified, column,
						 compression[0] == 'l' ? "lz4" : "pglz");
}

/*
 * The columns a table defines itself go into its CREATE TABLE; settings of
 * every column go after it.
 */
static void
collect_columns(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, columns_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		TableInfo  *ti;
		int			item = table_of(dump, migrate_schema_oid(row, 1), &ti);
		SchemaItem *it;
		char	   *attname = migrate_schema_text(row, 2);
		char	   *column = pstrdup(quote_identifier(attname));
		char	   *collation = migrate_schema_text(row, 4);
		char		generated = migrate_schema_char(row, 7);
		char	   *defexpr = migrate_schema_text(row, 8);
		char	   *compression = migrate_schema_text(row, 13);
		bool		local = migrate_schema_bool(row, 10);
		char	   *nnname = migrate_schema_text(row, 27);
		StringInfoData def;

		if (item < 0)
			continue;
		it = dump->items[item];
		migrate_schema_own(dump, AttrDefaultRelationId, migrate_schema_oid(row, 9), item);
		migrate_schema_own(dump, RelationRelationId, migrate_schema_oid(row, 14), item);
		migrate_schema_own(dump, ConstraintRelationId, migrate_schema_oid(row, 32), item);
		append_column_settings(ti, row, column, local);
		if (!local)
			continue;

		initStringInfo(&def);
		appendStringInfo(&def, "%s %s", column, migrate_schema_text(row, 3));
		if (compression)
			appendStringInfo(&def, " COMPRESSION %s",
							 compression[0] == 'l' ? "lz4" : "pglz");
		if (collation)
			appendStringInfo(&def, " COLLATE %s", collation);
		if (generated != '\0')
			appendStringInfo(&def, " GENERATED ALWAYS AS (%s) %s", defexpr,
							 generated == MIGRATE_ATTRIBUTE_GENERATED_VIRTUAL ?
							 "VIRTUAL" : "STORED");
		else if (migrate_schema_char(row, 6) != '\0')
			append_identity(&def, row, it->sortname, it->sortnsp, attname);
		else if (defexpr)
			appendStringInfo(&def, " DEFAULT %s", defexpr);
		if (nnname != NULL)
		{
			/*
			 * 18 catalogs NOT NULL as a constraint with a name, NO INHERIT
			 * and NOT VALID: a valid one of the table's own is written in
			 * the column (named where the name is not the one PostgreSQL
			 * would choose), a NOT VALID one is added after CREATE TABLE,
			 * an inherited one comes with the parent.
			 */
			if (migrate_schema_bool(row, 28) && migrate_schema_bool(row, 30))
			{
				char	   *defname = psprintf("%s_%s_not_null", it->sortname, attname);

				if (strcmp(nnname, defname) != 0)
					appendStringInfo(&def, " CONSTRAINT %s", quote_identifier(nnname));
				appendStringInfoString(&def, " NOT NULL");
				if (migrate_schema_bool(row, 29))
					appendStringInfoString(&def, " NO INHERIT");
			}
			else if (migrate_schema_bool(row, 28))
				appendStringInfo(&ti->after, "ALTER TABLE %s ADD CONSTRAINT %s %s;\n",
								 ti->qualified, quote_identifier(nnname),
								 migrate_schema_text(row, 31));
		}
		else if (migrate_schema_bool(row, 5))
			appendStringInfoString(&def, " NOT NULL");
		add_element(ti, def.data);
	}
	migrate_schema_done();
}

/*
 * A constraint added after the tables: a key, an exclusion constraint, a
 * foreign key, or a CHECK constraint that cannot be inside CREATE TABLE.
 */
static void
constraint_item(SchemaDump *dump, int table, uint64 row)
{
	SchemaItem *tit = dump->items[table];
	TableInfo  *ti = (TableInfo *) tit->extra;
	char		contype = migrate_schema_char(row, 4);
	char	   *conname = migrate_schema_text(row, 3);
	const char *quoted = quote_identifier(conname);
	char	   *index = migrate_schema_text(row, 12);
	SchemaPriority priority = contype == CONSTRAINT_FOREIGN ?
		SCHEMA_P_FOREIGN_KEY : SCHEMA_P_CONSTRAINT;
	int			item = migrate_schema_item(dump, priority, tit->sortnsp, tit->sortname,
								   conname);
	StringInfo	ddl = &dump->items[item]->ddl;
	const char *only;

	/*
	 * ONLY keeps keys on the parent alone (the partitions' keys are items
	 * of their own); CHECK constraints go to the children as well, and
	 * ONLY is not allowed for foreign keys of partitioned tables.
	 */
	if (contype == CONSTRAINT_CHECK ||
		(contype == CONSTRAINT_FOREIGN && ti->relkind == RELKIND_PARTITIONED_TABLE))
		only = "";
	else
		only = "ONLY ";

	migrate_schema_own(dump, ConstraintRelationId, migrate_schema_oid(row, 1), item);
	/* a key's index is its own; a foreign key's is the referenced key's */
	if (contype != CONSTRAINT_FOREIGN)
		migrate_schema_own(dump, RelationRelationId, migrate_schema_oid(row, 8), item);
	migrate_schema_depend(dump, item, table);
	appendStringInfo(ddl, "ALTER TABLE %s%s ADD CONSTRAINT %s %s;\n", only,
					 ti->qualified, quoted, migrate_schema_text(row, 5));
	if (contype == CONSTRAINT_FOREIGN)
		dump->items[item]->drop = psprintf("ALTER TABLE %s%s DROP CONSTRAINT %s;",
										   only, ti->qualified, quoted);
	if (migrate_schema_bool(row, 10))
		appendStringInfo(ddl, "ALTER TABLE %s CLUSTER ON %s;\n", ti->qualified,
						 quote_identifier(index));
	if (migrate_schema_bool(row, 11))
		appendStringInfo(ddl, "ALTER TABLE ONLY %s REPLICA IDENTITY USING INDEX %s;\n",
						 ti->qualified, quote_identifier(index));
}

/*
 * Validated CHECK constraints that call no user function go into CREATE
 * TABLE; inherited ones and foreign keys cloned to partitions are left to
 * PostgreSQL; every other constraint is an item of its own.
 */
static void
collect_constraints(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, constraints_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		TableInfo  *ti;
		int			table = table_of(dump, migrate_schema_oid(row, 2), &ti);
		char		contype = migrate_schema_char(row, 4);

		if (table < 0)
			continue;
		if (contype == CONSTRAINT_CHECK && !migrate_schema_bool(row, 7))
		{
			/* inherited from a parent: comes with it */
			migrate_schema_own(dump, ConstraintRelationId, migrate_schema_oid(row, 1), table);
		}
		else if (contype == CONSTRAINT_CHECK && migrate_schema_bool(row, 6) &&
				 !migrate_schema_bool(row, 13))
		{
			migrate_schema_own(dump, ConstraintRelationId, migrate_schema_oid(row, 1), table);
			add_element(ti, psprintf("CONSTRAINT %s %s",
									 quote_identifier(migrate_schema_text(row, 3)),
									 migrate_schema_text(row, 5)));
		}
		else if (contype == CONSTRAINT_FOREIGN && OidIsValid(migrate_schema_oid(row, 9)))
		{
			/* cloned from the partitioned table's foreign key */
		}
		else
			constraint_item(dump, table, row);
	}
	migrate_schema_done();
}

/*
 * Write each table's CREATE TABLE now that its columns and constraints
 * are known.
 */
static void
finish_tables(SchemaDump *dump)
{
	int			i;

	for (i = 0; i < dump->nitems; i++)
	{
		SchemaItem *it = dump->items[i];
		TableInfo  *ti = (TableInfo *) it->extra;

		if (it->priority != SCHEMA_P_TABLE)
			continue;
		/* a partition has no column list, only its own constraints */
		if (!ti->ispartition || ti->nelements > 0)
			appendStringInfo(&it->ddl, " (%s\n)", ti->elements.data);
		appendBinaryStringInfo(&it->ddl, ti->after.data, ti->after.len);
		it->extra = NULL;
	}
}

/*
 * Tables: CREATE TABLE with columns and CHECK constraints, and items for
 * their other constraints.
 */
void
migrate_schema_collect_tables(SchemaDump *dump)
{
	collect_table_rows(dump);
	collect_columns(dump);
	collect_constraints(dump);
	finish_tables(dump);
}

/*
 * Indexes, and the attachment of partitions' indexes (and keys) to their
 * parent's.  Runs after tables, constraints and materialized views.
 */
void
migrate_schema_collect_indexes(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, indexes_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 3);
		char	   *table = migrate_schema_qualified(nsp, migrate_schema_text(row, 4));
		char	   *index = migrate_schema_text(row, 5);
		int			item = migrate_schema_item(dump, SCHEMA_P_INDEX, nsp,
									   migrate_schema_text(row, 4), index);
		StringInfo	ddl = &dump->items[item]->ddl;

		migrate_schema_own(dump, RelationRelationId, migrate_schema_oid(row, 1), item);
		migrate_schema_depend(dump, item,
					  migrate_schema_owner_of(dump, RelationRelationId, migrate_schema_oid(row, 2)));
		appendStringInfo(ddl, "%s;\n", migrate_schema_text(row, 6));
		if (migrate_schema_bool(row, 7))
			appendStringInfo(ddl, "ALTER TABLE %s CLUSTER ON %s;\n", table,
							 quote_identifier(index));
		if (migrate_schema_bool(row, 8))
			appendStringInfo(ddl, "ALTER TABLE ONLY %s REPLICA IDENTITY USING INDEX %s;\n",
							 table, quote_identifier(index));
	}
	migrate_schema_done();

	n = migrate_schema_query(dump, index_attachments_sql);
	for (row = 0; row < n; row++)
	{
		int			child = migrate_schema_owner_of(dump, RelationRelationId,
											migrate_schema_oid(row, 1));
		int			parent = migrate_schema_owner_of(dump, RelationRelationId,
											 migrate_schema_oid(row, 2));
		char	   *nsp = migrate_schema_text(row, 3);
		int			item;

		if (child < 0 || parent < 0)
			continue;
		item = migrate_schema_item(dump, SCHEMA_P_INDEX_ATTACH, nsp,
						   migrate_schema_text(row, 4), NULL);
		appendStringInfo(&dump->items[item]->ddl,
						 "ALTER INDEX %s ATTACH PARTITION %s;\n",
						 migrate_schema_qualified(migrate_schema_text(row, 5), migrate_schema_text(row, 6)),
						 migrate_schema_qualified(nsp, migrate_schema_text(row, 4)));
		migrate_schema_depend(dump, item, child);
		migrate_schema_depend(dump, item, parent);
	}
	migrate_schema_done();
}
