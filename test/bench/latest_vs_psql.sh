#!/usr/bin/env bash
# test/bench/latest_vs_psql.sh: how fast migrate.latest() applies migrations
# compared with psql -1 -f running the same SQL, how long status takes with
# 10,000 registered migrations, and whether a long run grows the backend.
#
# A benchmark, not a test: it prints figures and ratios measured side by
# side in one run on a throwaway cluster, and asserts nothing.
#
#   test/bench/latest_vs_psql.sh            N = 100 and 1000, 3 rounds each
#   ROUNDS=5 SIZES="100 1000 2000" test/bench/latest_vs_psql.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

ROUNDS=${ROUNDS:-3}
SIZES=${SIZES:-"100 1000"}
STATUS_N=${STATUS_N:-10000}

throwaway_cluster bench "fsync = on" "shared_buffers = 256MB" "max_wal_size = 4GB"
OUT=$WORK

export PGOPTIONS="-c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Write N migrations that create tables with foreign keys and indexes and
# change columns: $OUT/up_N.sql (the plain SQL, one migration after the
# other) and $OUT/add_N.sql (the same migrations as migrate.add() calls).
generate() {
    local n=$1 i up
    : >"$OUT/up_$n.sql"
    echo "SET client_min_messages = warning;" >"$OUT/add_$n.sql"
    for ((i = 1; i <= n; i++)); do
        if ((i == 1)); then
            up="CREATE TABLE t1 (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);"
        else
            up="CREATE TABLE t$i (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint REFERENCES t$((i - 1)) (id),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX t${i}_parent ON t$i (parent_id);
ALTER TABLE t$((i - 1)) ADD COLUMN note_$i text;
ALTER TABLE t$((i - 1)) ALTER COLUMN name SET DEFAULT '';
COMMENT ON TABLE t$i IS 'table $i';"
        fi
        printf '%s\n' "$up" >>"$OUT/up_$n.sql"
        printf "SELECT migrate.add('%06d', \$up\$%s\$up\$, 'DROP TABLE t%d CASCADE', name => 'table %d');\n" \
            "$i" "$up" "$i" "$i" >>"$OUT/add_$n.sql"
    done
}

# Milliseconds taken by a command.
ms() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

fresh_db() {
    q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
    q -d "$1" -c "CREATE EXTENSION migrate"
}

printf '\n%-28s %12s %12s %8s\n' "migrations (N)" "psql -1 -f" "latest()" "ratio"
for n in $SIZES; do
    generate "$n"
    psql_times=""
    latest_times=""
    for ((r = 1; r <= ROUNDS; r++)); do
        # psql -1 -f of the plain SQL
        fresh_db bench_psql
        psql_times="$psql_times $(ms q -d bench_psql -1 -f "$OUT/up_$n.sql")"
        # migrate.latest() of the same migrations, registered beforehand
        fresh_db bench_migrate
        q -d bench_migrate -f "$OUT/add_$n.sql" >/dev/null
        latest_times="$latest_times $(ms q -d bench_migrate -c 'SET client_min_messages = warning' \
            -c 'SELECT count(*) FROM migrate.latest()')"
    done
    p=$(echo $psql_times | tr ' ' '\n' | median)
    l=$(echo $latest_times | tr ' ' '\n' | median)
    printf '%-28s %10s ms %10s ms %8s\n' "$n (median of $ROUNDS)" "$p" "$l" \
        "$(awk -v a="$l" -v b="$p" 'BEGIN { printf "%.2fx", a / b }')"
done

# status with STATUS_N registered migrations, 80% of them applied
fresh_db bench_status
applied_n=$((STATUS_N * 8 / 10))
{
    for ((i = 1; i <= applied_n; i++)); do
        printf "SELECT migrate.add('%d', 'SELECT %d', 'SELECT 0', name => 'migration %d');\n" "$i" "$i" "$i"
    done
    echo "SELECT count(*) FROM migrate.latest();"
    for ((i = applied_n + 1; i <= STATUS_N; i++)); do
        printf "SELECT migrate.add('%d', 'SELECT %d', name => 'migration %d');\n" "$i" "$i" "$i"
    done
    echo "ANALYZE migrate.migrations, migrate.applied;"
} | q -d bench_status >/dev/null
status_times=""
for ((r = 1; r <= 5; r++)); do
    t=$(q -d bench_status -c '\timing on' -c 'SELECT * FROM migrate.status' | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    status_times="$status_times $t"
done
printf '\n%-28s %s ms (median of 5, all rows to the client; target < 50 ms)\n' \
    "status, $STATUS_N migrations" \
    "$(echo $status_times | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[3]}')"

# memory: 10,000 migrations in one call; every 1,000th records the
# backend's memory in a table, so the growth over the run shows
fresh_db bench_memory
q -d bench_memory -c "CREATE TABLE mem (n int, bytes bigint)"
{
    echo "SET client_min_messages = warning;"
    for ((i = 1; i <= 10000; i++)); do
        if ((i % 1000 == 0 || i == 1)); then
            printf "SELECT migrate.add('%d', \$\$INSERT INTO mem SELECT %d, sum(total_bytes) FROM pg_backend_memory_contexts\$\$);\n" "$i" "$i"
        else
            printf "SELECT migrate.add('%d', 'SELECT %d');\n" "$i" "$i"
        fi
    done
} | q -d bench_memory >/dev/null
mem_ms=$(ms q -d bench_memory -c "SET client_min_messages = warning" -c "SELECT count(*) FROM migrate.latest()")
printf '\n10,000 migrations in one latest() call: %s ms; backend memory during the run:\n' "$mem_ms"
q -d bench_memory -A -F ' ' -t -c "SELECT n, pg_size_pretty(bytes) FROM mem ORDER BY n" |
    awk '{ printf "  after migration %5d: %s %s\n", $1, $2, $3 }'
q -d bench_memory -A -t -c "SELECT 'growth from migration 1,000 to 10,000: ' || pg_size_pretty(max(bytes) FILTER (WHERE n = 10000) - max(bytes) FILTER (WHERE n = 1000)) || ' (' || round((max(bytes) FILTER (WHERE n = 10000) - max(bytes) FILTER (WHERE n = 1000)) / 9000.0) || ' bytes per migration)' FROM mem"
