/*-------------------------------------------------------------------------
 *
 * util.c
 *	  What every file of pg_migrate uses: its messages, in the form of
 *	  PostgreSQL's client programs ("pg_migrate: error: ..."), memory
 *	  that exits when there is none, and a growing string buffer.
 *
 * IDENTIFICATION
 *	  src/client/util.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

const char *progname = "pg_migrate";

/*
 * Messages, as PostgreSQL's client programs print them.
 */
static void message(const char *level, const char *fmt, va_list args)
			__attribute__((format(printf, 2, 0)));

static void
message(const char *level, const char *fmt, va_list args)
{
	fprintf(stderr, "%s: %s: ", progname, level);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

void
client_error(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	message("error", fmt, args);
	va_end(args);
}

void
client_detail(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	message("detail", fmt, args);
	va_end(args);
}

void
client_hint(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	message("hint", fmt, args);
	va_end(args);
}

/*
 * malloc() that exits when out of memory.
 */
void *
client_malloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
	{
		client_error("out of memory");
		exit(EXIT_ERROR);
	}
	return p;
}

char *
client_strdup(const char *s)
{
	size_t		len = strlen(s);
	char	   *p = client_malloc(len + 1);

	memcpy(p, s, len + 1);
	return p;
}

void
buffer_init(Buffer *b)
{
	b->size = 1024;
	b->len = 0;
	b->data = client_malloc(b->size);
	b->data[0] = '\0';
}

void
buffer_append(Buffer *b, const char *data, size_t len)
{
	if (b->len + len + 1 > b->size)
	{
		char	   *bigger;

		while (b->len + len + 1 > b->size)
			b->size *= 2;
		bigger = client_malloc(b->size);
		memcpy(bigger, b->data, b->len);
		free(b->data);
		b->data = bigger;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buffer_puts(Buffer *b, const char *s)
{
	buffer_append(b, s, strlen(s));
}

