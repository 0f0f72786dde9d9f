/*-------------------------------------------------------------------------
 *
 * objects.c
 *	  schema(): extensions, functions, procedures and aggregates, views
 *	  and materialized views, triggers, rules, extended statistics, row
 *	  level security policies and comments.
 *
 * Most of these have a deparser in PostgreSQL (pg_get_functiondef,
 * pg_get_viewdef, pg_get_triggerdef, pg_get_ruledef,
 * pg_get_statisticsobjdef); aggregates and policies have none and are
 * built from pg_aggregate and pg_policy.  Comments are attached to the
 * item of the object they describe, right after its DDL.
 *
 * Extensions are written as CREATE EXTENSION IF NOT EXISTS, without
 * version, like pg_dump does, and never their member objects.
 *
 * IDENTIFICATION
 *	  src/schema/objects.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "utils/builtins.h"

#include "schema/schema.h"

/* How many objects the warning about objects left out names. */
#define SCHEMA_UNSUPPORTED_REPORT	10

/*
 * Extensions, but migrate itself and those built into the server
 * (plpgsql).  With a list of schemas, those installed in one of them.
 */
static const char *const extensions_sql =
"SELECT e.oid, e.extname, n.nspname"
"  FROM pg_catalog.pg_extension e"
"  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
" WHERE e.oid >= " CppAsString2(FirstNormalObjectId) " AND e.extname <> '" MIGRATE_SCHEMA "'"
"   AND ($2 OR e.extnamespace = ANY ($1))";

/*
 * Functions, procedures and window functions, but those created with
 * another object (the constructors of a range type).  LANGUAGE sql
 * functions with a string body are checked against the catalog when
 * created.
 */
static const char *const functions_sql =
"SELECT p.oid, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),"
"       p.prokind, pg_get_functiondef(p.oid),"
"       l.lanname = 'sql' AND p.prosqlbody IS NULL"
"  FROM pg_catalog.pg_proc p"
"  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
"  JOIN pg_catalog.pg_language l ON l.oid = p.prolang"
" WHERE p.prokind IN ('f', 'p', 'w') AND p.pronamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_proc", "p.oid")
"   AND " SCHEMA_NOT_INTERNAL("pg_proc", "p.oid");

/*
 * Aggregates, with every option of CREATE AGGREGATE.  regproc columns
 * print "-" for none, and qualified names where needed.
 */
static const char *const aggregates_sql =
"SELECT p.oid, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),"
"       pg_get_function_arguments(p.oid), a.aggkind,"
"       a.aggtransfn, format_type(a.aggtranstype, NULL), a.aggtransspace,"
"       a.aggfinalfn, a.aggfinalextra, a.aggfinalmodify,"
"       a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.agginitval,"
"       a.aggmtransfn, a.aggminvtransfn,"
"       CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END,"
"       a.aggmtransspace, a.aggmfinalfn, a.aggmfinalextra, a.aggmfinalmodify,"
"       a.aggminitval,"
"       CASE WHEN a.aggsortop <> 0"
"            THEN 'OPERATOR(' || quote_ident(opn.nspname) || '.' || op.oprname || ')'"
"       END,"
"       p.proparallel"
"  FROM pg_catalog.pg_proc p"
"  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
"  JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid"
"  LEFT JOIN pg_catalog.pg_operator op ON op.oid = a.aggsortop"
"  LEFT JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace"
" WHERE p.prokind = 'a' AND p.pronamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_proc", "p.oid");

/*
 * Views and materialized views, with the rule that holds their query.
 */
static const char *const views_sql =
"SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltype, t.typarray,"
"       (SELECT r.oid FROM pg_catalog.pg_rewrite r"
"         WHERE r.ev_class = c.oid AND r.rulename = '_RETURN'),"
"       pg_get_viewdef(c.oid),"
"       " SCHEMA_OPTIONS_SQL("''", "c.reloptions") ","
"       CASE WHEN c.relkind = 'm' AND am.amname <> 'heap'"
"            THEN quote_ident(am.amname) END"
"  FROM pg_catalog.pg_class c"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
"  JOIN pg_catalog.pg_type t ON t.oid = c.reltype"
"  LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam"
" WHERE c.relkind IN ('v', 'm') AND c.relnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_class", "c.oid");

/*
 * Column defaults of views (for INSERT through the view).
 */
static const char *const view_defaults_sql =
"SELECT d.oid, d.adrelid, a.attname, pg_get_expr(d.adbin, d.adrelid)"
"  FROM pg_catalog.pg_attrdef d"
"  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid"
"                                AND a.attnum = d.adnum"
"  JOIN pg_catalog.pg_class c ON c.oid = d.adrelid"
" WHERE c.relkind = 'v' AND c.relnamespace = ANY ($1)"
" ORDER BY d.adrelid, d.adnum";

/*
 * User triggers, but those a partition has because its partitioned table
 * has them.
 */
static const char *const triggers_sql =
"SELECT t.oid, t.tgrelid, n.nspname, c.relname, t.tgname,"
"       pg_get_triggerdef(t.oid), t.tgenabled"
"  FROM pg_catalog.pg_trigger t"
"  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" WHERE NOT t.tgisinternal AND t.tgparentid = 0"
"   AND c.relnamespace = ANY ($1)";

/*
 * Row level security policies; roles are listed by name, PUBLIC as NULL.
 */
static const char *const policies_sql =
"SELECT p.oid, p.polrelid, n.nspname, c.relname, p.polname, p.polcmd,"
"       p.polpermissive,"
"       CASE WHEN p.polroles <> '{0}' THEN"
"            (SELECT string_agg(quote_ident(r.rolname), ', '"
"                               ORDER BY r.rolname COLLATE \"C\")"
"               FROM pg_catalog.pg_roles r WHERE r.oid = ANY (p.polroles))"
"       END,"
"       pg_get_expr(p.polqual, p.polrelid),"
"       pg_get_expr(p.polwithcheck, p.polrelid)"
"  FROM pg_catalog.pg_policy p"
"  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" WHERE c.relnamespace = ANY ($1)";

/*
 * Rules, but the ones that make views.
 */
static const char *const rules_sql =
"SELECT r.oid, r.ev_class, n.nspname, c.relname, r.rulename,"
"       pg_get_ruledef(r.oid), r.ev_enabled"
"  FROM pg_catalog.pg_rewrite r"
"  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" WHERE r.rulename <> '_RETURN' AND c.relnamespace = ANY ($1)";

/*
 * Extended statistics objects.
 */
static const char *const statistics_sql =
"SELECT s.oid, s.stxrelid, n.nspname, s.stxname,"
"       pg_get_statisticsobjdef(s.oid),"
"       CASE WHEN s.stxstattarget >= 0 THEN s.stxstattarget END"
"  FROM pg_catalog.pg_statistic_ext s"
"  JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace"
" WHERE s.stxnamespace = ANY ($1)"
"   AND " SCHEMA_NOT_IN_EXTENSION("pg_statistic_ext", "s.oid");

/*
 * Comments on user objects, as the object part of COMMENT ON.  Those of
 * objects that are not dumped are dropped by the caller.  On one item,
 * the object's own comment comes first, then its columns', then its
 * constraints'.
 */
static const char *const comments_sql =
"SELECT c.classoid, c.objoid, c.target, c.description FROM ("
"SELECT d.classoid, d.objoid, d.objsubid, d.description,"
"       CASE"
"       WHEN o.type = 'domain constraint'"
"            THEN 'CONSTRAINT ' || quote_ident(k.conname) || ' ON DOMAIN '"
"                 || format_type(k.contypid, NULL)"
"       WHEN o.type IN ('table constraint', 'trigger', 'policy', 'rule')"
"            THEN CASE WHEN o.type = 'table constraint' THEN 'CONSTRAINT'"
"                      ELSE upper(o.type) END"
"                 || ' ' || quote_ident(a.object_names[3]) || ' ON '"
"                 || quote_ident(a.object_names[1]) || '.'"
"                 || quote_ident(a.object_names[2])"
"       WHEN o.type IN ('function', 'procedure', 'aggregate')"
"            THEN upper(o.type) || ' ' || quote_ident(a.object_names[1])"
"                 || '.' || quote_ident(a.object_names[2]) || '('"
"                 || coalesce(nullif(pg_get_function_identity_arguments(d.objoid), ''),"
"                             CASE WHEN o.type = 'aggregate' THEN '*' ELSE '' END)"
"                 || ')'"
"       WHEN o.type LIKE '% column' THEN 'COLUMN ' || o.identity"
"       WHEN o.type = 'composite type' THEN 'TYPE ' || o.identity"
"       WHEN o.type = 'type' AND t.typtype = 'd' THEN 'DOMAIN ' || o.identity"
"       WHEN o.type = 'statistics object' THEN 'STATISTICS ' || o.identity"
"       ELSE upper(o.type) || ' ' || o.identity"
"       END AS target,"
"       CASE WHEN o.type LIKE '% column' THEN 1"
"            WHEN d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass"
"            THEN 2 ELSE 0 END AS section"
"  FROM pg_catalog.pg_description d"
" CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid,"
"                                                  d.objsubid) o"
" CROSS JOIN LATERAL pg_catalog.pg_identify_object_as_address(d.classoid,"
"                                                  d.objoid, d.objsubid) a"
"  LEFT JOIN pg_catalog.pg_constraint k"
"         ON d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass"
"        AND k.oid = d.objoid"
"  LEFT JOIN pg_catalog.pg_type t"
"         ON d.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass"
"        AND t.oid = d.objoid"
" WHERE d.objoid >= " CppAsString2(FirstNormalObjectId)
"   AND d.classoid <> 'pg_catalog.pg_extension'::pg_catalog.regclass"
") c ORDER BY c.section, c.objsubid, c.target COLLATE \"C\"";

/*
 * User objects of kinds schema() does not write, in the schemas dumped
 * (and, without a list of schemas, of the kinds that live in no schema).
 */
static const char *const unsupported_sql =
"SELECT o.type || ' ' || o.identity AS object"
"  FROM (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid"
"          FROM pg_catalog.pg_class c"
"         WHERE (c.relkind = 'f' OR (c.relkind IN ('r', 'p') AND c.reloftype <> 0))"
"           AND c.relnamespace = ANY ($1)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_class", "c.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid"
"          FROM pg_catalog.pg_type t"
"         WHERE t.typtype IN ('b', 'p') AND t.typnamespace = ANY ($1)"
"           AND NOT EXISTS (SELECT FROM pg_catalog.pg_type e"
"                            WHERE e.typarray = t.oid)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_type", "t.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_operator p WHERE p.oprnamespace = ANY ($1)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_operator", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_opfamily p WHERE p.opfnamespace = ANY ($1)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_opfamily", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_collation p WHERE p.collnamespace = ANY ($1)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_collation", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_conversion p WHERE p.connamespace = ANY ($1)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_conversion", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_ts_config p WHERE p.cfgnamespace = ANY ($1)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_ts_config", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_ts_dict p WHERE p.dictnamespace = ANY ($1)"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_ts_dict", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_event_trigger'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_event_trigger p WHERE $2"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_event_trigger", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_foreign_server'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_foreign_server p WHERE $2"
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_foreign_server", "p.oid")
"        UNION ALL"
"        SELECT 'pg_catalog.pg_publication'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_publication p WHERE $2"
"        UNION ALL"
"        SELECT 'pg_catalog.pg_cast'::pg_catalog.regclass, p.oid"
"          FROM pg_catalog.pg_cast p WHERE $2 AND p.oid >= " CppAsString2(FirstNormalObjectId)
"           AND " SCHEMA_NOT_IN_EXTENSION("pg_cast", "p.oid")
"           AND " SCHEMA_NOT_INTERNAL("pg_cast", "p.oid")
"       ) u(classid, objid),"
"       pg_catalog.pg_identify_object(u.classid, u.objid, 0) o"
" ORDER BY o.type || ' ' || o.identity COLLATE \"C\"";

/*
 * The item of the table (or view) "relid", or -1 when it is not dumped:
 * then neither are its triggers, rules, policies or statistics.
 */
static int
relation_item(SchemaDump *dump, Oid relid)
{
	return migrate_schema_owner_of(dump, RelationRelationId, relid);
}

/*
 * CREATE EXTENSION IF NOT EXISTS, in the schema the extension is in.
 */
void
migrate_schema_collect_extensions(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, extensions_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *name = migrate_schema_text(row, 2);
		int			item = migrate_schema_item(dump, SCHEMA_P_EXTENSION, "", name, NULL);

		migrate_schema_own(dump, ExtensionRelationId, migrate_schema_oid(row, 1), item);
		appendStringInfo(&dump->items[item]->ddl,
						 "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s;\n",
						 quote_identifier(name),
						 quote_identifier(migrate_schema_text(row, 3)));
	}
	migrate_schema_done();
}

/*
 * Append option "name = value" of CREATE AGGREGATE, if "value" is set
 * (regproc and format_type() print "-" for none).
 */
static void
aggregate_option(StringInfo buf, const char *name, const char *value)
{
	if (value == NULL || strcmp(value, "-") == 0)
		return;
	appendStringInfo(buf, ",\n    %s = %s", name, value);
}

/*
 * FINALFUNC_MODIFY's keyword, or NULL when it is the default.
 */
static const char *
aggregate_modify(char modify, char aggkind)
{
	if (modify == (aggkind == 'n' ? 'r' : 'w'))
		return NULL;
	return modify == 'r' ? "READ_ONLY" : modify == 's' ? "SHAREABLE" :
		"READ_WRITE";
}

/*
 * CREATE AGGREGATE with every option that is not the default.
 */
static void
collect_aggregates(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, aggregates_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		char	   *identity = migrate_schema_text(row, 4);
		char	   *arguments = migrate_schema_text(row, 5);
		char		aggkind = migrate_schema_char(row, 6);
		char	   *initcond = migrate_schema_text(row, 16);
		char	   *minitcond = migrate_schema_text(row, 24);
		char		parallel = migrate_schema_char(row, 26);
		int			item = migrate_schema_item(dump, SCHEMA_P_AGGREGATE, nsp, name,
									   identity);
		StringInfo	ddl = &dump->items[item]->ddl;
		char	   *qualified = migrate_schema_qualified(nsp, name);

		migrate_schema_own(dump, ProcedureRelationId, migrate_schema_oid(row, 1), item);
		dump->items[item]->drop = psprintf("DROP AGGREGATE %s(%s);", qualified,
										   identity[0] ? identity : "*");
		appendStringInfo(ddl, "CREATE AGGREGATE %s(%s) (\n    SFUNC = %s,\n    STYPE = %s",
						 qualified, arguments[0] ? arguments : "*",
						 migrate_schema_text(row, 7), migrate_schema_text(row, 8));
		if (strcmp(migrate_schema_text(row, 9), "0") != 0)
			aggregate_option(ddl, "SSPACE", migrate_schema_text(row, 9));
		aggregate_option(ddl, "FINALFUNC", migrate_schema_text(row, 10));
		if (migrate_schema_bool(row, 11))
			appendStringInfoString(ddl, ",\n    FINALFUNC_EXTRA");
		aggregate_option(ddl, "FINALFUNC_MODIFY",
						 aggregate_modify(migrate_schema_char(row, 12), aggkind));
		aggregate_option(ddl, "COMBINEFUNC", migrate_schema_text(row, 13));
		aggregate_option(ddl, "SERIALFUNC", migrate_schema_text(row, 14));
		aggregate_option(ddl, "DESERIALFUNC", migrate_schema_text(row, 15));
		if (initcond)
			aggregate_option(ddl, "INITCOND", quote_literal_cstr(initcond));
		aggregate_option(ddl, "MSFUNC", migrate_schema_text(row, 17));
		aggregate_option(ddl, "MINVFUNC", migrate_schema_text(row, 18));
		aggregate_option(ddl, "MSTYPE", migrate_schema_text(row, 19));
		if (strcmp(migrate_schema_text(row, 20), "0") != 0)
			aggregate_option(ddl, "MSSPACE", migrate_schema_text(row, 20));
		aggregate_option(ddl, "MFINALFUNC", migrate_schema_text(row, 21));
		if (migrate_schema_bool(row, 22))
			appendStringInfoString(ddl, ",\n    MFINALFUNC_EXTRA");
		if (strcmp(migrate_schema_text(row, 17), "-") != 0)
			aggregate_option(ddl, "MFINALFUNC_MODIFY",
							 aggregate_modify(migrate_schema_char(row, 23), aggkind));
		if (minitcond)
			aggregate_option(ddl, "MINITCOND", quote_literal_cstr(minitcond));
		aggregate_option(ddl, "SORTOP", migrate_schema_text(row, 25));
		if (parallel == PROPARALLEL_SAFE)
			aggregate_option(ddl, "PARALLEL", "SAFE");
		else if (parallel == PROPARALLEL_RESTRICTED)
			aggregate_option(ddl, "PARALLEL", "RESTRICTED");
		if (aggkind == 'h')
			appendStringInfoString(ddl, ",\n    HYPOTHETICAL");
		appendStringInfoString(ddl, "\n);\n");
	}
	migrate_schema_done();
}

/*
 * Functions, procedures and aggregates.
 */
void
migrate_schema_collect_functions(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, functions_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		char	   *identity = migrate_schema_text(row, 4);
		char	   *def = migrate_schema_text(row, 6);
		int			len = strlen(def);
		int			item = migrate_schema_item(dump, SCHEMA_P_FUNCTION, nsp, name,
									   identity);

		migrate_schema_own(dump, ProcedureRelationId, migrate_schema_oid(row, 1), item);
		while (len > 0 && def[len - 1] == '\n')
			len--;
		appendStringInfo(&dump->items[item]->ddl, "%.*s;\n", len, def);
		dump->items[item]->drop =
			psprintf("DROP %s %s(%s);",
					 migrate_schema_char(row, 5) == PROKIND_PROCEDURE ? "PROCEDURE" : "FUNCTION",
					 migrate_schema_qualified(nsp, name), identity);
		if (migrate_schema_bool(row, 7))
			dump->sql_bodies = true;
	}
	migrate_schema_done();

	collect_aggregates(dump);
}

/*
 * Views and materialized views (created WITH NO DATA), and the defaults
 * of views' columns.
 */
void
migrate_schema_collect_views(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, views_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		char	   *nsp = migrate_schema_text(row, 2);
		char	   *name = migrate_schema_text(row, 3);
		char	   *qualified = migrate_schema_qualified(nsp, name);
		bool		matview = migrate_schema_char(row, 4) == RELKIND_MATVIEW;
		char	   *query = migrate_schema_text(row, 8);
		char	   *options = migrate_schema_text(row, 9);
		char	   *am = migrate_schema_text(row, 10);
		int			len = strlen(query);
		int			item = migrate_schema_item(dump, SCHEMA_P_VIEW, nsp, name, NULL);
		StringInfo	ddl = &dump->items[item]->ddl;
		const char *kind = matview ? "MATERIALIZED VIEW" : "VIEW";

		migrate_schema_own(dump, RelationRelationId, migrate_schema_oid(row, 1), item);
		migrate_schema_own(dump, TypeRelationId, migrate_schema_oid(row, 5), item);
		migrate_schema_own(dump, TypeRelationId, migrate_schema_oid(row, 6), item);
		migrate_schema_own(dump, RewriteRelationId, migrate_schema_oid(row, 7), item);
		dump->items[item]->drop = psprintf("DROP %s %s;", kind, qualified);

		/* the query comes with a semicolon */
		while (len > 0 && (query[len - 1] == ';' || query[len - 1] == '\n' ||
						   query[len - 1] == ' '))
			len--;
		appendStringInfo(ddl, "CREATE %s %s", kind, qualified);
		if (am)
			appendStringInfo(ddl, " USING %s", am);
		if (options)
			appendStringInfo(ddl, " WITH (%s)", options);
		appendStringInfo(ddl, " AS\n%.*s%s;\n", len, query,
						 matview ? "\n  WITH NO DATA" : "");
	}
	migrate_schema_done();

	n = migrate_schema_query(dump, view_defaults_sql);
	for (row = 0; row < n; row++)
	{
		int			item = relation_item(dump, migrate_schema_oid(row, 2));
		SchemaItem *view;

		if (item < 0)
			continue;
		view = dump->items[item];
		migrate_schema_own(dump, AttrDefaultRelationId, migrate_schema_oid(row, 1), item);
		appendStringInfo(&view->ddl, "ALTER VIEW %s ALTER COLUMN %s SET DEFAULT %s;\n",
						 migrate_schema_qualified(view->sortnsp, view->sortname),
						 quote_identifier(migrate_schema_text(row, 3)),
						 migrate_schema_text(row, 4));
	}
	migrate_schema_done();
}

/*
 * ALTER TABLE ... ENABLE/DISABLE for a trigger or rule that does not
 * fire in the default way ('O').
 */
static void
append_enabled(StringInfo buf, char enabled, const char *relation,
			   const char *what, const char *name)
{
	const char *how;

	switch (enabled)
	{
		case TRIGGER_DISABLED:
			how = "DISABLE";
			break;
		case TRIGGER_FIRES_ON_REPLICA:
			how = "ENABLE REPLICA";
			break;
		case TRIGGER_FIRES_ALWAYS:
			how = "ENABLE ALWAYS";
			break;
		default:
			return;
	}
	appendStringInfo(buf, "ALTER TABLE %s %s %s %s;\n", relation, how, what,
					 quote_identifier(name));
}

/*
 * The item of an object that belongs to a table (trigger, rule, policy),
 * from a row that starts (oid, table oid, schema, table, name), after its
 * table; -1 when the table is not dumped.
 */
static int
table_object_item(SchemaDump *dump, uint64 row, SchemaPriority priority,
				  Oid classid)
{
	int			table = relation_item(dump, migrate_schema_oid(row, 2));
	int			item;

	if (table < 0)
		return -1;
	item = migrate_schema_item(dump, priority, migrate_schema_text(row, 3),
					   migrate_schema_text(row, 4), migrate_schema_text(row, 5));
	migrate_schema_own(dump, classid, migrate_schema_oid(row, 1), item);
	migrate_schema_depend(dump, item, table);
	return item;
}

/*
 * Triggers or rules: their definition (column 6) and whether they fire
 * (column 7).
 */
static void
collect_table_objects(SchemaDump *dump, const char *sql,
					  SchemaPriority priority, Oid classid, const char *what)
{
	uint64		n = migrate_schema_query(dump, sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		int			item = table_object_item(dump, row, priority, classid);
		SchemaItem *it;
		char	   *def;
		int			len;

		if (item < 0)
			continue;
		it = dump->items[item];
		/* pg_get_ruledef() ends with a semicolon, pg_get_triggerdef() not */
		def = migrate_schema_text(row, 6);
		len = strlen(def);
		if (len > 0 && def[len - 1] == ';')
			len--;
		appendStringInfo(&it->ddl, "%.*s;\n", len, def);
		append_enabled(&it->ddl, migrate_schema_char(row, 7),
					   migrate_schema_qualified(it->sortnsp, it->sortname), what,
					   it->sorttag);
	}
	migrate_schema_done();
}

/*
 * Triggers (pg_get_triggerdef()) and rules other than views' own
 * (pg_get_ruledef()).
 */
void
migrate_schema_collect_triggers_and_rules(SchemaDump *dump)
{
	collect_table_objects(dump, triggers_sql, SCHEMA_P_TRIGGER,
						  TriggerRelationId, "TRIGGER");
	collect_table_objects(dump, rules_sql, SCHEMA_P_RULE, RewriteRelationId,
						  "RULE");
}

/*
 * Row level security policies (whether a table enables row level
 * security is part of its CREATE TABLE item).
 */
void
migrate_schema_collect_policies(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, policies_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		int			item = table_object_item(dump, row, SCHEMA_P_POLICY,
											 PolicyRelationId);
		SchemaItem *it;
		StringInfo	ddl;
		char		cmd = migrate_schema_char(row, 6);
		char	   *roles = migrate_schema_text(row, 8);
		char	   *qual = migrate_schema_text(row, 9);
		char	   *check = migrate_schema_text(row, 10);

		if (item < 0)
			continue;
		it = dump->items[item];
		ddl = &it->ddl;
		appendStringInfo(ddl, "CREATE POLICY %s ON %s",
						 quote_identifier(it->sorttag),
						 migrate_schema_qualified(it->sortnsp, it->sortname));
		if (!migrate_schema_bool(row, 7))
			appendStringInfoString(ddl, " AS RESTRICTIVE");
		if (cmd != '*')
			appendStringInfo(ddl, " FOR %s",
							 cmd == 'r' ? "SELECT" : cmd == 'a' ? "INSERT" :
							 cmd == 'w' ? "UPDATE" : "DELETE");
		if (roles)
			appendStringInfo(ddl, " TO %s", roles);
		if (qual)
			appendStringInfo(ddl, " USING (%s)", qual);
		if (check)
			appendStringInfo(ddl, " WITH CHECK (%s)", check);
		appendStringInfoString(ddl, ";\n");
	}
	migrate_schema_done();
}

/*
 * Extended statistics objects, with pg_get_statisticsobjdef().
 */
void
migrate_schema_collect_statistics(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, statistics_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		int			table = relation_item(dump, migrate_schema_oid(row, 2));
		char	   *nsp = migrate_schema_text(row, 3);
		char	   *name = migrate_schema_text(row, 4);
		char	   *target = migrate_schema_text(row, 6);
		int			item;

		if (table < 0)
			continue;
		item = migrate_schema_item(dump, SCHEMA_P_STATISTICS, nsp, name, NULL);
		migrate_schema_own(dump, StatisticExtRelationId, migrate_schema_oid(row, 1), item);
		migrate_schema_depend(dump, item, table);
		appendStringInfo(&dump->items[item]->ddl, "%s;\n", migrate_schema_text(row, 5));
		if (target)
			appendStringInfo(&dump->items[item]->ddl,
							 "ALTER STATISTICS %s SET STATISTICS %s;\n",
							 migrate_schema_qualified(nsp, name), target);
	}
	migrate_schema_done();
}

/*
 * COMMENT ON for every dumped object that has a comment, in the item of
 * the object.  The public schema's own comment is left as it is.
 */
void
migrate_schema_collect_comments(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, comments_sql);
	uint64		row;

	for (row = 0; row < n; row++)
	{
		int			item = migrate_schema_owner_of(dump, migrate_schema_oid(row, 1),
										   migrate_schema_oid(row, 2));
		char	   *target = migrate_schema_text(row, 3);
		char	   *comment = migrate_schema_text(row, 4);

		if (item < 0)
			continue;
		if (strcmp(target, "SCHEMA public") == 0 &&
			strcmp(comment, "standard public schema") == 0)
			continue;
		appendStringInfo(&dump->items[item]->ddl, "COMMENT ON %s IS %s;\n",
						 target, quote_literal_cstr(comment));
	}
	migrate_schema_done();
}

/*
 * Warn about user objects that schema() does not write, so that nobody
 * takes the text for complete when it is not.
 */
void
migrate_schema_warn_unsupported(SchemaDump *dump)
{
	uint64		n = migrate_schema_query(dump, unsupported_sql);
	uint64		row;
	StringInfoData list;

	if (n == 0)
	{
		migrate_schema_done();
		return;
	}
	initStringInfo(&list);
	for (row = 0; row < n && row < SCHEMA_UNSUPPORTED_REPORT; row++)
		appendStringInfo(&list, "%s%s", row > 0 ? "; " : "",
						 migrate_schema_text(row, 1));
	migrate_schema_done();

	ereport(WARNING,
			(errmsg_plural("migrate.schema() does not dump %llu object",
						   "migrate.schema() does not dump %llu objects",
						   (unsigned long) n, (unsigned long long) n),
			 errdetail("Not dumped: %s%s. Base types, operators, operator classes, collations, text search objects, foreign tables, typed tables, event triggers, servers, publications and casts are not part of migrate.schema().",
					   list.data, n > SCHEMA_UNSUPPORTED_REPORT ? "; ..." : ""),
			 errhint("Keep them in migrations of their own.")));
}
