#!/usr/bin/env bash
# test/bench/plan.sh: what measuring costs: migrate.plan() of N pending
# migrations compared with migrate.latest(dry_run => true) of the same,
# side by side in one database (both roll back, so each round starts from
# the same state), alternating, on a throwaway cluster.  The target is at
# most 1.3x.  The migrations are latest_vs_psql.sh's: tables with foreign
# keys and indexes, columns added and changed (5 statements each).
#
# A benchmark, not a test: it prints figures and ratios and asserts
# nothing.
#
#   test/bench/plan.sh                      N = 100 and 1000, 3 rounds each
#   ROUNDS=5 SIZES="1000 2000" test/bench/plan.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

ROUNDS=${ROUNDS:-3}
SIZES=${SIZES:-"100 1000"}

throwaway_cluster bench "fsync = on" "shared_buffers = 256MB" "max_wal_size = 4GB"
OUT=$WORK

export PGOPTIONS="-c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

generate() {
    local n=$1 i up
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
        printf "SELECT migrate.add('%06d', \$up\$%s\$up\$, 'DROP TABLE t%d CASCADE', name => 'table %d');\n" \
            "$i" "$up" "$i" "$i" >>"$OUT/add_$n.sql"
    done
}

ms() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

printf '\n%-28s %16s %12s %8s\n' "migrations (N)" "latest(dry_run)" "plan()" "ratio"
for n in $SIZES; do
    generate "$n"
    q -d postgres -c "DROP DATABASE IF EXISTS bench_plan" -c "CREATE DATABASE bench_plan"
    q -d bench_plan -c "CREATE EXTENSION migrate"
    q -d bench_plan -f "$OUT/add_$n.sql" >/dev/null
    dry_times=""
    plan_times=""
    for ((r = 1; r <= ROUNDS; r++)); do
        dry_times="$dry_times $(ms q -d bench_plan -c 'SELECT count(*) FROM migrate.latest(dry_run => true)')"
        plan_times="$plan_times $(ms q -d bench_plan -c 'SELECT count(*) FROM migrate.plan()')"
    done
    d=$(echo $dry_times | tr ' ' '\n' | median)
    p=$(echo $plan_times | tr ' ' '\n' | median)
    printf '%-28s %13s ms %9s ms %8s\n' "$n (median of $ROUNDS)" "$d" "$p" \
        "$(awk -v a="$p" -v b="$d" 'BEGIN { printf "%.2fx", a / b }')"
done
