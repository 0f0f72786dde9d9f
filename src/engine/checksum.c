/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  SHA-256 checksums of migrations.
 *
 * The checksum of a migration covers its up and its down script, so that
 * any change of either is seen.  It is the hex SHA-256 of
 *
 *		up || 0x00                     when down is NULL
 *		up || 0x00 || 0x01 || down     otherwise
 *
 * Text cannot contain a zero byte, so the separator is unambiguous, and
 * the 0x01 tells an empty down (a deliberate no-op) from a NULL one (an
 * irreversible migration).  The same definition is exposed to SQL as
 * migrate.checksum(up, down) so that other tools can compute it.
 *
 * IDENTIFICATION
 *	  src/engine/checksum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_checksum_sql);

/*
 * Hex SHA-256 checksum of a migration's up and down scripts.
 */
char *
migrate_checksum(const char *up, const char *down)
{
	size_t		uplen = strlen(up);
	size_t		downlen = down ? strlen(down) : 0;
	size_t		len = uplen + 1 + (down ? 1 + downlen : 0);
	bytea	   *buf = (bytea *) palloc(VARHDRSZ + len);
	char	   *p = VARDATA(buf);
	bytea	   *digest;
	char	   *hex;
	uint64		hexlen;

	memcpy(p, up, uplen);
	p += uplen;
	*p++ = '\0';
	if (down)
	{
		*p++ = '\1';
		memcpy(p, down, downlen);
	}
	SET_VARSIZE(buf, VARHDRSZ + len);

	/* sha256(bytea) is in core since PostgreSQL 11, the same everywhere */
	digest = DatumGetByteaPP(DirectFunctionCall1(sha256_bytea,
												 PointerGetDatum(buf)));
	hex = palloc(MIGRATE_CHECKSUM_LEN + 1);
	hexlen = hex_encode(VARDATA_ANY(digest), VARSIZE_ANY_EXHDR(digest), hex);
	hex[hexlen] = '\0';

	pfree(buf);
	return hex;
}

/*
 * checksum(up text, down text) returns text
 */
Datum
migrate_checksum_sql(PG_FUNCTION_ARGS)
{
	char	   *up;
	char	   *down = NULL;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("up must not be NULL"),
				 errdetail("A migration always has an up script.")));
	up = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
		down = text_to_cstring(PG_GETARG_TEXT_PP(1));

	PG_RETURN_TEXT_P(cstring_to_text(migrate_checksum(up, down)));
}
