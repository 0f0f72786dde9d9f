#!/usr/bin/env bash
# test/bench/engine_vs_psql.sh: the engine at the cost of the DDL itself.
# load() + latest() of N generated migrations against psql -1 -f of the
# same SQL into a database without the extension, and the rollback of all
# of them against psql -1 -f of the downs, on a realistic history: each
# migration a table with a bigserial primary key, a text column, an index
# and a foreign key to the previous table; every tenth also alters an
# earlier table (a column added with a default, a column's type changed).
#
# The runs are interleaved (raw, migrate, raw, migrate, ...), each in a
# fresh database, and the ratio is taken per pair of runs: the median of
# those ratios is printed, with the medians of the times.  fsync stays on,
# as on a server.  A benchmark, not a test: it asserts nothing.
#
#   test/bench/engine_vs_psql.sh                 N = 100 and 1000, 5 pairs each
#   SIZES="100 1000 10000" ROUNDS=3 test/bench/engine_vs_psql.sh
#   PROFILE=1 test/bench/engine_vs_psql.sh       also perf record one latest()
#                                                (needs linux-perf)
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

ROUNDS=${ROUNDS:-5}
SIZES=${SIZES:-"100 1000"}

throwaway_cluster bench-engine "fsync = on" "shared_buffers = 256MB" "max_wal_size = 4GB" \
    "max_locks_per_transaction = 1024"
OUT=$WORK

export PGOPTIONS="-c client_min_messages=warning"
q() { as_test_user "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# $OUT/N/VERSION_table_I.up.sql and .down.sql (golang-migrate's layout,
# for load()), and $OUT/up_N.sql / down_N.sql: the same SQL, in order
# (the downs in reverse order), for psql
generate() {
    local n=$1 i dir=$OUT/$1
    mkdir -p "$dir"
    : >"$OUT/up_$n.sql"
    for ((i = 1; i <= n; i++)); do
        local up down v fk=""
        v=$(printf '%06d' "$i")
        if ((i > 1)); then fk=" REFERENCES t$((i - 1)) (id)"; fi
        up="CREATE TABLE t$i (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    parent_id bigint$fk
);
CREATE INDEX t${i}_name ON t$i (name);"
        down="DROP TABLE t$i;"
        if ((i % 10 == 0)); then
            up="$up
ALTER TABLE t$((i - 5)) ADD COLUMN flag_$i boolean NOT NULL DEFAULT false;
ALTER TABLE t$((i - 5)) ALTER COLUMN name TYPE varchar(200);"
            down="ALTER TABLE t$((i - 5)) ALTER COLUMN name TYPE text;
ALTER TABLE t$((i - 5)) DROP COLUMN flag_$i;
$down"
        fi
        printf '%s\n' "$up" >"$dir/${v}_table_$i.up.sql"
        printf '%s\n' "$down" >"$dir/${v}_table_$i.down.sql"
        printf '%s\n' "$up" >>"$OUT/up_$n.sql"
    done
    # the downs, last migration first
    tac_blocks "$n" >"$OUT/down_$n.sql"
    chmod -R a+rX "$OUT"
}

# the down files in reverse version order, concatenated
tac_blocks() {
    local n=$1 i
    for ((i = n; i >= 1; i--)); do
        cat "$OUT/$n/$(printf '%06d' "$i")_table_$i.down.sql"
    done
}

ms() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

fresh_db() {
    q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
    if [ "${2:-}" = migrate ]; then q -d "$1" -c "CREATE EXTENSION migrate"; fi
}

printf '\n%-12s %-9s %12s %12s %14s\n' "N" "direction" "psql -1 -f" "migrate" "ratio (median)"
for n in $SIZES; do
    generate "$n"
    up_r="" down_r="" up_p="" up_m="" down_p="" down_m=""
    for ((r = 1; r <= ROUNDS; r++)); do
        # raw: psql -1 -f into a database without the extension
        fresh_db bench_raw
        p=$(ms q -d bench_raw -1 -f "$OUT/up_$n.sql")
        pd=$(ms q -d bench_raw -1 -f "$OUT/down_$n.sql")
        # migrate: load() + latest(), then rollback of all
        fresh_db bench_migrate migrate
        m=$(ms q -d bench_migrate -c "SELECT count(*) FROM migrate.load('$OUT/$n')" \
            -c 'SELECT count(*) FROM migrate.latest()')
        md=$(ms q -d bench_migrate -c "SELECT count(*) FROM migrate.rollback(target => 'zero')")
        up_p="$up_p $p" up_m="$up_m $m" down_p="$down_p $pd" down_m="$down_m $md"
        up_r="$up_r $(awk -v a="$m" -v b="$p" 'BEGIN { printf "%.3f", a / b }')"
        down_r="$down_r $(awk -v a="$md" -v b="$pd" 'BEGIN { printf "%.3f", a / b }')"
    done
    printf '%-12s %-9s %9s ms %9s ms %13sx   (per-run ratios:%s)\n' "$n" "up" \
        "$(echo $up_p | tr ' ' '\n' | median)" "$(echo $up_m | tr ' ' '\n' | median)" \
        "$(echo $up_r | tr ' ' '\n' | median)" "$up_r"
    printf '%-12s %-9s %9s ms %9s ms %13sx   (per-run ratios:%s)\n' "$n" "rollback" \
        "$(echo $down_p | tr ' ' '\n' | median)" "$(echo $down_m | tr ' ' '\n' | median)" \
        "$(echo $down_r | tr ' ' '\n' | median)" "$down_r"
done
echo "  (load() + latest() against psql -1 -f of the ups; rollback(target => 'zero')"
echo "   against psql -1 -f of the downs; target: at most 1.0x)"

if [ -n "${PROFILE:-}" ]; then
    command -v perf >/dev/null || die "PROFILE=1 needs perf (Debian: linux-perf)"
    n=$(echo $SIZES | awk '{print $NF}')
    fresh_db bench_migrate migrate
    q -d bench_migrate -c "SELECT count(*) FROM migrate.load('$OUT/$n')" >/dev/null
    pid_file=$OUT/pid
    q -d bench_migrate -At -c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(2)" \
        -c 'SELECT count(*) FROM migrate.latest()' >"$pid_file" &
    sleep 1
    pid=$(head -1 "$pid_file")
    perf record -g -p "$pid" -o "$OUT/perf.data" -- sleep 30 >/dev/null 2>&1 || true
    wait
    perf report -i "$OUT/perf.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null | head -60
fi
