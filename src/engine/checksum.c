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

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_checksum_sql);

/*
 * Hex SHA-256 checksum of scripts "up" (of "uplen" bytes) and "down" (of
 * "downlen" bytes, or NULL).  The scripts are hashed where they are, not
 * copied: a migration may be large, and the generated checksum column
 * computes this on every INSERT.
 */
static char *
checksum_of(const char *up, size_t uplen, const char *down, size_t downlen)
{
	static const uint8 zero = 0;
	static const uint8 one = 1;
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex;
	uint64		hexlen;

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) up, uplen) < 0 ||
		pg_cryptohash_update(ctx, &zero, 1) < 0 ||
		(down != NULL &&
		 (pg_cryptohash_update(ctx, &one, 1) < 0 ||
		  pg_cryptohash_update(ctx, (const uint8 *) down, downlen) < 0)) ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute a SHA-256 checksum: %s",
			 pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);

	hex = palloc(MIGRATE_CHECKSUM_LEN + 1);
	hexlen = hex_encode((const char *) digest, sizeof(digest), hex);
	hex[hexlen] = '\0';
	return hex;
}

/*
 * Hex SHA-256 checksum of a migration's up and down scripts.
 */
char *
migrate_checksum(const char *up, const char *down)
{
	return checksum_of(up, strlen(up), down, down ? strlen(down) : 0);
}

/*
 * checksum(up text, down text) returns text
 */
Datum
migrate_checksum_sql(PG_FUNCTION_ARGS)
{
	text	   *up;
	text	   *down = NULL;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("up must not be NULL"),
				 errdetail("A migration always has an up script.")));
	up = PG_GETARG_TEXT_PP(0);
	if (!PG_ARGISNULL(1))
		down = PG_GETARG_TEXT_PP(1);

	PG_RETURN_TEXT_P(cstring_to_text(checksum_of(VARDATA_ANY(up), VARSIZE_ANY_EXHDR(up),
												 down ? VARDATA_ANY(down) : NULL,
												 down ? VARSIZE_ANY_EXHDR(down) : 0)));
}
