# Makefile for the migrate extension (PGXS)

EXTENSION = migrate
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = migrate
# one folder per subsystem (see "Architecture" in the README); src/client
# is the pg_migrate command, built by its own Makefile, not part of the
# module
SRCS = $(sort $(filter-out src/client/%,$(wildcard src/*.c src/*/*.c)))
HEADERS = $(sort $(filter-out src/client/%,$(wildcard src/*.h src/*/*.h)))
OBJS = $(SRCS:.c=.o)
PGFILEDESC = "migrate - database migrations inside PostgreSQL"

DATA = $(wildcard sql/$(EXTENSION)--*.sql)

PG_CPPFLAGS = -I$(srcdir)/src -DMIGRATE_VERSION=\"$(EXTVERSION)\"

# make SANITIZE=1: AddressSanitizer and UBSan, their runtime loaded with
# migrate.so (src/common/sanitizer.c has the options that makes work)
ifdef SANITIZE
# (in PG_CPPFLAGS, which a PG_CFLAGS given to make does not replace)
PG_CPPFLAGS += -DMIGRATE_SANITIZE -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer --param=asan-stack=0
SHLIB_LINK += -fsanitize=address,undefined
endif

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

# every object is rebuilt when any header changes: the headers are few and
# small, and a stale object after a struct change is a crash, not a warning
$(OBJS): $(HEADERS)

# pg_migrate, the client (src/client): PGXS builds one MODULE_big or one
# PROGRAM per Makefile, so it has a Makefile of its own, run with the same
# PG_CONFIG (and PG_CFLAGS, which make passes down), as pg_repack builds
# its bin/
all: client
install: install-client
uninstall: uninstall-client
clean: clean-client
installcheck: client

client install-client uninstall-client clean-client:
	$(MAKE) -C src/client PG_CONFIG=$(PG_CONFIG) $(patsubst client,all,$(patsubst %-client,%,$@))

.PHONY: client install-client uninstall-client clean-client
