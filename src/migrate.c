/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  Module entry point of the migrate extension.
 *
 * migrate stores database migrations in tables of schema "migrate" and
 * runs them inside the server.  This file only loads the module: it
 * defines the migrate.* settings (common/settings.c) and installs DDL
 * history's hooks (ddl/trigger.c).  The subsystems are laid out by
 * folder: common/ (settings, helpers, migrate's own tables), engine/
 * (registering, planning and running migrations), ddl/ (DDL history,
 * strict mode, drift), schema/ (schema() and baseline()), files/
 * (load(), bundle(), export(), adopt()) and rollout/ (lint(), plan()).  See "Architecture" in the
 * README for what may call what.
 *
 * IDENTIFICATION
 *	  src/migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "utils/guc.h"

#include "common/common.h"
#include "ddl/ddl.h"
#include "rollout/rollout.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load callback.
 */
void
_PG_init(void)
{
	migrate_define_settings();
	migrate_ddl_init();
	migrate_rollout_init();

	/*
	 * Last, once every subsystem has defined its settings: a typo such as
	 * migrate.stict is then an error, not a new placeholder.
	 */
	MarkGUCPrefixReserved("migrate");
}
