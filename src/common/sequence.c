/*-------------------------------------------------------------------------
 *
 * sequence.c
 *	  The next value of one of migrate's own sequences, without touching
 *	  the session state that lastval() and currval() report.
 *
 * DDL history numbers its rows from migrate.ddl_log_id_seq.  nextval()
 * (nextval_internal() included) makes that sequence the session's "last
 * used" one, so after any DDL a user's lastval() would return the log's
 * number instead of the value of the user's own last nextval(), or fail
 * with "permission denied for sequence ddl_log_id_seq" for a role that
 * may not read it.  PHP's PDO lastInsertId() and older ORMs call
 * lastval().  Recording DDL must not change what a user can observe, so
 * the value is taken here, the way nextval() takes it (the same buffer
 * lock, the same WAL record, the same pre-logging of values), but without
 * the backend's sequence cache and its "last used" pointer.
 *
 * Only ascending sequences without CYCLE are supported, which is what the
 * extension creates; nextval_internal() remains the fallback for anything
 * else (a DBA who altered the sequence).  The sequence's lock is released
 * as soon as the value is taken, as a catalog scan releases its locks:
 * the value is not transactional, and the lock would show in pg_locks.
 *
 * IDENTIFICATION
 *	  src/common/sequence.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xloginsert.h"
#include "catalog/pg_sequence.h"
#include "commands/sequence.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "common/common.h"

/*
 * The layout of a sequence's page, as commands/sequence.c defines it
 * (those definitions are private to that file).
 */
#define SEQ_MAGIC		0x1717
#define SEQ_LOG_VALS	32

typedef struct SequenceMagic
{
	uint32		magic;
} SequenceMagic;

/*
 * The next value of sequence "seqid".  The caller has checked that the
 * transaction may write.
 */
int64
migrate_sequence_next(Oid seqid)
{
	Relation	rel;
	HeapTuple	pgstuple;
	Form_pg_sequence pgsform;
	int64		incby;
	int64		maxv;
	bool		cycle;
	Buffer		buf;
	Page		page;
	ItemId		lp;
	HeapTupleData tuple;
	Form_pg_sequence_data seq;
	int64		result;
	int64		logged;
	int64		log_cnt;
	bool		logit;

	pgstuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqid));
	if (!HeapTupleIsValid(pgstuple))
		elog(ERROR, "cache lookup failed for sequence %u", seqid);
	pgsform = (Form_pg_sequence) GETSTRUCT(pgstuple);
	incby = pgsform->seqincrement;
	maxv = pgsform->seqmax;
	cycle = pgsform->seqcycle;
	ReleaseSysCache(pgstuple);

	if (incby <= 0 || cycle)
		return nextval_internal(seqid, false);

	rel = relation_open(seqid, AccessShareLock);
	buf = ReadBuffer(rel, 0);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	if (((SequenceMagic *) PageGetSpecialPointer(page))->magic != SEQ_MAGIC)
		elog(ERROR, "bad magic number in sequence \"%s\"",
			 RelationGetRelationName(rel));
	lp = PageGetItemId(page, FirstOffsetNumber);
	Assert(ItemIdIsNormal(lp));
	tuple.t_data = (HeapTupleHeader) PageGetItem(page, lp);
	tuple.t_len = ItemIdGetLength(lp);
	/* SELECT FOR UPDATE on a sequence is refused since 8.4 */
	Assert(HeapTupleHeaderGetRawXmax(tuple.t_data) == InvalidTransactionId);
	seq = (Form_pg_sequence_data) GETSTRUCT(&tuple);

	if (!seq->is_called)
		result = seq->last_value;
	else if (seq->last_value > maxv - incby)
		ereport(ERROR,
				(errcode(ERRCODE_SEQUENCE_GENERATOR_LIMIT_EXCEEDED),
				 errmsg("nextval: reached maximum value of sequence \"%s\" (" INT64_FORMAT ")",
						RelationGetRelationName(rel), maxv)));
	else
		result = seq->last_value + incby;

	/*
	 * As nextval() does: write a WAL record only every SEQ_LOG_VALS values,
	 * logging the state as it will be that many values later, and always
	 * for the first value after a checkpoint, so that replay from the
	 * checkpoint never hands out a value twice.
	 */
	logit = (!seq->is_called || seq->log_cnt < 1 ||
			 PageGetLSN(page) <= GetRedoRecPtr());
	if (logit)
	{
		int64		room = (maxv - result) / incby;

		log_cnt = Min(SEQ_LOG_VALS, room);
		logged = result + log_cnt * incby;
	}
	else
	{
		log_cnt = seq->log_cnt - 1;
		logged = result;
	}

	/* the commit of a WAL-logged change must flush it: have an xid */
	if (logit && RelationNeedsWAL(rel))
		(void) GetTopTransactionId();

	START_CRIT_SECTION();
	MarkBufferDirty(buf);
	if (logit && RelationNeedsWAL(rel))
	{
		xl_seq_rec	xlrec;
		XLogRecPtr	recptr;

		XLogBeginInsert();
		XLogRegisterBuffer(0, buf, REGBUF_WILL_INIT);
		seq->last_value = logged;
		seq->is_called = true;
		seq->log_cnt = 0;
		migrate_seq_rec_set_relation(xlrec, rel);
		XLogRegisterData((char *) &xlrec, sizeof(xl_seq_rec));
		XLogRegisterData((char *) tuple.t_data, tuple.t_len);
		recptr = XLogInsert(RM_SEQ_ID, XLOG_SEQ_LOG);
		PageSetLSN(page, recptr);
	}
	seq->last_value = result;
	seq->is_called = true;
	seq->log_cnt = log_cnt;
	END_CRIT_SECTION();

	UnlockReleaseBuffer(buf);
	relation_close(rel, AccessShareLock);

	return result;
}
