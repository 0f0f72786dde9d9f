#!/usr/bin/env bash
# test/run.sh: build migrate, install it, and run every test: pg_regress
# (test/sql), isolation specs (test/specs) and TAP tests (test/t), the
# TAP tests including the real histories of ../shared/corpus.
#
# Run it as root on Debian: it installs the packages it needs, then runs
# the clusters as an unprivileged user, since PostgreSQL refuses root.
#
#   test/run.sh                 everything
#   PG_CFLAGS="-Werror" test/run.sh      build flags (CI sets them)
#   MIGRATE_CORPUS=/path test/run.sh     where the corpus is
#                                        (default: ../shared/corpus)
#   MIGRATE_FUZZ_SEED, MIGRATE_FUZZ_CASES  the fuzz test's seed and size
#                                        (default 1 and 2000; test/fuzz.sh)
#   test/run.sh REGRESS=05_latest ISOLATION= TAP_TESTS=
#                               arguments go to make: a subset of tests
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
. test/lib.sh

ensure_packages
ensure_test_user
build_and_install

if [ -z "${MIGRATE_CORPUS:-}" ] && [ -d "$ROOT/../shared/corpus" ]; then
    MIGRATE_CORPUS=$(cd "$ROOT/../shared/corpus" && pwd)
fi
export MIGRATE_CORPUS=${MIGRATE_CORPUS:-}

# The tests write results next to the sources; run them in a copy that
# the test user owns, so the checkout stays as it is.
WORK=$(mktemp -d /tmp/migrate-test.XXXXXX)
chmod 755 "$WORK"
rsync -a --exclude .git --exclude results --exclude tmp_check \
    --exclude output_iso "$ROOT/" "$WORK/src/"
[ "$(id -u)" = 0 ] && chown -R "$MIGRATE_TEST_USER" "$WORK"

log "starting a throwaway cluster in $WORK/cluster"
start_cluster "$WORK/cluster" "max_worker_processes = 16"
trap 'stop_cluster "$WORK/cluster"' EXIT

status=0
log "pg_regress, isolation and TAP tests"
as_test_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
    MIGRATE_CORPUS="$MIGRATE_CORPUS" \
    MIGRATE_FUZZ_SEED="${MIGRATE_FUZZ_SEED:-1}" MIGRATE_FUZZ_CASES="${MIGRATE_FUZZ_CASES:-2000}" \
    make -C "$WORK/src" -s PG_CONFIG="$PG_CONFIG" installcheck "$@" || status=$?

if [ "$status" != 0 ]; then
    for f in "$WORK/src/regression.diffs" "$WORK/src/output_iso/regression.diffs"; do
        [ -s "$f" ] && { log "$f"; cat "$f"; }
    done
    for f in "$WORK"/src/tmp_check/log/regress_log_*; do
        [ -s "$f" ] && { log "$f (last 60 lines)"; tail -n 60 "$f"; }
    done
    log "FAILED (outputs kept in $WORK)"
    exit "$status"
fi

log "all tests passed"
stop_cluster "$WORK/cluster"
trap - EXIT
rm -rf "$WORK"
