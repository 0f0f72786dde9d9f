/*-------------------------------------------------------------------------
 *
 * version.c
 *	  Migration versions: validation and natural order.
 *
 * A version is 1 to 128 characters out of [A-Za-z0-9._-], starting with a
 * letter or a digit.  Versions sort in natural order: runs of digits
 * compare as numbers and everything else byte-wise, so 2 < 10,
 * 1.9 < 1.10 and 20240101 < 20240102.
 *
 * The order is expressed as a sort key (a bytea compared with memcmp), so
 * that SQL can ORDER BY migrate.version_key(version) and C code compares
 * the same keys: there is exactly one definition of the order.
 *
 * The key is built segment by segment:
 *	- a byte that is not a digit stands for itself;
 *	- a run of digits becomes '0', the count of its significant digits
 *	  (leading zeros dropped) as one byte, then those digits.
 * The marker '0' keeps digit runs where digits sort among the other bytes
 * ('.' < digits < letters), the count makes longer numbers sort after
 * shorter ones, and equal counts compare digit by digit.  Versions that
 * differ only in leading zeros ("01" and "1") would get equal keys, so the
 * key ends with a zero byte and the version itself: no key byte at a
 * segment start is zero, so this only ever breaks ties.
 *
 * IDENTIFICATION
 *	  src/engine/version.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_version_key);
PG_FUNCTION_INFO_V1(migrate_version_cmp);

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_version_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
		c == '.' || c == '_' || c == '-';
}

/*
 * Raise an error unless "version" is a well-formed migration version.
 * "argname" names the argument in the message.
 */
void
migrate_check_version(const char *version, const char *argname)
{
	size_t		len;
	const char *p;

	if (version == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname),
				 errhint("Pass the migration's version, for example '0001' or '20240101120000'.")));

	len = strlen(version);
	for (p = version; *p; p++)
		if (!is_version_char(*p))
			break;

	if (len == 0 || len > MIGRATE_VERSION_MAXLEN || *p != '\0' ||
		!(is_digit(version[0]) || (version[0] >= 'A' && version[0] <= 'Z') ||
		  (version[0] >= 'a' && version[0] <= 'z')))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 strcmp(argname, "version") == 0 ?
				 errmsg("invalid migration version \"%s\"", version) :
				 errmsg("invalid migration version \"%s\" for %s", version, argname),
				 errdetail("A version is 1 to %d letters, digits, dots, underscores or hyphens, starting with a letter or a digit.",
						   MIGRATE_VERSION_MAXLEN),
				 errhint("Use a version such as '0001', '1.2.0' or '20240101120000'; versions sort in natural order.")));
}

/*
 * Check the version of a migration being registered: a valid version,
 * and not 'zero', which targets take to mean "before the first migration".
 */
void
migrate_check_new_version(const char *version)
{
	migrate_check_version(version, "version");
	if (strcmp(version, "zero") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"zero\" is not a migration version"),
				 errdetail("The target 'zero' means before the first migration. Nothing was registered."),
				 errhint("Use another version; pass 'zero' only as a target, as in migrate.rollback(target => 'zero').")));
}

/*
 * Build the natural-order sort key of a (valid) version.
 */
bytea *
migrate_version_sort_key(const char *version)
{
	size_t		len = strlen(version);
	bytea	   *key;
	char	   *out;
	const char *p = version;

	/*
	 * A byte of the version needs at most three bytes of key (a one-digit
	 * run: marker, count, digit), then comes the tie-breaker.
	 */
	key = (bytea *) palloc(VARHDRSZ + 3 * len + 1 + len);
	out = VARDATA(key);

	while (*p)
	{
		if (is_digit(*p))
		{
			const char *start;
			const char *end;

			while (*p == '0' && is_digit(p[1]))
				p++;
			if (*p == '0')
			{
				/* the run is all zeros: the number zero, no digits */
				p++;
				*out++ = '0';
				*out++ = (char) 0;
				continue;
			}
			start = p;
			while (is_digit(*p))
				p++;
			end = p;
			*out++ = '0';
			*out++ = (char) (end - start);
			memcpy(out, start, end - start);
			out += end - start;
		}
		else
			*out++ = *p++;
	}
	*out++ = '\0';
	memcpy(out, version, len);
	out += len;

	SET_VARSIZE(key, out - (char *) key);
	return key;
}

/*
 * Compare two sort keys as bytea compares them (memcmp, then length):
 * negative, zero or positive as "a" sorts before, with or after "b".
 */
int
migrate_sort_key_compare(const bytea *a, const bytea *b)
{
	int			la = VARSIZE_ANY_EXHDR(a);
	int			lb = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/*
 * Compare two (valid) versions in natural order: negative, zero or
 * positive as "a" sorts before, equal to or after "b".
 */
int
migrate_version_compare(const char *a, const char *b)
{
	bytea	   *ka = migrate_version_sort_key(a);
	bytea	   *kb = migrate_version_sort_key(b);
	int			c = migrate_sort_key_compare(ka, kb);

	pfree(ka);
	pfree(kb);
	return c;
}

/*
 * version_key(text) returns bytea
 *
 * The natural-order sort key of a version, for ORDER BY.  Raises an error
 * for an invalid version rather than inventing an order for it.
 */
Datum
migrate_version_key(PG_FUNCTION_ARGS)
{
	char	   *version = text_to_cstring(PG_GETARG_TEXT_PP(0));

	migrate_check_version(version, "version");
	PG_RETURN_BYTEA_P(migrate_version_sort_key(version));
}

/*
 * version_cmp(text, text) returns integer
 *
 * -1, 0 or 1 as the first version sorts before, equal to or after the
 * second in natural order.
 */
Datum
migrate_version_cmp(PG_FUNCTION_ARGS)
{
	char	   *a = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *b = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			c;

	migrate_check_version(a, "a");
	migrate_check_version(b, "b");
	c = migrate_version_compare(a, b);
	PG_RETURN_INT32(c < 0 ? -1 : (c > 0 ? 1 : 0));
}
