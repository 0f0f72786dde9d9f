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
 * An object of a command of the drift, as capture() reads it (drift.c, inverse.c).
 */
typedef struct CapturedRow
{
	bool		dropped;
	char	   *command_tag;
	char	   *object_type;
	char	   *identity;
	char	   *definition;
	bool		cascaded;
} CapturedRow;

/*
 * One DDL command of the drift: its statement and the objects it reported.
 */
typedef struct CapturedCommand
{
	char	   *statement;
	List	   *rows;			/* CapturedRow, NIL if it changed nothing */
} CapturedCommand;

extern char *migrate_ddl_inverse(Node *stmt, CapturedCommand *cmd);

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
} LogObject;

extern LogObject *migrate_ddl_log_object(bool dropped, char *command_tag,
										 char *object_type, char *schema_name,
										 char *identity, bool cascaded,
										 char *definition);
extern Datum migrate_ddl_objects_jsonb(List *objects);
extern LogObject *migrate_ddl_main_object(List *objects, const char *command_tag);
extern Datum migrate_ddl_text_datum(const char *s, bool *null);
extern Datum migrate_ddl_client_addr(bool *isnull);
extern Datum migrate_ddl_name_datum(const char *s);

#endif							/* MIGRATE_DDL_H */
