#!/usr/bin/env bash
# test/bench/load.sh: how long migrate.load() takes to register a
# directory of N golang-migrate migrations (up and down files), compared
# with psql running the bundle of the same registry (N migrate.add()
# calls, what a deploy without load() would run), and how long bundle()
# and adopt() take on it.  Timings vary with the machine: compare the
# ratio, and run it on an idle machine.
#
#   test/bench/load.sh [N]        default N = 1000
#
# Run it as root (as test/run.sh) or as a user that can run PostgreSQL;
# it builds and installs migrate into PG_CONFIG's tree, then uses a
# throwaway cluster of its own.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

N=${1:-1000}
throwaway_cluster bench

DIR=$WORK/migrations
mkdir -p "$DIR"
for i in $(seq 1 "$N"); do
    printf 'CREATE TABLE bench_%d (id bigint PRIMARY KEY, body text);\nCREATE INDEX bench_%d_body ON bench_%d (body);\n' \
        "$i" "$i" "$i" > "$DIR/${i}_create_bench_${i}.up.sql"
    printf 'DROP TABLE bench_%d;\n' "$i" > "$DIR/${i}_create_bench_${i}.down.sql"
done
[ "$(id -u)" = 0 ] && chown -R "$MIGRATE_TEST_USER" "$DIR"

psql_() { PGOPTIONS="-c client_min_messages=warning" as_test_user "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
# milliseconds of one SQL statement, after a setup that is not timed,
# best of three, each in a fresh database
best_of_three() {
    local setup=$1 sql=$2 best=
    for run in 1 2 3; do
        psql_ -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
        psql_ -d bench -c "CREATE EXTENSION migrate" -c "SET client_min_messages = warning" \
            -c "$setup" >/dev/null
        local ms
        ms=$(psql_ -d bench -At -c "SET client_min_messages = warning" \
            -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" \
            -c "$sql" -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" |
            awk 'NR == 1 { s = $1 } END { printf "%.0f", $1 - s }')
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$best"
}

load_ms=$(best_of_three "SELECT 1" "SELECT count(*) FROM migrate.load('$DIR')")

# the same registry as a bundle: N add() calls run by psql
psql_ -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
psql_ -d bench -c "CREATE EXTENSION migrate" -c "SELECT count(*) FROM migrate.load('$DIR')" >/dev/null
bundle_ms=$(psql_ -d bench -At -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" \
    -c "SELECT length(migrate.bundle())" -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" |
    awk 'NR == 1 { s = $1 } NR == 3 { printf "%.0f", $1 - s }')
psql_ -d bench -At -c "SELECT migrate.bundle()" > "$WORK/bundle.sql"
[ "$(id -u)" = 0 ] && chown "$MIGRATE_TEST_USER" "$WORK/bundle.sql"
add_best=
for run in 1 2 3; do
    psql_ -c "DROP DATABASE IF EXISTS bench2" -c "CREATE DATABASE bench2" >/dev/null
    start=$(date +%s%N)
    psql_ -d bench2 -f "$WORK/bundle.sql" >/dev/null
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$add_best" ] || [ "$ms" -lt "$add_best" ]; then add_best=$ms; fi
done

# adopt: a golang-migrate history at the last version
adopt_ms=$(best_of_three "SELECT count(*) FROM migrate.load('$DIR');
    CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
    INSERT INTO schema_migrations VALUES ($N, false);" \
    "SELECT count(*) FROM migrate.adopt('golang-migrate')")

echo "migrations:                         $N"
echo "load() of the directory:            ${load_ms} ms"
echo "psql -f of the bundle (N add()):    ${add_best} ms"
echo "ratio load() / add() script:        $(awk -v a="$load_ms" -v b="$add_best" 'BEGIN { printf "%.2f", a / b }')"
echo "bundle():                           ${bundle_ms} ms"
echo "adopt() of N golang-migrate versions: ${adopt_ms} ms"
