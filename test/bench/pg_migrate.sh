#!/usr/bin/env bash
# test/bench/pg_migrate.sh: the client against psql, process start to
# exit, side by side in one run on one throwaway cluster:
#
#   1. `pg_migrate load DIR` of N golang-migrate migrations (up and down
#      files, read on the client, sent to load_files()) against
#      `psql -c "SELECT migrate.load('DIR')"` of the same directory (read
#      by the server), each into a fresh database (target: at most 1.3x);
#   2. `pg_migrate check` against `psql -c 'SELECT migrate.check()'` with
#      M migrations registered and applied.
#
#   test/bench/pg_migrate.sh [N] [M] [ROUNDS]   default 1000, 10000, 5
#
# Medians of ROUNDS runs, the two commands alternating.  Run it as root
# (as test/run.sh) or as a user that can run PostgreSQL; it builds and
# installs migrate and pg_migrate into PG_CONFIG's tree.  Timings vary
# with the machine: compare the ratios.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

N=${1:-1000}
M=${2:-10000}
ROUNDS=${3:-5}
throwaway_cluster bench-client

DIR=$WORK/migrations
mkdir -p "$DIR"
for i in $(seq 1 "$N"); do
    printf 'CREATE TABLE bench_%d (id bigint PRIMARY KEY, body text);\nCREATE INDEX bench_%d_body ON bench_%d (body);\n' \
        "$i" "$i" "$i" > "$DIR/${i}_create_bench_${i}.up.sql"
    printf 'DROP TABLE bench_%d;\n' "$i" > "$DIR/${i}_create_bench_${i}.down.sql"
done
[ "$(id -u)" = 0 ] && chown -R "$MIGRATE_TEST_USER" "$DIR"

psql_() { PGOPTIONS="-c client_min_messages=warning" as_test_user "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
pm_() { as_test_user "$PG_BINDIR/pg_migrate" "$@"; }
# milliseconds a command takes, process start to exit
ms_of() {
    local start
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    echo $(( ($(date +%s%N) - start) / 1000000 ))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fresh() { psql_ -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" -d postgres >/dev/null
          psql_ -d bench -c "CREATE EXTENSION migrate" >/dev/null; }

server=() client=()
for r in $(seq 1 "$ROUNDS"); do
    fresh
    server+=("$(ms_of psql_ -d bench -c "SELECT count(*) FROM migrate.load('$DIR')")")
    fresh
    client+=("$(ms_of pm_ -d bench -q load "$DIR")")
done
load_server=$(printf '%s\n' "${server[@]}" | median)
load_client=$(printf '%s\n' "${client[@]}" | median)
registered=$(psql_ -d bench -At -c "SELECT count(*) FROM migrate.migrations")
[ "$registered" = "$N" ] || die "pg_migrate load registered $registered of $N"

# M applied migrations for check()
fresh
psql_ -d bench -c "SELECT count(migrate.add(lpad(i::text, 5, '0'), 'SELECT 1', 'SELECT 1')) FROM generate_series(1, $M) AS i" \
    -c "SELECT count(*) FROM migrate.latest()" >/dev/null
server=() client=()
for r in $(seq 1 $((ROUNDS * 2 + 1))); do
    server+=("$(ms_of psql_ -d bench -c 'SELECT migrate.check()')")
    client+=("$(ms_of pm_ -d bench -q check)")
done
check_psql=$(printf '%s\n' "${server[@]}" | median)
check_client=$(printf '%s\n' "${client[@]}" | median)
pm_ -d bench -q check || die "pg_migrate check failed with every migration applied"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b ? b : 1) }'; }
echo "PostgreSQL $("$PG_BINDIR/postgres" --version | awk "{ print \$3 }"), medians of $ROUNDS (check: $((ROUNDS * 2 + 1))) rounds"
echo "load of $N migrations:"
echo "  psql -c \"SELECT migrate.load('DIR')\" (server reads):  ${load_server} ms"
echo "  pg_migrate load DIR (client reads, load_files()):  ${load_client} ms"
echo "  ratio pg_migrate / server load():                  $(ratio "$load_client" "$load_server") (target <= 1.3)"
echo "check with $M applied migrations:"
echo "  psql -c 'SELECT migrate.check()':                  ${check_psql} ms"
echo "  pg_migrate check:                                  ${check_client} ms"
echo "  ratio pg_migrate / psql:                           $(ratio "$check_client" "$check_psql")"
