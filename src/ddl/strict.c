/*-------------------------------------------------------------------------
 *
 * strict.c
 *	  Strict mode: DDL outside migrations is refused (migrate.strict = on)
 *	  or reported (warn), and a database that asked for it stays strict.
 *
 * migrate.strict is PGC_SUSET, so only a superuser (or a role a
 * superuser granted SET on it) changes it.  That alone does not make it
 * fail closed.  When the library is not preloaded, a setting a client
 * passes at connection (PGOPTIONS, options= in a connection string) is
 * kept as a placeholder; when the first event trigger loads the library,
 * PostgreSQL refuses the client's value with a WARNING, and the value the
 * database or role was given with ALTER DATABASE / ALTER ROLE ... SET is
 * lost with it: the setting falls back to off.  An invalid value stored
 * while the library was not loaded is likewise dropped with a WARNING.
 *
 * So the mode in force is decided here, not read from the variable alone:
 * for a role that may not set migrate.strict, it is the stricter of the
 * variable and the value configured for this database and role in
 * pg_db_role_setting, in PostgreSQL's own order of precedence (database
 * and role, then role, then database, then every database), read once per
 * session as PostgreSQL applies those settings once, at connection.  A
 * configured value that is not valid counts as on.  A superuser's own
 * setting, and that of a role granted SET on migrate.strict, is taken as
 * it is: that is the explicit way to turn strict mode off, and
 * ALTER ROLE ... SET migrate.strict = off is the explicit exemption of a
 * maintenance role.
 *
 * IDENTIFICATION
 *	  src/ddl/strict.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_db_role_setting.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"

#include "ddl/ddl.h"

/* Longest part of a statement quoted in the hint. */
#define HINT_STATEMENT_MAXLEN	200

/* The configured mode, once read; -1 before. */
static int	configured_mode = -1;

/*
 * The value of migrate.strict in one setconfig array of pg_db_role_setting,
 * or -1 when it does not set it.  An invalid value is on.
 */
static int
setting_in_array(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	int			mode = -1;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *item;
		char	   *eq;

		if (nulls[i])
			continue;
		item = TextDatumGetCString(elems[i]);
		eq = strchr(item, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (pg_strcasecmp(item, "migrate.strict") != 0)
			continue;
		if (!migrate_parse_strict(eq + 1, &mode))
		{
			ereport(WARNING,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for parameter \"migrate.strict\": \"%s\"",
							eq + 1),
					 errdetail("The value configured for this database or role is not off, warn or on; strict mode is on."),
					 errhint("A superuser can correct it with ALTER DATABASE or ALTER ROLE ... SET migrate.strict.")));
			mode = MIGRATE_STRICT_ON;
		}
	}
	return mode;
}

/*
 * The value of migrate.strict set for (database, role) in
 * pg_db_role_setting, or -1.
 */
static int
setting_for(Relation rel, Oid database, Oid role)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	int			mode = -1;

	ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(database));
	ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(role));
	scan = systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true,
							  NULL, 2, keys);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, Anum_pg_db_role_setting_setconfig,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			mode = setting_in_array(DatumGetArrayTypeP(d));
	}
	systable_endscan(scan);
	return mode;
}

/*
 * The mode configured for this session's database and role, in the order
 * PostgreSQL applies those settings (process_settings() in postinit.c).
 */
static int
configured_strict_mode(void)
{
	if (configured_mode < 0)
	{
		Relation	rel = table_open(DbRoleSettingRelationId, AccessShareLock);
		Oid			role = GetSessionUserId();
		int			mode;

		mode = setting_for(rel, MyDatabaseId, role);
		if (mode < 0)
			mode = setting_for(rel, InvalidOid, role);
		if (mode < 0)
			mode = setting_for(rel, MyDatabaseId, InvalidOid);
		if (mode < 0)
			mode = setting_for(rel, InvalidOid, InvalidOid);
		table_close(rel, AccessShareLock);
		configured_mode = Max(mode, MIGRATE_STRICT_OFF);
	}
	return configured_mode;
}

/*
 * The strict mode in force for a DDL statement of the current role.
 */
int
migrate_strict_mode(void)
{
	if (superuser() ||
		pg_parameter_aclcheck("migrate.strict", GetUserId(), ACL_SET) == ACLCHECK_OK)
		return migrate_strict;
	return Max(migrate_strict, configured_strict_mode());
}

/*
 * Strict mode: refuse a DDL statement run outside a migration.
 * "statement" is its text, if known, for the hint.
 */
void
migrate_strict_refuse(const char *tag, const char *statement)
{
	char	   *example;

	if (statement)
	{
		int			len = strlen(statement);
		int			cliplen = pg_mbcliplen(statement, len, HINT_STATEMENT_MAXLEN);

		example = psprintf("$up$%.*s%s$up$", cliplen, statement,
						   cliplen < len ? " ..." : "");
	}
	else
		example = "$up$...$up$";

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot run %s outside a migration", tag),
			 errdetail("The setting migrate.strict is on: in this database, schema changes are made by migrations only. Temporary objects are exempt."),
			 errhint("Apply it as a migration: SELECT * FROM migrate.apply('<version>', %s, down => $down$...$down$).",
					 example)));
}

/*
 * Strict mode "warn": the statement ran outside a migration and was
 * recorded.
 */
void
migrate_strict_warn(const char *tag)
{
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("%s ran outside a migration", tag),
			 errdetail("The setting migrate.strict is warn: the statement is recorded in migrate.ddl_log and shows in migrate.drift()."),
			 errhint("Make schema changes as migrations, with migrate.apply(), or turn this drift into one with migrate.capture().")));
}
