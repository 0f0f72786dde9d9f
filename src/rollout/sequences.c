/*-------------------------------------------------------------------------
 *
 * sequences.c
 *	  migrate's own sequences around a call that is rolled back: what
 *	  they were, and putting them back when only this transaction took
 *	  values from them.
 *
 * plan() and verify() run migrations and roll them back.  PostgreSQL
 * rolls back every row they wrote but no sequence value, so the
 * sequences that number the history and the DDL history would be left
 * advanced, and pg_dump would show it.  They are put back when every
 * value taken since was taken by this transaction: then nothing can
 * ever have been numbered with those values but rows the rollback
 * removes.
 *
 * IDENTIFICATION
 *	  src/rollout/sequences.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "rollout/rollout.h"

static MigrateQuery history_seq_query = {
	.sql = "SELECT last_value, is_called FROM migrate.history_id_seq",
	.nargs = 0
};

static MigrateQuery ddl_log_seq_query = {
	.sql = "SELECT last_value, is_called FROM migrate.ddl_log_id_seq",
	.nargs = 0
};

static MigrateQuery history_mine_query = {
	.sql = "SELECT xmin FROM migrate.history WHERE id OPERATOR(pg_catalog.>) $1",
	.nargs = 1,
	.argtypes = {INT8OID}
};

static MigrateQuery ddl_log_mine_query = {
	.sql = "SELECT xmin FROM migrate.ddl_log WHERE id OPERATOR(pg_catalog.>) $1",
	.nargs = 1,
	.argtypes = {INT8OID}
};

static MigrateQuery setval_query = {
	.sql = "SELECT pg_catalog.setval($1::pg_catalog.regclass, $2, $3)",
	.nargs = 3,
	.argtypes = {TEXTOID, INT8OID, BOOLOID}
};

/*
 * Read one of migrate's own sequences, as the extension's owner.
 */
static void
read_own_sequence(MigrateOwnSequence *s)
{
	bool		isnull;

	(void) migrate_store_exec(s->read, NULL, NULL, 1);
	s->last_value = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	s->is_called = DatumGetBool(migrate_store_getdatum(0, 2, &isnull));
	migrate_store_done();
}

/* the values a sequence has handed out, counting from its start */
static int64
values_given(int64 last_value, bool is_called)
{
	return is_called ? last_value : last_value - 1;
}

/*
 * Note where migrate's sequences are ("own" has MIGRATE_OWN_SEQUENCES
 * entries): the history's, then the DDL history's.
 */
void
migrate_own_sequences_save(MigrateOwnSequence *own)
{
	int			i;

	own[0].seqname = "migrate.history_id_seq";
	own[0].lock_protected = true;
	own[0].read = &history_seq_query;
	own[0].mine = &history_mine_query;
	own[1].seqname = "migrate.ddl_log_id_seq";
	own[1].lock_protected = false;
	own[1].read = &ddl_log_seq_query;
	own[1].mine = &ddl_log_mine_query;
	for (i = 0; i < MIGRATE_OWN_SEQUENCES; i++)
		read_own_sequence(&own[i]);
}

/*
 * How many values sequence "s" has handed out by now, counting from its
 * start (the "since" of migrate_own_sequence_ours()).
 */
int64
migrate_own_sequence_given(const MigrateOwnSequence *s)
{
	MigrateOwnSequence now = *s;

	read_own_sequence(&now);
	return values_given(now.last_value, now.is_called);
}

/*
 * How many of the rows that "s" numbered after value "since" this
 * transaction wrote, as far as they are not rolled back yet.
 */
int64
migrate_own_sequence_ours(const MigrateOwnSequence *s, int64 since)
{
	Datum		arg = Int64GetDatum(since);
	int64		ours = 0;
	uint64		i;

	(void) migrate_store_exec(s->mine, &arg, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		TransactionId xmin = DatumGetTransactionId(migrate_store_getdatum(i, 1, &isnull));

		if (TransactionIdIsCurrentTransactionId(xmin))
			ours++;
	}
	migrate_store_done();
	return ours;
}

/*
 * Put migrate's sequence "s" back where it was when it was saved, if
 * every value taken since was taken by this transaction.  The sequence
 * that numbers the history is written only under the migrate lock, which
 * the caller holds, so nobody else can have taken one; the DDL history's
 * is written by any DDL, so its rows are counted, and "explained" values
 * are added to them: those the caller counted as its own in
 * subtransactions rolled back since.  Returns how many values are lost
 * when it cannot be put back, else 0.
 */
int64
migrate_own_sequence_restore(MigrateOwnSequence *s, int64 explained)
{
	int64		since = values_given(s->last_value, s->is_called);
	int64		taken = migrate_own_sequence_given(s) - since;
	Datum		args[3];

	if (taken <= 0)
		return 0;
	if (!s->lock_protected &&
		migrate_own_sequence_ours(s, since) + explained != taken)
		return taken;
	args[0] = CStringGetTextDatum(s->seqname);
	args[1] = Int64GetDatum(s->last_value);
	args[2] = BoolGetDatum(s->is_called);
	(void) migrate_store_exec(&setval_query, args, NULL, 0);
	migrate_store_done();
	return 0;
}
