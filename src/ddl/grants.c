/*-------------------------------------------------------------------------
 *
 * grants.c
 *	  What a GRANT or REVOKE changed: the ACLs of its objects before and
 *	  after it, for the DDL history and capture()'s inverses.
 *
 * The inverse of GRANT SELECT ON t TO app is REVOKE SELECT ON t FROM app
 * only if app did not hold SELECT before; a REVOKE is undone by granting
 * back what was there.  So for GRANT and REVOKE on named tables,
 * sequences and schemas (without column lists), the objects' ACLs (their
 * defaults made explicit) are read at ddl_command_start and again at
 * ddl_command_end, in a subtransaction that is rolled back, and kept
 * with the command's object in the log ("acls": kind, identity, before,
 * after).  capture() grants back what the statement took and revokes
 * what it added, privilege by privilege and grant option by grant
 * option.  A privilege bit migrate does not know, or another kind of
 * GRANT (ALL ... IN SCHEMA, columns, functions, roles), has no inverse.
 *
 * IDENTIFICATION
 *	  src/ddl/grants.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "ddl/ddl.h"

/*
 * The privilege bits migrate writes back, with their keywords.
 */
static const struct
{
	AclMode		bit;
	const char *keyword;
}			privileges[] = {
	{ACL_SELECT, "SELECT"},
	{ACL_INSERT, "INSERT"},
	{ACL_UPDATE, "UPDATE"},
	{ACL_DELETE, "DELETE"},
	{ACL_TRUNCATE, "TRUNCATE"},
	{ACL_REFERENCES, "REFERENCES"},
	{ACL_TRIGGER, "TRIGGER"},
	{ACL_USAGE, "USAGE"},
	{ACL_CREATE, "CREATE"},
};

typedef struct GrantWork
{
	GrantStmt  *gs;				/* at start: resolve these names */
	List	   *acls;			/* GrantAcl: at start built, at end filled */
	bool		after;
	MemoryContext resultcxt;
} GrantWork;

/*
 * The ACL of object "acl" (its default made explicit) as text, read now.
 */
static char *
acl_text(GrantAcl *acl)
{
	HeapTuple	tuple;
	Datum		datum;
	bool		isnull;
	Oid			owner;
	Acl		   *value;

	if (acl->classid == NamespaceRelationId)
	{
		tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(acl->objid));
		if (!HeapTupleIsValid(tuple))
			return NULL;
		owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
		datum = SysCacheGetAttr(NAMESPACEOID, tuple, Anum_pg_namespace_nspacl, &isnull);
		value = isnull ? acldefault(OBJECT_SCHEMA, owner) : DatumGetAclPCopy(datum);
	}
	else
	{
		tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(acl->objid));
		if (!HeapTupleIsValid(tuple))
			return NULL;
		owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
		datum = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_relacl, &isnull);
		value = isnull ?
			acldefault(((Form_pg_class) GETSTRUCT(tuple))->relkind == RELKIND_SEQUENCE ?
					   OBJECT_SEQUENCE : OBJECT_TABLE, owner) :
			DatumGetAclPCopy(datum);
	}
	ReleaseSysCache(tuple);
	/* array_out caches in its flinfo: called through fmgr, not directly */
	return DatumGetCString(OidFunctionCall1(F_ARRAY_OUT, PointerGetDatum(value)));
}

/*
 * Add the object (classid, objid) to the work's list.
 */
static void
add_object(GrantWork *gw, Oid classid, Oid objid)
{
	MemoryContext old;
	GrantAcl   *acl;
	char	   *identity;
	const char *kind;

	if (!OidIsValid(objid))
		return;
	if (classid == NamespaceRelationId)
	{
		identity = pstrdup(quote_identifier(get_namespace_name(objid)));
		kind = "SCHEMA";
	}
	else
	{
		identity = quote_qualified_identifier(get_namespace_name(get_rel_namespace(objid)),
											  get_rel_name(objid));
		kind = get_rel_relkind(objid) == RELKIND_SEQUENCE ? "SEQUENCE" : "TABLE";
	}
	old = MemoryContextSwitchTo(gw->resultcxt);
	acl = palloc0(sizeof(GrantAcl));
	acl->classid = classid;
	acl->objid = objid;
	acl->kind = pstrdup(kind);
	acl->identity = pstrdup(identity);
	/* the list too outlives the subtransaction */
	gw->acls = lappend(gw->acls, acl);
	MemoryContextSwitchTo(old);
}

static void
grant_work(void *arg)
{
	GrantWork  *gw = (GrantWork *) arg;
	ListCell   *lc;

	if (!gw->after)
	{
		foreach(lc, gw->gs->objects)
		{
			if (gw->gs->objtype == OBJECT_SCHEMA)
				add_object(gw, NamespaceRelationId,
						   get_namespace_oid(strVal(lfirst(lc)), true));
			else
				add_object(gw, RelationRelationId,
						   RangeVarGetRelid(lfirst_node(RangeVar, lc), NoLock, true));
		}
		if (list_length(gw->acls) != list_length(gw->gs->objects))
		{
			gw->acls = NIL;		/* an object not found: nothing to track */
			return;
		}
	}
	foreach(lc, gw->acls)
	{
		GrantAcl   *acl = (GrantAcl *) lfirst(lc);
		char	   *text = acl_text(acl);
		MemoryContext old = MemoryContextSwitchTo(gw->resultcxt);

		if (gw->after)
			acl->after = text ? pstrdup(text) : NULL;
		else
			acl->before = text ? pstrdup(text) : NULL;
		MemoryContextSwitchTo(old);
	}
}

/*
 * The objects of a GRANT or REVOKE whose change is tracked, with their
 * ACLs before it, in "resultcxt"; NIL for other statements.  Called at
 * ddl_command_start.
 */
List *
migrate_ddl_grant_acls_before(Node *parsetree, MemoryContext resultcxt)
{
	GrantStmt  *gs;
	GrantWork	gw = {0};
	ListCell   *lc;

	if (!IsA(parsetree, GrantStmt))
		return NIL;
	gs = (GrantStmt *) parsetree;
	if (gs->targtype != ACL_TARGET_OBJECT || gs->objects == NIL ||
		(gs->objtype != OBJECT_TABLE && gs->objtype != OBJECT_SEQUENCE &&
		 gs->objtype != OBJECT_SCHEMA))
		return NIL;
	foreach(lc, gs->privileges)
		if (lfirst_node(AccessPriv, lc)->cols != NIL)
			return NIL;			/* column privileges: not tracked */

	gw.gs = gs;
	gw.resultcxt = resultcxt;
	if (!migrate_try_in_subtransaction(grant_work, &gw))
		return NIL;
	return gw.acls;
}

/*
 * Record in "object" (the object of a GRANT or REVOKE, at
 * ddl_command_end) the ACLs of "acls" before and after the statement.
 */
void
migrate_ddl_grant_acls_after(List *acls, LogObject *object)
{
	GrantWork	gw = {.acls = acls,.after = true,.resultcxt = CurrentMemoryContext};

	if (migrate_try_in_subtransaction(grant_work, &gw))
		object->acls = acls;
}

/*
 * The ACL of text "text".
 */
static Acl *
acl_of(const char *text)
{
	return DatumGetAclP(OidFunctionCall3(F_ARRAY_IN, CStringGetDatum(text),
											ObjectIdGetDatum(ACLITEMOID),
											Int32GetDatum(-1)));
}

/*
 * The privileges and grant options "acl" gives "grantee" from "grantor".
 */
static AclMode
rights_of(Acl *acl, Oid grantee, Oid grantor)
{
	AclItem    *items = ACL_DAT(acl);
	int			i;

	for (i = 0; i < ACL_NUM(acl); i++)
		if (items[i].ai_grantee == grantee && items[i].ai_grantor == grantor)
			return ACLITEM_GET_RIGHTS(items[i]);
	return 0;
}

/*
 * The keywords of privilege bits "bits", or NULL if one is not known.
 */
static char *
privilege_list(AclMode bits)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < lengthof(privileges); i++)
	{
		if (!(bits & privileges[i].bit))
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", privileges[i].keyword);
		bits &= ~privileges[i].bit;
	}
	return bits == 0 ? buf.data : NULL;
}

/*
 * Append to "parts" what gives back what went from (grantee, grantor)
 * between "from" and "to" (privileges and grant options of one pair):
 * GRANTs of what "to" lacks, REVOKEs of what it has more.  False if a
 * privilege is not known.
 */
static bool
undo_pair(List **parts, GrantAcl *acl, Oid grantee, AclMode now, AclMode was)
{
	const char *who;
	AclMode		privs_added = (now & ~was) & 0xFFFF;
	AclMode		options_added = ((now & ~was) >> 16) & 0xFFFF;
	AclMode		privs_taken = (was & ~now) & 0xFFFF;
	AclMode		options_taken = ((was & ~now) >> 16) & 0xFFFF;
	char	   *list;

	if (grantee == ACL_ID_PUBLIC)
		who = "PUBLIC";
	else
	{
		char	   *name = GetUserNameFromId(grantee, true);

		if (name == NULL)
			return false;
		who = quote_identifier(name);
	}

	/* what the statement added goes; grant options first */
	if (options_added & ~privs_added)
	{
		if ((list = privilege_list(options_added & ~privs_added)) == NULL)
			return false;
		*parts = lappend(*parts, psprintf("REVOKE GRANT OPTION FOR %s ON %s %s FROM %s",
										  list, acl->kind, acl->identity, who));
	}
	if (privs_added)
	{
		if ((list = privilege_list(privs_added)) == NULL)
			return false;
		*parts = lappend(*parts, psprintf("REVOKE %s ON %s %s FROM %s",
										  list, acl->kind, acl->identity, who));
	}
	/* what it took comes back, with its grant option where it had one */
	if (privs_taken | options_taken)
	{
		AclMode		with_option = options_taken;
		AclMode		without = privs_taken & ~options_taken;

		if (with_option)
		{
			if ((list = privilege_list(with_option)) == NULL)
				return false;
			*parts = lappend(*parts, psprintf("GRANT %s ON %s %s TO %s WITH GRANT OPTION",
											  list, acl->kind, acl->identity, who));
		}
		if (without)
		{
			if ((list = privilege_list(without)) == NULL)
				return false;
			*parts = lappend(*parts, psprintf("GRANT %s ON %s %s TO %s",
											  list, acl->kind, acl->identity, who));
		}
	}
	return true;
}

/*
 * The inverse of a tracked GRANT or REVOKE: NULL if not known, "" if it
 * changed nothing.
 */
char *
migrate_ddl_grant_inverse(List *acls)
{
	List	   *parts = NIL;
	StringInfoData buf;
	ListCell   *lc;

	foreach(lc, acls)
	{
		GrantAcl   *acl = (GrantAcl *) lfirst(lc);
		Acl		   *before;
		Acl		   *after;
		int			pass;

		if (acl->before == NULL || acl->after == NULL)
			return NULL;
		before = acl_of(acl->before);
		after = acl_of(acl->after);
		/* every (grantee, grantor) pair of either side, once */
		for (pass = 0; pass < 2; pass++)
		{
			Acl		   *side = pass == 0 ? after : before;
			Acl		   *other = pass == 0 ? before : after;
			AclItem    *items = ACL_DAT(side);
			int			i;

			for (i = 0; i < ACL_NUM(side); i++)
			{
				Oid			grantee = items[i].ai_grantee;
				Oid			grantor = items[i].ai_grantor;
				AclMode		now = rights_of(after, grantee, grantor);
				AclMode		was = rights_of(before, grantee, grantor);

				/* a pair on both sides is seen in the first pass */
				if (pass == 1 && rights_of(other, grantee, grantor) != 0)
					continue;
				if (now != was && !undo_pair(&parts, acl, grantee, now, was))
					return NULL;
			}
		}
	}

	initStringInfo(&buf);
	foreach(lc, parts)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) > 0 ? ";\n" : "",
						 (char *) lfirst(lc));
	return buf.data;
}

/*
 * Push the ACLs recorded in "object" into the jsonb object of it being
 * built (logrow.c): "acls": [{kind, identity, before, after}].
 */
void
migrate_ddl_push_grant_acls(JsonbParseState **state, LogObject *object)
{
	ListCell   *lc;

	if (object->acls == NIL)
		return;
	migrate_ddl_push_key(state, "acls");
	(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, object->acls)
	{
		GrantAcl   *acl = (GrantAcl *) lfirst(lc);

		(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		migrate_ddl_push_field(state, "kind", acl->kind);
		migrate_ddl_push_field(state, "identity", acl->identity);
		migrate_ddl_push_field(state, "before", acl->before);
		migrate_ddl_push_field(state, "after", acl->after);
		(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	(void) pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/*
 * The ACLs of an "acls" array (capture(), from the log).
 */
List *
migrate_ddl_grant_acls_from_jsonb(Jsonb *array)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, migrate_ddl_json_objects(array))
	{
		JsonbContainer *o = (JsonbContainer *) lfirst(lc);
		GrantAcl   *acl = palloc0(sizeof(GrantAcl));

		acl->kind = migrate_ddl_json_string(o, "kind");
		acl->identity = migrate_ddl_json_string(o, "identity");
		acl->before = migrate_ddl_json_string(o, "before");
		acl->after = migrate_ddl_json_string(o, "after");
		if (acl->kind == NULL || acl->identity == NULL)
			return NIL;		/* not as grants.c writes it: no inverse */
		result = lappend(result, acl);
	}
	return result;
}
