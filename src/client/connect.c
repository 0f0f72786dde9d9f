/*-------------------------------------------------------------------------
 *
 * connect.c
 *	  pg_migrate's connection: libpq's options, the server's notices as
 *	  they arrive, and errors with every field the server sent.
 *
 * The connection takes what the command line gives (-d, which may be a
 * URL or a connection string, -h, -p, -U) and leaves the rest to libpq:
 * PG* variables, service files, .pgpass.  The client encoding is set to
 * the server's, so that files are sent as their bytes, as load() reads
 * them on the server.  Notices are printed on stderr as libpq reads
 * them, while the call still runs, so a long deploy shows each migration
 * as it is applied; --quiet keeps NOTICE and INFO quiet, never a WARNING.
 *
 * IDENTIFICATION
 *	  src/client/connect.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/*
 * Print a notice, warning or info message of the server, unless quiet.
 */
static void
notice_receiver(void *arg, const PGresult *res)
{
	const Options *opts = (const Options *) arg;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	if (opts->quiet && severity &&
		(strcmp(severity, "NOTICE") == 0 || strcmp(severity, "INFO") == 0 ||
		 strcmp(severity, "LOG") == 0 || strcmp(severity, "DEBUG") == 0))
		return;
	fputs(PQresultErrorMessage(res), stderr);
	fflush(stderr);
}

/*
 * True if a -d value is a connection string or URL rather than a
 * database name, as libpq decides.
 */
static bool
is_connstr(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
		strncmp(s, "postgres://", 11) == 0 || strchr(s, '=') != NULL;
}

/*
 * Connect as the options say.  NULL when that fails, with the message
 * printed and *status set: EXIT_ERROR for a connection string that does
 * not parse, EXIT_CONNECT when the server cannot be reached or refuses.
 */
PGconn *
client_connect(const Options *opts, int *status)
{
	const char *keywords[6];
	const char *values[6];
	int			n = 0;
	PGconn	   *conn;
	const char *encoding;

	if (opts->dbname && is_connstr(opts->dbname))
	{
		char	   *err = NULL;
		PQconninfoOption *parsed = PQconninfoParse(opts->dbname, &err);

		if (parsed == NULL)
		{
			size_t		len = err ? strlen(err) : 0;

			while (len > 0 && err[len - 1] == '\n')
				len--;
			client_error("invalid connection string \"%s\": %.*s",
						 opts->dbname, (int) len, err ? err : "out of memory");
			client_hint("Pass a database name, a URL such as postgresql://user@host:5432/db, or a connection string such as \"host=db port=5432 dbname=app\".");
			PQfreemem(err);
			*status = EXIT_ERROR;
			return NULL;
		}
		PQconninfoFree(parsed);
	}

	/* the expanded -d first, so that -h, -p and -U override it */
	if (opts->dbname)
	{
		keywords[n] = "dbname";
		values[n++] = opts->dbname;
	}
	if (opts->host)
	{
		keywords[n] = "host";
		values[n++] = opts->host;
	}
	if (opts->port)
	{
		keywords[n] = "port";
		values[n++] = opts->port;
	}
	if (opts->username)
	{
		keywords[n] = "user";
		values[n++] = opts->username;
	}
	keywords[n] = "fallback_application_name";
	values[n++] = progname;
	keywords[n] = NULL;
	values[n] = NULL;

	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		const char *msg = conn ? PQerrorMessage(conn) : "out of memory";
		size_t		len = strlen(msg);

		while (len > 0 && msg[len - 1] == '\n')
			len--;
		client_error("%.*s", (int) len, msg);
		output_json_error(opts, NULL, msg, EXIT_CONNECT);
		PQfinish(conn);
		*status = EXIT_CONNECT;
		return NULL;
	}
	PQsetNoticeReceiver(conn, notice_receiver, (void *) opts);

	encoding = PQparameterStatus(conn, "server_encoding");
	if (encoding && PQsetClientEncoding(conn, encoding) != 0)
	{
		client_error("could not set the client encoding to %s: %s",
					 encoding, PQerrorMessage(conn));
		PQfinish(conn);
		*status = EXIT_ERROR;
		return NULL;
	}
	*status = EXIT_OK;
	return conn;
}

/*
 * Print the lines of a field, each as "pg_migrate: LABEL: line".
 */
static void
report_lines(const char *label, const char *text)
{
	while (text && *text)
	{
		const char *nl = strchr(text, '\n');
		int			len = nl ? (int) (nl - text) : (int) strlen(text);

		fprintf(stderr, "%s: %s: %.*s\n", progname, label, len, text);
		text = nl ? nl + 1 : NULL;
	}
}

/*
 * Print a failed result's error: SQLSTATE and message, then detail,
 * hint and context, as the server sent them.
 */
void
client_report_error(const PGresult *res)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (msg == NULL)
	{
		/* no fields: an error of libpq itself, such as a lost connection */
		const char *text = PQresultErrorMessage(res);
		size_t		len = strlen(text);

		while (len > 0 && text[len - 1] == '\n')
			len--;
		client_error("%.*s", (int) len, text);
		return;
	}
	if (sqlstate)
		client_error("%s: %s", sqlstate, msg);
	else
		client_error("%s", msg);
	report_lines("detail", PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
	report_lines("hint", PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
	report_lines("context", PQresultErrorField(res, PG_DIAG_CONTEXT));
}

/*
 * Run one statement with text parameters (NULL for SQL NULL).
 */
PGresult *
client_query(PGconn *conn, const char *sql, int nparams,
			 const char *const *params)
{
	if (nparams == 0)
		return PQexec(conn, sql);
	return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
}

/*
 * True if the server has the function (a regprocedure such as
 * "migrate.plan(text)").  A function that a later version of migrate
 * brings may not be there yet.
 */
bool
client_function_exists(PGconn *conn, const char *signature)
{
	const char *params[1] = {signature};
	PGresult   *res = client_query(conn,
								   "SELECT pg_catalog.to_regprocedure($1) IS NOT NULL",
								   1, params);
	bool		exists;

	exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return exists;
}
