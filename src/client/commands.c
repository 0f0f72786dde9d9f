/*-------------------------------------------------------------------------
 *
 * commands.c
 *	  pg_migrate's subcommands that are one SQL call each: status, check,
 *	  latest, rollback, run, redo, plan, lint and verify.
 *
 * Each runs exactly the statement the README shows for it, with the
 * command line's values as parameters, never pasted into the SQL (CALL
 * run() goes through the simple protocol, as psql sends it, with its
 * target quoted by libpq).  plan(), lint() and verify() come with later
 * versions of migrate: when the server's extension has no such function,
 * pg_migrate says so and exits with 2.  verify exits with 1 when a
 * migration's result is not "ok", as check does when it fails, so that a
 * CI job can run it on its own.
 *
 * IDENTIFICATION
 *	  src/client/commands.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/*
 * One subcommand: its SQL, the function it needs, and its parameters.
 */
typedef struct SqlCommand
{
	const char *name;
	const char *sql;
	const char *needs;			/* regprocedure, checked first, or NULL */
} SqlCommand;

static const SqlCommand sql_commands[] = {
	{"status", "SELECT * FROM migrate.status", NULL},
	{"check", "SELECT * FROM migrate.check()", NULL},
	{"check --fail-on", "SELECT * FROM migrate.check(fail_on => pg_catalog.string_to_array($1, ','))", NULL},
	{"latest", "SELECT * FROM migrate.latest(target => $1, dry_run => $2)", NULL},
	{"rollback", "SELECT * FROM migrate.rollback(target => $1, dry_run => $2)", NULL},
	{"redo", "SELECT * FROM migrate.redo($1)", NULL},
	{"plan", "SELECT * FROM migrate.plan($1)", "migrate.plan(text)"},
	{"lint", "SELECT * FROM migrate.lint($1)", "migrate.lint(text)"},
	{"lint --file", "SELECT * FROM migrate.lint_sql($1)", "migrate.lint_sql(text)"},
	{"verify", "SELECT * FROM migrate.verify($1)", "migrate.verify(text)"},
};

/*
 * The contents of a file on this machine, or NULL with the error
 * printed.
 */
static char *
read_script(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	Buffer		b;
	char		chunk[8192];
	size_t		n;

	if (f == NULL)
	{
		client_error("could not open file \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	buffer_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buffer_append(&b, chunk, n);
	if (ferror(f))
	{
		client_error("could not read file \"%s\": %s", path, strerror(errno));
		fclose(f);
		free(b.data);
		return NULL;
	}
	fclose(f);
	if (strlen(b.data) != b.len)
	{
		client_error("file \"%s\" contains a zero byte: it is not a text file", path);
		free(b.data);
		return NULL;
	}
	return b.data;
}

/*
 * Say that the server's migrate has no such function.
 */
static int
missing_function(const Options *opts, const char *signature)
{
	char		message[256];

	snprintf(message, sizeof(message),
			 "the server's migrate extension has no function %s", signature);
	client_error("%s", message);
	client_hint("It comes with a later version of migrate: install it on the server and run ALTER EXTENSION migrate UPDATE.");
	output_json_error(opts, NULL, message, EXIT_ERROR);
	return EXIT_ERROR;
}

/*
 * Whether a result of verify() has a row whose "result" is not "ok".
 */
static bool
verify_failed(const PGresult *res)
{
	int			col = PQfnumber(res, "result");
	int			r;

	if (col < 0)
		return false;
	for (r = 0; r < PQntuples(res); r++)
		if (strcmp(PQgetvalue(res, r, col), "ok") != 0)
			return true;
	return false;
}

/*
 * Run the call of the command, print its result, and return the exit
 * status: check() failing (SQLSTATE MG001) or a verify() result that is
 * not ok is 1, any other error 2.
 */
int
command_sql(const Options *opts, PGconn *conn)
{
	const char *name = opts->command;
	const SqlCommand *cmd = NULL;
	const char *params[2] = {NULL, NULL};
	int			nparams = 0;
	char	   *script = NULL;
	char	   *call = NULL;
	PGresult   *res;
	ExecStatusType rs;
	int			status;
	size_t		i;

	if (strcmp(name, "check") == 0 && opts->fail_on)
		name = "check --fail-on";
	else if (strcmp(name, "lint") == 0 && opts->file)
		name = "lint --file";

	if (strcmp(name, "run") == 0)
	{
		/* CALL commits inside: sent as psql sends it */
		if (opts->target)
		{
			char	   *quoted = PQescapeLiteral(conn, opts->target, strlen(opts->target));

			if (quoted == NULL)
			{
				client_error("%s", PQerrorMessage(conn));
				return EXIT_ERROR;
			}
			call = client_malloc(strlen(quoted) + 40);
			sprintf(call, "CALL migrate.run(target => %s)", quoted);
			PQfreemem(quoted);
		}
		else
			call = client_strdup("CALL migrate.run()");
		res = PQexec(conn, call);
		free(call);
	}
	else
	{
		for (i = 0; i < sizeof(sql_commands) / sizeof(sql_commands[0]); i++)
			if (strcmp(sql_commands[i].name, name) == 0)
				cmd = &sql_commands[i];
		if (cmd == NULL)
		{
			client_error("unknown command \"%s\"", name);
			return EXIT_ERROR;
		}
		if (cmd->needs && !client_function_exists(conn, cmd->needs))
			return missing_function(opts, cmd->needs);

		if (strcmp(name, "check --fail-on") == 0)
			params[nparams++] = opts->fail_on;
		else if (strcmp(name, "latest") == 0 || strcmp(name, "rollback") == 0)
		{
			params[nparams++] = opts->target;
			params[nparams++] = opts->dry_run ? "true" : "false";
		}
		else if (strcmp(name, "plan") == 0)
			params[nparams++] = opts->target;
		else if (strcmp(name, "lint --file") == 0)
		{
			if ((script = read_script(opts->file)) == NULL)
			{
				output_json_error(opts, NULL, "could not read the script", EXIT_ERROR);
				return EXIT_ERROR;
			}
			params[nparams++] = script;
		}
		else if (strcmp(name, "redo") == 0 || strcmp(name, "lint") == 0 ||
				 strcmp(name, "verify") == 0)
			params[nparams++] = opts->nargs > 0 ? opts->args[0] : NULL;
		res = client_query(conn, cmd->sql, nparams, params);
	}

	rs = PQresultStatus(res);
	if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK)
	{
		status = EXIT_OK;
		if (strcmp(name, "verify") == 0 && verify_failed(res))
			status = EXIT_CHECK;
		output_result(opts, res, status);
	}
	else
	{
		const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		status = sqlstate && strcmp(sqlstate, SQLSTATE_CHECK_FAILED) == 0 ?
			EXIT_CHECK : EXIT_ERROR;
		client_report_error(res);
		output_json_error(opts, res, NULL, status);
	}
	PQclear(res);
	free(script);
	return status;
}
