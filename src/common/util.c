/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Generic helpers of migrate's SQL-callable functions: SPI, result
 *	  sets, arguments, datums, the current role, and subtransactions.
 *
 * Nothing here knows about migrations: these are the pieces every
 * subsystem needs and none owns.  They call only PostgreSQL.
 *
 * IDENTIFICATION
 *	  src/common/util.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "common/common.h"

/*
 * Connect to SPI, staying in the caller's memory context: what a call
 * allocates (its plan, its results) must outlive SPI_finish().
 */
void
migrate_spi_connect(void)
{
	MemoryContext oldcontext = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(oldcontext);
}

/*
 * Set up a materialized result set for a set-returning function.
 */
Tuplestorestate *
migrate_materialize_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcontext;
	Tuplestorestate *tupstore;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(oldcontext);

	return tupstore;
}

/*
 * The text argument "argno" of a SQL function as a C string, or NULL.
 */
char *
migrate_text_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * An interval datum of "usecs" microseconds: the durations migrate
 * records and returns.
 */
Datum
migrate_interval_datum(int64 usecs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = usecs;
	return IntervalPGetDatum(iv);
}

/*
 * A text datum of "s" for a row of SPI arguments, or a NULL ('n' in
 * *null) when "s" is NULL.
 */
Datum
migrate_text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * A name datum of "s".
 */
Datum
migrate_name_datum(const char *s)
{
	return DirectFunctionCall1(namein, CStringGetDatum(s));
}

/*
 * The name of the current role, as recorded in applied_by and history.
 */
char *
migrate_current_user_name(void)
{
	return GetUserNameFromId(GetUserId(), false);
}

/*
 * Run "work" in a subtransaction of its own, released when it succeeds
 * and "keep" is true, rolled back otherwise.  On error the error is raised
 * again unchanged, after the rollback: a subtransaction must never be
 * left open for an outer exception handler to find.
 */
void
migrate_in_subtransaction(MigrateWork work, void *arg, bool keep)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);

	PG_TRY();
	{
		work(arg);

		if (keep)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;

		ReThrowError(edata);
	}
	PG_END_TRY();
}

/*
 * Run "work" in a subtransaction that is always rolled back, to read the
 * catalogs on the side of a DDL statement: the locks it took are released
 * and an error it raised is a failed attempt (false), not an error of the
 * statement.  A cancel request still cancels.  What "work" allocates is
 * in the caller's memory context.
 *
 * The work is silent: what it reports below ERROR (a NOTICE of parse
 * analysis such as "type reference ... converted", a WARNING of the raw
 * parser) was reported by the user's statement already, or is none of
 * the user's business.  The message levels are raised for the
 * subtransaction only; its rollback puts them back.
 */
bool
migrate_try_in_subtransaction(MigrateWork work, void *arg)
{
	MemoryContext callercxt = CurrentMemoryContext;
	ResourceOwner callerowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(callercxt);

	PG_TRY();
	{
		(void) set_config_option("client_min_messages", "error",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		(void) set_config_option("log_min_messages", "error",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		work(arg);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(callercxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(callercxt);
	CurrentResourceOwner = callerowner;

	if (edata && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(edata);
	return edata == NULL;
}

/*
 * Run "work" in a subtransaction and return the error it raised, or NULL.
 * migrate_in_subtransaction() has rolled the subtransaction back when the
 * error reaches us, so catching it here is safe.  Errors that must stop
 * the call (cancel, shutdown, out of memory, internal errors) are raised
 * again.
 */
ErrorData *
migrate_subtransaction_error(MigrateWork work, void *arg)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		migrate_in_subtransaction(work, arg, true);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();

		switch (ERRCODE_TO_CATEGORY(edata->sqlerrcode))
		{
			case ERRCODE_INSUFFICIENT_RESOURCES:
			case ERRCODE_PROGRAM_LIMIT_EXCEEDED:
			case ERRCODE_OPERATOR_INTERVENTION:
			case ERRCODE_SYSTEM_ERROR:
			case ERRCODE_INTERNAL_ERROR:
				ReThrowError(edata);
				break;
			default:
				break;
		}
	}
	PG_END_TRY();

	return edata;
}
