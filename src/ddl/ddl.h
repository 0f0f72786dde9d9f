/*-------------------------------------------------------------------------
 *
 * ddl.h
 *	  DDL history: the event triggers that record every DDL statement in
 *	  migrate.ddl_log, each statement's own text, strict mode, and drift:
 *	  DDL made outside migrations, and capture() of it as a migration
 *	  with its inverse.
 *
 * trigger.c is the entry point of the event triggers; it calls down into
 * statement.c (the statement's own text), objects.c (what an object was
 * before a command changed it: the inverses) and the engine (which
 * migration is running).  drift.c reads the log and registers captures
 * through the engine.
 *
 * IDENTIFICATION
 *	  src/ddl/ddl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_DDL_H
#define MIGRATE_DDL_H

#include "engine/engine.h"
#include "utils/jsonb.h"

/*
 * The SQL that recreates an object as it was before a command changed or
 * dropped it (objects.c).
 */
typedef struct MigrateDefinition
{
	Oid			classid;
	Oid			objid;
	char	   *sql;
	int			natts;			/* a replaced view's number of columns */
	char	   *sql_if_grown;	/* for a view that gained columns */
} MigrateDefinition;

/*
 * migrate.ddl_log as sql/migrate--0.1.0.sql creates it: the event triggers
 * append its rows by these column numbers (trigger.c), and
 * test/sql/20_ddl_log.sql checks that a row so appended equals one the
 * executor inserts by column name.
 */
#define Natts_migrate_ddl_log						18
#define Anum_migrate_ddl_log_id						1
#define Anum_migrate_ddl_log_at						2
#define Anum_migrate_ddl_log_role					3
#define Anum_migrate_ddl_log_session_role			4
#define Anum_migrate_ddl_log_txid					5
#define Anum_migrate_ddl_log_command_tag			6
#define Anum_migrate_ddl_log_object_type			7
#define Anum_migrate_ddl_log_schema_name			8
#define Anum_migrate_ddl_log_object_identity		9
#define Anum_migrate_ddl_log_objects				10
#define Anum_migrate_ddl_log_statement				11
#define Anum_migrate_ddl_log_migration				12
#define Anum_migrate_ddl_log_in_extension			13
#define Anum_migrate_ddl_log_extension				14
#define Anum_migrate_ddl_log_top_level				15
#define Anum_migrate_ddl_log_backend_pid			16
#define Anum_migrate_ddl_log_application_name		17
#define Anum_migrate_ddl_log_client_addr			18

/* in statement.c */
extern void migrate_ddl_statement_init(void);
extern bool migrate_ddl_statement_hooked(Node *parsetree);
extern bool migrate_ddl_statement_running(void);
extern char *migrate_ddl_statement_text(Node *parsetree, bool *top_level);

/* in objects.c */
extern bool migrate_ddl_names_temporary(Node *parsetree);
extern bool migrate_ddl_object_temporary(Oid classid, Oid objid);
extern bool migrate_ddl_grant_temporary(ObjectType objtype, List *objects);
extern Oid	migrate_ddl_grant_extension(ObjectType objtype, List *objects);
extern RangeVar *migrate_ddl_owner_relation(List *names);
extern int	migrate_ddl_relation_columns(Oid relid);
extern List *migrate_ddl_definitions_before(Node *parsetree,
											MemoryContext resultcxt);

/* in strict.c */
extern int	migrate_strict_mode(void);
extern void migrate_strict_refuse(const char *tag, const char *statement);
extern void migrate_strict_warn(const char *tag);

/* in drop.c */
extern void migrate_ddl_refuse_drop(Node *parsetree);

/* in trigger.c */
extern void migrate_ddl_init(void);

/*
 * A table's column or constraint as an ALTER TABLE found it, and the
 * table's state (tablestate.c).
 */
typedef struct TableColumn
{
	char	   *name;
	char	   *type;			/* format_type() with its typmod */
	char	   *collation;		/* NULL: the type's */
	bool		not_null;
	char	   *default_sql;	/* NULL: none */
} TableColumn;

typedef struct TableConstraint
{
	char	   *name;
	char	   *definition;		/* ALTER TABLE ... ADD CONSTRAINT ... */
} TableConstraint;

/*
 * An object of a GRANT or REVOKE, with its ACL before and after as text
 * (grants.c).
 */
typedef struct GrantAcl
{
	Oid			classid;
	Oid			objid;
	char	   *kind;			/* TABLE, SEQUENCE or SCHEMA */
	char	   *identity;
	char	   *before;
	char	   *after;
} GrantAcl;

typedef struct TableState
{
	Oid			relid;
	List	   *columns;		/* TableColumn, in column order */
	List	   *constraints;	/* TableConstraint */
	MemoryContext cxt;			/* where it lives, if its own */
} TableState;

/*
 * An object of a command of the drift, as capture() reads it (drift.c,
 * inverse.c).  The table of a tracked ALTER TABLE has what it changed.
 */
typedef struct CapturedRow
{
	bool		dropped;
	char	   *command_tag;
	char	   *object_type;
	char	   *identity;
	char	   *definition;
	bool		cascaded;
	bool		tracked;
	bool		unchanged;
	bool		columns_changed;
	List	   *columns_before; /* TableColumn */
	List	   *constraints_added;	/* TableConstraint */
	List	   *constraints_dropped;	/* TableConstraint */
	List	   *acls;			/* GrantAcl of a tracked GRANT or REVOKE */
} CapturedRow;

/*
 * One DDL command of the drift: its statement and the objects it reported.
 */
typedef struct CapturedCommand
{
	int64		id;				/* in migrate.ddl_log */
	char	   *statement;
	List	   *rows;			/* CapturedRow, NIL if it changed nothing */
	Node	   *stmt;			/* its raw parse tree */
	bool		settled;		/* the net change leaves nothing to undo */
} CapturedCommand;

/*
 * The rows of the DDL commands of migrate.ddl_log l where "condition"
 * holds, one per object, as migrate_ddl_read_commands() reads them.
 */
#define MIGRATE_COMMAND_ROWS_SQL(condition) \
	"SELECT l.id, l.statement, o.dropped, o.command_tag, o.object_type," \
	"       o.object_identity, o.definition, o.cascaded, o.unchanged," \
	"       o.columns_before, o.constraints_added, o.constraints_dropped," \
	"       o.columns_changed, o.acls" \
	"  FROM migrate.ddl_log l" \
	"  LEFT JOIN LATERAL ROWS FROM (pg_catalog.jsonb_to_recordset(l.objects)" \
	"       AS (dropped pg_catalog.bool, command_tag pg_catalog.text," \
	"           object_type pg_catalog.text, object_identity pg_catalog.text," \
	"           definition pg_catalog.text, cascaded pg_catalog.bool," \
	"           unchanged pg_catalog.bool, columns_before pg_catalog.jsonb," \
	"           constraints_added pg_catalog.jsonb," \
	"           constraints_dropped pg_catalog.jsonb," \
	"           columns_changed pg_catalog.bool, acls pg_catalog.jsonb))" \
	"       WITH ORDINALITY AS o ON true" \
	" WHERE " condition \
	" ORDER BY l.id, o.ordinality"

/* in drift.c */
extern void migrate_ddl_require_log_privilege(AclMode mode, const char *function);

/* in inverse.c */
extern char *migrate_ddl_inverse(Node *stmt, CapturedCommand *cmd);

/* in netchange.c */
extern void migrate_ddl_net_change(List *commands, bool for_capture);
extern List *migrate_ddl_read_commands(MigrateQuery *query, Datum *args,
									   char *nulls, int64 *last_id);
extern List *migrate_ddl_roles_named(List *commands);

/*
 * An object a command created, altered or dropped: an element of the
 * objects column of its row (trigger.c, logrow.c).
 */
typedef struct LogObject
{
	bool		dropped;		/* by sql_drop */
	char	   *command_tag;
	char	   *object_type;
	char	   *schema_name;
	char	   *identity;
	bool		cascaded;
	char	   *definition;
	/* what a tracked ALTER TABLE changed (tablestate.c), for its table */
	bool		tracked;
	bool		unchanged;
	bool		columns_changed;
	List	   *columns_before;
	List	   *constraints_added;
	List	   *constraints_dropped;
	/* what a tracked GRANT or REVOKE changed (grants.c) */
	List	   *acls;
} LogObject;

extern LogObject *migrate_ddl_log_object(bool dropped, char *command_tag,
										 char *object_type, char *schema_name,
										 char *identity, bool cascaded,
										 char *definition);
extern Datum migrate_ddl_objects_jsonb(List *objects);
/* in jsonfield.c */
extern void migrate_ddl_push_field(JsonbParseState **state, const char *key,
								   const char *value);
extern void migrate_ddl_push_bool(JsonbParseState **state, const char *key,
								  bool value);
extern void migrate_ddl_push_key(JsonbParseState **state, const char *key);
extern bool migrate_ddl_json_bool(JsonbContainer *container, const char *key);
extern List *migrate_ddl_json_objects(Jsonb *array);
extern LogObject *migrate_ddl_main_object(List *objects, const char *command_tag);
extern Datum migrate_ddl_text_datum(const char *s, bool *null);
extern Datum migrate_ddl_client_addr(bool *isnull);
extern Datum migrate_ddl_name_datum(const char *s);

/* in tablestate.c */
extern TableState *migrate_ddl_table_state_before(Node *parsetree,
												  MemoryContext resultcxt);
extern void migrate_ddl_table_state_free(TableState *state);
extern void migrate_ddl_table_change(TableState *before, Node *parsetree,
									 LogObject *object);
extern void migrate_ddl_push_table_change(JsonbParseState **state,
										  LogObject *object);
extern List *migrate_ddl_columns_from_jsonb(Jsonb *array);
extern char *migrate_ddl_json_string(JsonbContainer *container, const char *key);
extern List *migrate_ddl_constraints_from_jsonb(Jsonb *array);

/* in grants.c */
extern List *migrate_ddl_grant_acls_before(Node *parsetree,
										   MemoryContext resultcxt);
extern void migrate_ddl_grant_acls_after(List *acls, LogObject *object);
extern void migrate_ddl_push_grant_acls(JsonbParseState **state,
										LogObject *object);
extern List *migrate_ddl_grant_acls_from_jsonb(Jsonb *array);
extern char *migrate_ddl_grant_inverse(List *acls);

#endif							/* MIGRATE_DDL_H */
