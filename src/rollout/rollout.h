/*-------------------------------------------------------------------------
 *
 * rollout.h
 *	  DBA-driven rollouts: lint() and lint_sql(), findings from
 *	  PostgreSQL's parse tree sized by the live catalog, and plan(), which
 *	  runs the pending migrations in a subtransaction, measures what each
 *	  statement locks, rewrites and writes, and rolls everything back.
 *
 * The rollout subsystem sits beside ddl, schema and files: it calls down
 * into the engine (scripts, plans, steps) and common, never the reverse.
 * Where the engine must consult it (lint at add(), with
 * migrate.lint_level), the engine exposes a hook that init.c sets when
 * the module loads.
 *
 * IDENTIFICATION
 *	  src/rollout/rollout.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_ROLLOUT_H
#define MIGRATE_ROLLOUT_H

#include "engine/engine.h"

/* in init.c */
extern void migrate_rollout_init(void);

/*
 * lint (lint*.c)
 */
extern void migrate_lint_init(void);

/*
 * plan (measure*.c)
 */
extern void migrate_measure_init(void);

#endif							/* MIGRATE_ROLLOUT_H */
