/*-------------------------------------------------------------------------
 *
 * schema.h
 *	  Declarations shared by the files that build schema(): the DDL of a
 *	  database, generated from the catalogs.
 *
 * dump.c collects "items": each item is the DDL of one object (a table
 * with its columns, a function, an index, a foreign key...), with a sort
 * key (its kind's priority, its schema and name) and the items it depends
 * on.  The kinds' files (tables.c, types.c,
 * objects.c) fill items with one set-based catalog query per kind
 * of object, never one query per object.  dump.c then adds the
 * dependencies recorded in pg_depend, and orders the items topologically,
 * taking the item with the lowest sort key among those whose dependencies
 * are done: the order is deterministic and depends only on names and
 * dependencies, never on OIDs.
 *
 * While the items are built, search_path is "pg_catalog, pg_temp", so
 * that pg_get_*def() and format_type() qualify every user object and the
 * catalog queries can use plain operators and functions; date, interval
 * and float output settings are pinned too, so that constants in
 * expressions print the same in every session.
 *
 * IDENTIFICATION
 *	  src/schema/schema.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_SCHEMA_H
#define MIGRATE_SCHEMA_H

#include "engine/engine.h"

#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/hsearch.h"

/*
 * The place of each kind of object in the default order: lowest first.
 * Dependencies can only move an item later than this order puts it.
 */
typedef enum SchemaPriority
{
	SCHEMA_P_SCHEMA,
	SCHEMA_P_EXTENSION,
	SCHEMA_P_TYPE,
	SCHEMA_P_FUNCTION,
	SCHEMA_P_AGGREGATE,
	SCHEMA_P_SEQUENCE,
	SCHEMA_P_TABLE,
	SCHEMA_P_VIEW,
	SCHEMA_P_SEQUENCE_OWNER,
	SCHEMA_P_CONSTRAINT,
	SCHEMA_P_INDEX,
	SCHEMA_P_INDEX_ATTACH,
	SCHEMA_P_FOREIGN_KEY,
	SCHEMA_P_TRIGGER,
	SCHEMA_P_RULE,
	SCHEMA_P_POLICY,
	SCHEMA_P_STATISTICS
} SchemaPriority;

/*
 * One object's DDL.
 */
typedef struct SchemaItem
{
	SchemaPriority priority;
	const char *sortnsp;		/* sort key: schema name */
	const char *sortname;		/* then object (or table) name */
	const char *sorttag;		/* then arguments, constraint name... */
	StringInfoData ddl;			/* its statements, each ending ";\n" */
	char	   *drop;			/* statement that drops it, or NULL */
	bool		holds_rows;		/* a table with storage of its own */
	void	   *extra;			/* the kind's own state while building */
	int			rank;			/* place in the default order */
} SchemaItem;

/*
 * The items of one schema() call and what the kinds' files need.
 */
typedef struct SchemaDump
{
	Datum		nspoids;		/* oid[] of the schemas dumped */
	bool		all;			/* no filter: every user schema */
	SchemaItem **items;
	int			nitems;
	int			maxitems;
	HTAB	   *objects;		/* (classid, objid) -> item number */
	int		   *depfrom;		/* item depfrom[i] depends on depto[i] */
	int		   *depto;
	int			ndeps;
	int			maxdeps;
	bool		sql_bodies;		/* LANGUAGE sql functions with string
								 * bodies: load with check_function_bodies
								 * off */
} SchemaDump;

/*
 * What schema() produced: the DDL and, for baseline(), the statements
 * that drop it again, newest first, the schemas dumped and whether there
 * are tables that can hold rows.
 */
typedef struct SchemaResult
{
	char	   *ddl;
	char	   *drops;
	int			nitems;
	int			nschemas;
	char	  **schemas;
	bool		has_tables;
} SchemaResult;

/* in dump.c */
extern void migrate_schema_build(ArrayType *schemas, SchemaResult *result);

/* in items.c */
extern void migrate_schema_init(SchemaDump *dump);
extern int	migrate_schema_item(SchemaDump *dump, SchemaPriority priority,
						const char *nsp, const char *name, const char *tag);
extern void migrate_schema_own(SchemaDump *dump, Oid classid, Oid objid, int item);
extern int	migrate_schema_owner_of(SchemaDump *dump, Oid classid, Oid objid);
extern void migrate_schema_depend(SchemaDump *dump, int item, int on);
extern uint64 migrate_schema_query(SchemaDump *dump, const char *sql);
extern char *migrate_schema_text(uint64 row, int col);
extern Oid	migrate_schema_oid(uint64 row, int col);
extern bool migrate_schema_bool(uint64 row, int col);
extern int64 migrate_schema_int64(uint64 row, int col);
extern char migrate_schema_char(uint64 row, int col);
extern void migrate_schema_done(void);
extern char *migrate_schema_qualified(const char *nsp, const char *name);

/* in types.c */
extern void migrate_schema_collect_types(SchemaDump *dump);
extern void migrate_schema_sequence_options(StringInfo buf, Oid typid, int64 start,
									int64 increment, int64 max, int64 min,
									int64 cache, bool cycle);
extern void migrate_schema_collect_sequences(SchemaDump *dump);

/* in tables.c */
extern void migrate_schema_collect_tables(SchemaDump *dump);
extern void migrate_schema_collect_indexes(SchemaDump *dump);

/* in objects.c */
extern void migrate_schema_collect_extensions(SchemaDump *dump);
extern void migrate_schema_collect_functions(SchemaDump *dump);
extern void migrate_schema_collect_views(SchemaDump *dump);
extern void migrate_schema_collect_triggers_and_rules(SchemaDump *dump);
extern void migrate_schema_collect_policies(SchemaDump *dump);
extern void migrate_schema_collect_statistics(SchemaDump *dump);
extern void migrate_schema_collect_comments(SchemaDump *dump);
extern void migrate_schema_warn_unsupported(SchemaDump *dump);

/*
 * SQL condition: the object "oidexpr" of catalog "catalog" is not a
 * member of an extension (those appear as CREATE EXTENSION only).
 */
#define SCHEMA_NOT_IN_EXTENSION(catalog, oidexpr) \
	"NOT EXISTS (SELECT FROM pg_catalog.pg_depend ext_dep" \
	" WHERE ext_dep.classid = 'pg_catalog." catalog "'::pg_catalog.regclass" \
	" AND ext_dep.objid = " oidexpr " AND ext_dep.deptype = 'e')"

/*
 * SQL condition: the object is not created by another one, as the
 * constructors and casts of a range type are.
 */
#define SCHEMA_NOT_INTERNAL(catalog, oidexpr) \
	"NOT EXISTS (SELECT FROM pg_catalog.pg_depend int_dep" \
	" WHERE int_dep.classid = 'pg_catalog." catalog "'::pg_catalog.regclass" \
	" AND int_dep.objid = " oidexpr " AND int_dep.deptype = 'i')"

/*
 * SQL expression: the storage parameters "expr" (a text[] such as
 * reloptions) as "name='value', ..." in their stored order, each name
 * preceded by "prefix" (a SQL string: '' or 'toast.'), or NULL.  Options
 * named pg_... are the server's own bookkeeping (some builds keep one on
 * every column), not settings of the user: pg_dump leaves them out too.
 */
#define SCHEMA_OPTIONS_SQL(prefix, expr) \
	"(SELECT string_agg(" prefix " || quote_ident(o.option_name) || '='" \
	" || quote_literal(o.option_value), ', ' ORDER BY o.n)" \
	" FROM pg_catalog.pg_options_to_table(" expr ")" \
	" WITH ORDINALITY o(option_name, option_value, n)" \
	" WHERE o.option_name !~ '^pg_')"

#endif							/* MIGRATE_SCHEMA_H */
