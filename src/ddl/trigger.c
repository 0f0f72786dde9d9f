/*-------------------------------------------------------------------------
 *
 * trigger.c
 *	  DDL history: the event trigger functions that record every DDL
 *	  command in migrate.ddl_log, and strict mode.
 *
 * The extension script creates three event triggers, enabled ALWAYS so
 * that session_replication_role = replica does not silently skip them:
 *
 * ddl_command_start: strict mode refuses DDL outside a migration before
 * it runs.  The statement's text is found now if the ProcessUtility hook
 * did not see the statement start (statement.c), while its parse tree
 * is as the parser made it; and the definitions of the views, functions,
 * indexes, triggers and constraints it is about to drop or replace are
 * kept (objects.c).
 *
 * sql_drop: the dropped objects, each with its definition when one was
 * kept; the parts that go with an object (its row type, indexes,
 * defaults, toast table) are left out, the objects dropped with it by
 * CASCADE are kept, marked as such.
 *
 * ddl_command_end: the command's row: one row per DDL command, whatever
 * the number of objects it created, altered or dropped.  Its objects
 * column lists them all in order (those it dropped, then those it created
 * or altered, as pg_event_trigger_ddl_commands() reports them), and its
 * object columns name the one the command is about.  A command that
 * reports no object (CREATE ... IF NOT EXISTS of an existing object,
 * DROP ... IF EXISTS of a missing one) is recorded too, so that every DDL
 * statement that ran is in the log.
 *
 * Rows are written in common/store.c's owner mode: a role's DDL is recorded
 * although the role may neither read nor write the log.  Writing the row
 * is most of what DDL history costs a DDL statement.
 *
 * The triggers must never change what a DDL statement does.  They read
 * nothing but the catalogs and write nothing but the log; whatever they
 * look up on the side runs in a subtransaction that is rolled back.
 * Nothing is recorded or refused:
 * - while a restore runs: pg_restore, or pg_dump's output fed to psql,
 *   recognised by the settings every dump starts with (search_path '',
 *   check_function_bodies and row_security off) in a superuser's
 *   session, and pg_upgrade's binary upgrade mode.  The dump restores the
 *   log itself, with the same ids;
 * - for temporary objects;
 * - for migrate itself: CREATE, ALTER, COMMENT ON and DROP EXTENSION
 *   migrate and migrate's own script;
 * - for REFRESH MATERIALIZED VIEW, which changes data, not the schema.
 * Extension scripts of other extensions are recorded, with the
 * extension's name, and never refused.
 *
 * What lives from ddl_command_start to ddl_command_end of one command
 * (its text, the definitions, the dropped objects, whether strict mode
 * waits for its objects to decide) is kept in a stack of pending
 * commands.  Commands nest (DDL run by a function a DDL statement
 * calls), and an aborted (sub)transaction drops the entries of the
 * commands it interrupted.
 *
 * IDENTIFICATION
 *	  src/ddl/trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "catalog/pg_depend.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "tcop/deparse_utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/xid8.h"

#include "ddl/ddl.h"

PG_FUNCTION_INFO_V1(migrate_ddl_command_start);
PG_FUNCTION_INFO_V1(migrate_ddl_command_end);
PG_FUNCTION_INFO_V1(migrate_sql_drop);

/*
 * A row of migrate.ddl_log is appended directly (migrate_store_append),
 * by the column numbers of ddl.h, or, if a DBA changed the table,
 * inserted by this query.
 */
#define LOG_QUERY_ARGS	Natts_migrate_ddl_log

/* the index of column "col" in the values of a row */
#define LOG_COL(col)	(Anum_migrate_ddl_log_##col - 1)

/*
 * The columns by number, with the name and type each number must have:
 * migrate_store_append() checks them against the table.
 */
static const MigrateStoreColumn log_columns[Natts_migrate_ddl_log] = {
	[LOG_COL(id)] = {"id", INT8OID},
	[LOG_COL(at)] = {"at", TIMESTAMPTZOID},
	[LOG_COL(role)] = {"role", NAMEOID},
	[LOG_COL(session_role)] = {"session_role", NAMEOID},
	[LOG_COL(txid)] = {"txid", XID8OID},
	[LOG_COL(command_tag)] = {"command_tag", TEXTOID},
	[LOG_COL(object_type)] = {"object_type", TEXTOID},
	[LOG_COL(schema_name)] = {"schema_name", TEXTOID},
	[LOG_COL(object_identity)] = {"object_identity", TEXTOID},
	[LOG_COL(objects)] = {"objects", JSONBOID},
	[LOG_COL(statement)] = {"statement", TEXTOID},
	[LOG_COL(migration)] = {"migration", TEXTOID},
	[LOG_COL(in_extension)] = {"in_extension", BOOLOID},
	[LOG_COL(extension)] = {"extension", TEXTOID},
	[LOG_COL(top_level)] = {"top_level", BOOLOID},
	[LOG_COL(backend_pid)] = {"backend_pid", INT4OID},
	[LOG_COL(application_name)] = {"application_name", TEXTOID},
	[LOG_COL(client_addr)] = {"client_addr", INETOID},
};

static MigrateQuery insert_query = {
	.sql =
		"INSERT INTO migrate.ddl_log (id, at, role, session_role, txid,"
		"       command_tag, object_type, schema_name, object_identity,"
		"       objects, statement, migration, in_extension, extension,"
		"       top_level, backend_pid, application_name, client_addr)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
		"        $13, $14, $15, $16, $17, $18)",
	.nargs = LOG_QUERY_ARGS,
	.argtypes = {INT8OID, TIMESTAMPTZOID, NAMEOID, NAMEOID, XID8OID, TEXTOID,
		TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID,
	BOOLOID, INT4OID, TEXTOID, INETOID}
};

/*
 * A DDL command between its ddl_command_start and ddl_command_end.
 */
typedef struct PendingCommand
{
	Node	   *parsetree;		/* identifies the command; never read */
	SubTransactionId subid;		/* the subtransaction it started in */
	bool		text_known;		/* statement was looked for at start */
	char	   *statement;
	bool		top_level;
	int			strict_deferred;	/* strict mode (MigrateStrictMode) that
									 * decides on its objects, or off */
	List	   *definitions;	/* MigrateDefinition */
	TableState *table_before;	/* what a tracked ALTER TABLE changes */
	MemoryContext grant_cxt;	/* where grant_acls live */
	List	   *grant_acls;		/* GrantAcl: what a GRANT or REVOKE changes */
	List	   *dropped;		/* LogObject of its sql_drop, for the end */
	int			ndropped;		/* objects its sql_drop reported */
	bool		restore;		/* CREATE EXTENSION run by a restore */
	struct PendingCommand *outer;
} PendingCommand;

static PendingCommand *pending = NULL;

/* Where pending entries live: they may outlive a transaction (below). */
static MemoryContext pending_cxt = NULL;

/*
 * The rows of pg_event_trigger_ddl_commands() or _dropped_objects().
 */
typedef struct EventRows
{
	Tuplestorestate *store;
	TupleTableSlot *slot;
} EventRows;

/*
 * The pending entry of command "parsetree", created if asked for.
 */
static PendingCommand *
pending_for(Node *parsetree, bool create)
{
	PendingCommand *p;

	for (p = pending; p != NULL; p = p->outer)
		if (p->parsetree == parsetree)
			return p;
	if (!create)
		return NULL;

	p = MemoryContextAllocZero(pending_cxt, sizeof(PendingCommand));
	p->parsetree = parsetree;
	p->subid = GetCurrentSubTransactionId();
	p->outer = pending;
	pending = p;
	return p;
}

/*
 * The command of "p" ended: forget it, and any entry left above it.
 */
static void
pending_done(PendingCommand *p)
{
	if (p == NULL)
		return;
	while (pending != NULL && pending != p)
		pending = pending->outer;
	if (pending != p)
		return;
	pending = p->outer;
	if (p->statement)
		pfree(p->statement);
	list_free_deep(p->definitions);
	migrate_ddl_table_state_free(p->table_before);
	if (p->grant_cxt)
		MemoryContextDelete(p->grant_cxt);
	list_free(p->dropped);
	pfree(p);
}

/*
 * Forget every pending entry.
 */
static void
pending_clear(void)
{
	pending = NULL;
	MemoryContextReset(pending_cxt);
}

/*
 * An aborted transaction interrupted its commands.  A committed one has
 * none left, unless a utility statement is still running: CREATE and
 * DROP INDEX CONCURRENTLY commit inside the command, between its
 * ddl_command_start and sql_drop.
 */
static void
ddl_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending_clear();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			if (!migrate_ddl_statement_running())
				pending_clear();
			break;
		default:
			break;
	}
}

/*
 * A rolled-back subtransaction interrupted the commands that started in
 * it: an error inside a PL/pgSQL block with an exception handler.
 */
static void
ddl_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (pending != NULL && pending->subid >= mySubid)
		pending = pending->outer;
}

/*
 * Install the hook and callbacks of DDL history; called by _PG_init().
 */
void
migrate_ddl_init(void)
{
	migrate_ddl_statement_init();
	pending_cxt = AllocSetContextCreate(TopMemoryContext,
										"migrate DDL history",
										ALLOCSET_SMALL_SIZES);
	RegisterXactCallback(ddl_xact_callback, NULL);
	RegisterSubXactCallback(ddl_subxact_callback, NULL);
}

/*
 * True if this session restores a dump: a superuser's session with the
 * settings pg_dump's output and pg_restore set first (search_path empty,
 * function bodies not checked, row security off), or pg_upgrade.  An
 * extension script sets search_path itself: within the script of a
 * CREATE or ALTER EXTENSION that a restore ran, the restore goes on.
 */
static bool
restoring(void)
{
	PendingCommand *p;

	if (IsBinaryUpgrade)
		return true;
	if (creating_extension)
		for (p = pending; p != NULL; p = p->outer)
			if (p->restore)
				return true;
	if (check_function_bodies || row_security ||
		namespace_search_path == NULL || namespace_search_path[0] != '\0')
		return false;
	return superuser_arg(GetSessionUserId()) || superuser();
}

/*
 * True while migrate's own extension script runs.
 */
static bool
creating_migrate(void)
{
	char	   *name;

	if (!creating_extension || !OidIsValid(CurrentExtensionObject))
		return false;
	name = get_extension_name(CurrentExtensionObject);
	return name != NULL && strcmp(name, "migrate") == 0;
}

/*
 * True if the log can be written: migrate is installed (and not being
 * dropped) and the transaction may write.  Sets the log's sequence.
 */
static bool
log_writable(Oid *seqid)
{
	Oid			nspid;

	if (XactReadOnly)
		return false;
	nspid = get_namespace_oid(MIGRATE_SCHEMA, true);
	if (!OidIsValid(nspid))
		return false;
	*seqid = get_relname_relid("ddl_log_id_seq", nspid);
	return OidIsValid(*seqid) &&
		OidIsValid(get_relname_relid("ddl_log", nspid));
}

/*
 * True if the statement is about the migrate extension itself.
 */
static bool
about_migrate(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_AlterExtensionStmt:
			return strcmp(((AlterExtensionStmt *) parsetree)->extname, "migrate") == 0;
		case T_AlterExtensionContentsStmt:
			return strcmp(((AlterExtensionContentsStmt *) parsetree)->extname,
						  "migrate") == 0;
		case T_CommentStmt:
			return ((CommentStmt *) parsetree)->objtype == OBJECT_EXTENSION &&
				strcmp(strVal(((CommentStmt *) parsetree)->object), "migrate") == 0;
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) parsetree;
				ListCell   *lc;

				if (ds->removeType != OBJECT_EXTENSION)
					return false;
				foreach(lc, ds->objects)
					if (strcmp(strVal(lfirst(lc)), "migrate") != 0)
						return false;
				return true;
			}
		default:
			return false;
	}
}

/*
 * True if DDL history leaves this event alone: nothing recorded, nothing
 * refused.  REFRESH MATERIALIZED VIEW fires event triggers, but it
 * changes data, not the schema: applications run it on a schedule.
 * REINDEX, which fires them from 17 on, is routine maintenance too.
 */
static bool
history_off(Node *parsetree, Oid *seqid)
{
	return IsA(parsetree, RefreshMatViewStmt) || IsA(parsetree, ReindexStmt) ||
		!log_writable(seqid) ||
		restoring() || creating_migrate() || about_migrate(parsetree);
}

static EventTriggerData *
event_trigger_data(FunctionCallInfo fcinfo, const char *name)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired by an event trigger", name)));
	return (EventTriggerData *) fcinfo->context;
}

/*
 * The strict mode that applies to this statement: the mode in force,
 * unless a migration is running or the statement is an extension's
 * business.
 */
static int
strict_applies(Node *parsetree)
{
	if (migrate_current_migration() != NULL || creating_extension)
		return MIGRATE_STRICT_OFF;
	switch (nodeTag(parsetree))
	{
		case T_CreateExtensionStmt:
		case T_AlterExtensionStmt:
		case T_AlterExtensionContentsStmt:
			return MIGRATE_STRICT_OFF;
		default:
			return migrate_strict_mode();
	}
}

/*
 * ddl_command_start() returns event_trigger
 */
Datum
migrate_ddl_command_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = event_trigger_data(fcinfo,
													"migrate.ddl_command_start");
	Node	   *parsetree = trigdata->parsetree;
	bool		hooked;
	int			deferred;
	List	   *definitions;
	TableState *table_before;
	MemoryContext grant_cxt = NULL;
	List	   *grant_acls = NIL;
	PendingCommand *entry;
	Oid			seqid;

	migrate_ddl_refuse_drop(parsetree);
	if (history_off(parsetree, &seqid))
	{
		if ((IsA(parsetree, CreateExtensionStmt) ||
			 IsA(parsetree, AlterExtensionStmt)) && restoring())
			pending_for(parsetree, true)->restore = true;
		PG_RETURN_NULL();
	}

	hooked = migrate_ddl_statement_hooked(parsetree);

	/*
	 * Strict mode refuses now what is not about temporary objects by its
	 * names; the rest waits for the objects the command reports, at its
	 * end, as does the WARNING of mode warn.
	 */
	deferred = strict_applies(parsetree);
	if (deferred == MIGRATE_STRICT_ON && !IsA(parsetree, GrantStmt) &&
		!migrate_ddl_names_temporary(parsetree))
	{
		bool		top_level;

		migrate_strict_refuse(GetCommandTagName(trigdata->tag),
							  migrate_ddl_statement_text(parsetree,
														 &top_level));
	}

	definitions = migrate_ddl_definitions_before(parsetree, pending_cxt);
	table_before = migrate_ddl_table_state_before(parsetree, pending_cxt);
	if (IsA(parsetree, GrantStmt))
	{
		grant_cxt = AllocSetContextCreate(pending_cxt, "migrate grant ACLs",
										  ALLOCSET_SMALL_SIZES);
		grant_acls = migrate_ddl_grant_acls_before(parsetree, grant_cxt);
		if (grant_acls == NIL)
		{
			MemoryContextDelete(grant_cxt);
			grant_cxt = NULL;
		}
	}
	if (hooked && deferred == MIGRATE_STRICT_OFF && definitions == NIL &&
		table_before == NULL && grant_acls == NIL)
		PG_RETURN_NULL();

	entry = pending_for(parsetree, true);
	entry->strict_deferred = deferred;
	entry->definitions = definitions;
	entry->table_before = table_before;
	entry->grant_cxt = grant_cxt;
	entry->grant_acls = grant_acls;
	if (!hooked)
	{
		char	   *text = migrate_ddl_statement_text(parsetree,
													  &entry->top_level);

		entry->text_known = true;
		if (text)
			entry->statement = MemoryContextStrdup(pending_cxt, text);
	}

	PG_RETURN_NULL();
}

/*
 * The definition kept at ddl_command_start for object (classid, objid).
 */
static char *
definition_of(PendingCommand *entry, Oid classid, Oid objid)
{
	ListCell   *lc;

	if (entry == NULL)
		return NULL;
	foreach(lc, entry->definitions)
	{
		MigrateDefinition *def = (MigrateDefinition *) lfirst(lc);

		if (def->classid != classid || def->objid != objid)
			continue;
		if (def->sql_if_grown && migrate_ddl_relation_columns(objid) > def->natts)
			return def->sql_if_grown;
		return def->sql;
	}
	return NULL;
}

/*
 * Write the row of one command.  Strict mode, if it waited for the
 * command's objects to decide, refuses it now: the objects are not
 * temporary.
 */
static void
write_command(EventTriggerData *trigdata, PendingCommand *entry, Oid seqid,
			  List *objects, Oid about_extension)
{
	const char *command_tag = GetCommandTagName(trigdata->tag);
	LogObject  *main = migrate_ddl_main_object(objects, command_tag);
	bool		top_level = false;
	char	   *statement;
	const char *extension = NULL;
	bool		in_extension = false;
	Datum		values[Natts_migrate_ddl_log];
	bool		nulls[Natts_migrate_ddl_log];

	if (entry && entry->text_known)
	{
		statement = entry->statement;
		top_level = entry->top_level;
	}
	else
		statement = migrate_ddl_statement_text(trigdata->parsetree, &top_level);

	/* what a tracked ALTER TABLE changed goes with its table */
	if (entry && entry->table_before && main && !main->dropped &&
		main->object_type && strcmp(main->object_type, "table") == 0)
		migrate_ddl_table_change(entry->table_before, trigdata->parsetree, main);
	/* and what a tracked GRANT or REVOKE changed, with its object */
	if (entry && entry->grant_acls && main)
		migrate_ddl_grant_acls_after(entry->grant_acls, main);

	/*
	 * A GRANT or REVOKE waits until here, where its objects are known: on
	 * migrate's own objects alone (the deploy grant of the README) it is
	 * about migrate itself, which strict mode leaves alone.
	 */
	if (!(OidIsValid(about_extension) &&
		  about_extension == get_extension_oid("migrate", true)))
	{
		if (entry && entry->strict_deferred == MIGRATE_STRICT_ON)
			migrate_strict_refuse(command_tag, statement);
		else if (entry && entry->strict_deferred == MIGRATE_STRICT_WARN)
			migrate_strict_warn(command_tag);
	}

	/*
	 * "extension" is the extension whose script ran the statement
	 * (in_extension), or else the one whose objects alone the statement is
	 * about (a GRANT on migrate's functions): neither is the schema of the
	 * application, so neither is drift.
	 */
	if (creating_extension && OidIsValid(CurrentExtensionObject))
	{
		extension = get_extension_name(CurrentExtensionObject);
		in_extension = true;
	}
	else if (OidIsValid(about_extension))
		extension = get_extension_name(about_extension);

	memset(nulls, false, sizeof(nulls));
	values[LOG_COL(id)] = Int64GetDatum(migrate_sequence_next(seqid));
	values[LOG_COL(at)] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[LOG_COL(role)] =
		migrate_ddl_name_datum(GetUserNameFromId(GetUserId(), false));
	values[LOG_COL(session_role)] =
		migrate_ddl_name_datum(GetUserNameFromId(GetSessionUserId(), false));
	values[LOG_COL(txid)] =
		FullTransactionIdGetDatum(GetTopFullTransactionId());
	values[LOG_COL(command_tag)] = CStringGetTextDatum(command_tag);
	values[LOG_COL(object_type)] =
		migrate_ddl_text_datum(main ? main->object_type : NULL,
				   &nulls[LOG_COL(object_type)]);
	values[LOG_COL(schema_name)] =
		migrate_ddl_text_datum(main ? main->schema_name : NULL,
				   &nulls[LOG_COL(schema_name)]);
	values[LOG_COL(object_identity)] =
		migrate_ddl_text_datum(main ? main->identity : NULL,
				   &nulls[LOG_COL(object_identity)]);
	values[LOG_COL(objects)] = migrate_ddl_objects_jsonb(objects);
	values[LOG_COL(statement)] =
		migrate_ddl_text_datum(statement, &nulls[LOG_COL(statement)]);
	values[LOG_COL(migration)] =
		migrate_ddl_text_datum(migrate_current_migration(), &nulls[LOG_COL(migration)]);
	values[LOG_COL(in_extension)] = BoolGetDatum(in_extension);
	values[LOG_COL(extension)] =
		migrate_ddl_text_datum(extension, &nulls[LOG_COL(extension)]);
	values[LOG_COL(top_level)] = BoolGetDatum(top_level);
	values[LOG_COL(backend_pid)] = Int32GetDatum(MyProcPid);
	values[LOG_COL(application_name)] =
		migrate_ddl_text_datum(application_name, &nulls[LOG_COL(application_name)]);
	values[LOG_COL(client_addr)] =
		migrate_ddl_client_addr(&nulls[LOG_COL(client_addr)]);

	if (!migrate_store_append("ddl_log", Natts_migrate_ddl_log, log_columns,
							  values, nulls))
	{
		Datum		params[LOG_QUERY_ARGS];
		char		pnulls[LOG_QUERY_ARGS];
		int			i;
		int			p = 0;

		for (i = 0; i < Natts_migrate_ddl_log; i++)
		{
			params[p] = values[i];
			pnulls[p] = nulls[i] ? 'n' : ' ';
			p++;
		}
		migrate_spi_connect();
		(void) migrate_store_exec(&insert_query, params, pnulls, 0);
		SPI_finish();
	}
}

/*
 * Call set-returning event trigger function "funcoid" and keep its rows.
 */
static void
event_rows(Oid funcoid, EventRows *rows)
{
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 0);
	ReturnSetInfo rsinfo;
	ExprContext *econtext = CreateStandaloneExprContext();

	fmgr_info(funcoid, &flinfo);
	MemSet(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = econtext;
	rsinfo.allowedModes = (int) SFRM_Materialize;
	rsinfo.returnMode = SFRM_ValuePerCall;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL,
							 (Node *) &rsinfo);
	(void) FunctionCallInvoke(fcinfo);
	FreeExprContext(econtext, true);

	rows->store = rsinfo.setResult;
	rows->slot = rows->store ?
		MakeSingleTupleTableSlot(rsinfo.setDesc, &TTSOpsMinimalTuple) : NULL;
}

static bool
next_row(EventRows *rows)
{
	if (rows->store == NULL ||
		!tuplestore_gettupleslot(rows->store, true, false, rows->slot))
		return false;
	slot_getallattrs(rows->slot);
	return true;
}

/* Column "col" (0-based) of the current row. */
static char *
row_text(EventRows *rows, int col)
{
	if (rows->slot->tts_isnull[col])
		return NULL;
	return TextDatumGetCString(rows->slot->tts_values[col]);
}

static Oid
row_oid(EventRows *rows, int col)
{
	if (rows->slot->tts_isnull[col])
		return InvalidOid;
	return DatumGetObjectId(rows->slot->tts_values[col]);
}

static bool
row_bool(EventRows *rows, int col)
{
	return !rows->slot->tts_isnull[col] &&
		DatumGetBool(rows->slot->tts_values[col]);
}

/*
 * sql_drop() returns event_trigger
 *
 * Keeps the dropped objects for ddl_command_end, which writes all the
 * command's rows at once.
 */
Datum
migrate_sql_drop(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = event_trigger_data(fcinfo, "migrate.sql_drop");
	PendingCommand *entry;
	EventRows	rows;
	Oid			seqid;
	MemoryContext old;

	if (history_off(trigdata->parsetree, &seqid))
		PG_RETURN_NULL();

	entry = pending_for(trigdata->parsetree, true);
	event_rows(F_PG_EVENT_TRIGGER_DROPPED_OBJECTS, &rows);

	old = MemoryContextSwitchTo(pending_cxt);
	while (next_row(&rows))
	{
		bool		original = row_bool(&rows, 3);
		bool		normal = row_bool(&rows, 4);
		char	   *object_type = row_text(&rows, 6);
		char	   *identity = row_text(&rows, 9);

		entry->ndropped++;

		/* temporary objects, and the parts of a dropped object */
		if (row_bool(&rows, 5) || (!original && !normal))
			continue;
		/* a dropped table's defaults and a dropped view's rule */
		if (!original &&
			(strcmp(object_type, "default value") == 0 ||
			 (strcmp(object_type, "rule") == 0 && identity != NULL &&
			  strncmp(identity, "\"_RETURN\" on ", 13) == 0)))
			continue;

		entry->dropped = lappend(entry->dropped,
								 migrate_ddl_log_object(true,
										  pstrdup(GetCommandTagName(trigdata->tag)),
										  object_type, row_text(&rows, 7),
										  identity, !original,
										  definition_of(entry, row_oid(&rows, 0),
														row_oid(&rows, 1))));
	}
	MemoryContextSwitchTo(old);

	PG_RETURN_NULL();
}

/*
 * True if a row of pg_event_trigger_ddl_commands() is about a temporary
 * object.
 */
static bool
reported_temporary(EventRows *rows)
{
	char	   *schema_name = row_text(rows, 5);
	CollectedCommand *cmd;

	if (schema_name)
		return strcmp(schema_name, "pg_temp") == 0;
	cmd = (CollectedCommand *) DatumGetPointer(rows->slot->tts_values[8]);
	if (cmd->type == SCT_Grant)
		return migrate_ddl_grant_temporary(cmd->d.grant.istmt->objtype,
										   cmd->d.grant.istmt->objects);
	if (rows->slot->tts_isnull[0])
		return false;
	return migrate_ddl_object_temporary(row_oid(rows, 0), row_oid(rows, 1));
}

/*
 * The extension an object reported is a member of, or InvalidOid; for a
 * GRANT or REVOKE, the one extension all its objects are members of.
 */
static Oid
reported_extension(EventRows *rows)
{
	CollectedCommand *cmd;

	cmd = (CollectedCommand *) DatumGetPointer(rows->slot->tts_values[8]);
	if (cmd->type == SCT_Grant)
		return migrate_ddl_grant_extension(cmd->d.grant.istmt->objtype,
										   cmd->d.grant.istmt->objects);
	if (rows->slot->tts_isnull[0] || rows->slot->tts_isnull[1])
		return InvalidOid;
	return getExtensionOfObject(row_oid(rows, 0), row_oid(rows, 1));
}

/*
 * True if an object reported is the migrate extension itself.
 */
static bool
reported_migrate(const char *object_type, const char *identity)
{
	return object_type && identity && strcmp(object_type, "extension") == 0 &&
		strcmp(identity, "migrate") == 0;
}

/*
 * Whether a statement that reported no object concerned temporary
 * objects (migrate_try_in_subtransaction: the names are looked up again).
 */
typedef struct NamesCheck
{
	Node	   *parsetree;
	bool		temporary;
} NamesCheck;

static void
names_check_work(void *arg)
{
	NamesCheck *nc = (NamesCheck *) arg;

	nc->temporary = migrate_ddl_names_temporary(nc->parsetree);
}

/*
 * ddl_command_end() returns event_trigger
 */
Datum
migrate_ddl_command_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = event_trigger_data(fcinfo,
													"migrate.ddl_command_end");
	PendingCommand *entry = pending_for(trigdata->parsetree, false);
	List	   *objects = NIL;
	EventRows	reported;
	Oid			seqid;
	int			nreported = 0;
	int			nmembers = 0;
	Oid			about_extension = InvalidOid;
	LogObject  *last = NULL;

	if (history_off(trigdata->parsetree, &seqid))
	{
		pending_done(entry);
		PG_RETURN_NULL();
	}

	if (entry)
		objects = list_copy(entry->dropped);

	event_rows(F_PG_EVENT_TRIGGER_DDL_COMMANDS, &reported);
	while (next_row(&reported))
	{
		char	   *command_tag = row_text(&reported, 3);
		char	   *object_type = row_text(&reported, 4);
		char	   *identity = row_text(&reported, 6);

		nreported++;
		if (reported_temporary(&reported) ||
			reported_migrate(object_type, identity))
			continue;
		/* the one extension every object reported belongs to, if any */
		{
			Oid			ext = reported_extension(&reported);

			if (nmembers++ == 0)
				about_extension = ext;
			else if (ext != about_extension)
				about_extension = InvalidOid;
		}
		/* CREATE OR REPLACE VIEW reports the view twice */
		if (last && identity && last->identity &&
			strcmp(identity, last->identity) == 0 &&
			strcmp(command_tag, last->command_tag) == 0)
			continue;
		last = migrate_ddl_log_object(false, command_tag, object_type,
						   row_text(&reported, 5), identity, false,
						   definition_of(entry, row_oid(&reported, 0),
										 row_oid(&reported, 1)));
		objects = lappend(objects, last);
	}

	/*
	 * A command whose objects were all temporary is not recorded; one that
	 * reported no object at all is, without one, unless its names say it
	 * was about temporary objects.
	 */
	if (objects == NIL)
	{
		bool		temporary = true;

		if (nreported == 0 && (entry == NULL || entry->ndropped == 0))
		{
			NamesCheck	nc = {.parsetree = trigdata->parsetree,.temporary = false};

			(void) migrate_try_in_subtransaction(names_check_work, &nc);
			temporary = nc.temporary;
		}
		if (temporary)
		{
			pending_done(entry);
			PG_RETURN_NULL();
		}
	}

	write_command(trigdata, entry, seqid, objects,
				  nreported > 0 && (entry == NULL || entry->ndropped == 0) ?
				  about_extension : InvalidOid);

	pending_done(entry);
	PG_RETURN_NULL();
}
