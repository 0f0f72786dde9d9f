# Makefile for the migrate extension (PGXS)

EXTENSION = migrate
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = migrate
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
PGFILEDESC = "migrate - database migrations inside PostgreSQL"

DATA = $(wildcard sql/$(EXTENSION)--*.sql)

PG_CPPFLAGS = -DMIGRATE_VERSION=\"$(EXTVERSION)\"

# pg_regress: test/sql/*.sql with expected output in the top-level expected/
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

# isolation specs: test/specs/*.spec, expected output in expected/ as well
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=.

# TAP tests: test/t/*.pl
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

EXTRA_CLEAN = results regression.diffs regression.out tmp_check tmp_check_iso output_iso log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every object depends on the shared header
$(OBJS): src/migrate.h
