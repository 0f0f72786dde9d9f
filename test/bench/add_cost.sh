#!/usr/bin/env bash
# test/bench/add_cost.sh: the cost of N migrate.add() calls in one
# transaction (what a bundle() script runs), measured for N and 2N side
# by side: linear cost gives a ratio near 2, the O(N^2) of 0.1.0 (every
# call updated the one row of migrate.state again, and each update
# stepped over the versions the earlier ones left) near 4.  For
# comparison, the same 2N calls each in a transaction of its own.
#
#   test/bench/add_cost.sh [N]        default N = 5000
#
# Run it as root (as test/run.sh) or as a user that can run PostgreSQL;
# it builds and installs migrate into PG_CONFIG's tree, then uses a
# throwaway cluster of its own.  Timings vary with the machine: compare
# the ratios, on an idle machine.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

N=${1:-5000}
throwaway_cluster bench

psql_() { PGOPTIONS="-c client_min_messages=warning" as_test_user "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# milliseconds of "n" add() calls in one transaction (single = 1) or one
# transaction each (single = 0), in a fresh database
adds_ms() {
    local n=$1 single=$2
    local script=$WORK/adds_${n}_${single}.sql
    {
        [ "$single" = 1 ] && echo "BEGIN;"
        for i in $(seq 1 "$n"); do
            echo "SELECT migrate.add('$i', 'CREATE TABLE t_$i (id int)', 'DROP TABLE t_$i');"
        done
        [ "$single" = 1 ] && echo "COMMIT;"
    } > "$script"
    [ "$(id -u)" = 0 ] && chown "$MIGRATE_TEST_USER" "$script"
    psql_ -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
    psql_ -d bench -c "CREATE EXTENSION migrate" >/dev/null
    local start end
    start=$(date +%s%N)
    psql_ -d bench -f "$script" >/dev/null
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}

one_n=$(adds_ms "$N" 1)
one_2n=$(adds_ms $((2 * N)) 1)
each_2n=$(adds_ms $((2 * N)) 0)

printf '\nmigrate.add() cost (N = %d)\n' "$N"
printf '  %-46s %8d ms\n' "N calls in one transaction" "$one_n"
printf '  %-46s %8d ms\n' "2N calls in one transaction" "$one_2n"
printf '  %-46s %8d ms\n' "2N calls, one transaction each" "$each_2n"
awk -v a="$one_n" -v b="$one_2n" -v c="$each_2n" 'BEGIN {
    printf "  ratio 2N / N in one transaction:  %.2f (linear: 2, quadratic: 4)\n", b / a
    printf "  ratio one transaction / one each: %.2f (at most about 1)\n", b / c
}'
