#!/usr/bin/env bash
# test/bench/ddl_overhead.sh: what DDL history costs a stream of DDL.
#
# The same DDL stream (CREATE TABLE, CREATE INDEX, ALTER TABLE, COMMENT,
# DROP, sent by psql one statement at a time, each in its own
# transaction) runs into a database without migrate and into one with
# migrate installed, in turns, in one throwaway cluster; then again with
# migrate preloaded through session_preload_libraries.  It prints the
# median times and the median ratios.  The target is 1.10 or less.
#
#   test/bench/ddl_overhead.sh                 1000 tables (5,000 statements), 15 rounds
#   TABLES=500 ROUNDS=5 test/bench/ddl_overhead.sh
#
# Run it as root (like test/run.sh: it builds, installs and runs the
# cluster as the test user) on an otherwise idle machine: it measures wall
# time.  This is a benchmark, not a test: it asserts nothing.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

TABLES=${TABLES:-1000}
ROUNDS=${ROUNDS:-15}

throwaway_cluster bench

psql_as() { as_test_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" CPU_OUT="$WORK/cpu.out" "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# the stream: per table five statements, and the table dropped at the end
# of its block, so the catalogs stay the same size all along
stream=$WORK/stream.sql
{
# the backend's CPU time is reported too: it is what DDL history adds to
# each statement, and it varies less than wall time on a busy machine
echo 'SELECT pg_backend_pid() AS pid \gset'
echo '\setenv BACKEND_PID :pid'
for i in $(seq 1 "$TABLES"); do
    echo "CREATE TABLE bench_$i (id bigint PRIMARY KEY, name text, created timestamptz);"
    echo "CREATE INDEX bench_${i}_name ON bench_$i (name);"
    echo "ALTER TABLE bench_$i ADD COLUMN note text;"
    echo "COMMENT ON TABLE bench_$i IS 'table $i of the DDL benchmark';"
    echo "DROP TABLE bench_$i;"
done
echo '\! awk '"'"'{print ($14 + $15) / 100}'"'"' /proc/$BACKEND_PID/stat >"$CPU_OUT"'
} >"$stream"
chmod 644 "$stream"
statements=$((TABLES * 5))

psql_as -d postgres -c "CREATE DATABASE bench_plain" \
    -c "CREATE DATABASE bench_logged" -c "CREATE DATABASE bench_preloaded"
psql_as -d bench_logged -c "CREATE EXTENSION migrate"
psql_as -d bench_preloaded -c "CREATE EXTENSION migrate" \
    -c "ALTER DATABASE bench_preloaded SET session_preload_libraries = 'migrate'"

# run the stream in database $1: wall seconds to $WORK/$2, the backend's
# CPU seconds to $WORK/$2.cpu
run_stream() {
    local start end
    start=$(date +%s.%N)
    psql_as -d "$1" -f "$stream" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc >>"$WORK/$2"
    cat "$WORK/cpu.out" >>"$WORK/$2.cpu"
}

log "warming up"
for db in bench_plain bench_logged bench_preloaded; do run_stream "$db" warmup; done

# the order of the three databases rotates from round to round, so that
# a load that comes and goes on the machine does not favour one of them
order=(plain logged preloaded)
for r in $(seq 1 "$ROUNDS"); do
    log "round $r of $ROUNDS ($statements statements per run)"
    for k in 0 1 2; do
        f=${order[$(((r + k) % 3))]}
        run_stream "bench_$f" "$f"
    done
done

for f in plain logged preloaded; do
    log "$f: wall $(echo $(cat "$WORK/$f")), backend CPU $(echo $(cat "$WORK/$f.cpu"))"
done
rows=$(psql_as -d bench_logged -At -c "SELECT count(*) FROM migrate.ddl_log")

# The ratio of each round (its three runs ran close in time, under the
# same load) and the median of those: on a shared machine it varies less
# than the ratio of median times.
paste "$WORK/plain" "$WORK/logged" "$WORK/preloaded" \
      "$WORK/plain.cpu" "$WORK/logged.cpu" "$WORK/preloaded.cpu" >"$WORK/rounds"
stats() {
    awk -v col="$1" -v base="$2" '{ r[NR] = $col / $base; v[NR] = $col }
        END {
            n = NR
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
                if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
                if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            }
            m = (n % 2) ? (n + 1) / 2 : n / 2
            printf "%8.3f s   %6.3f", v[m], r[m]
        }' "$WORK/rounds"
}

printf '\nDDL stream: %d statements sent one at a time, %d rounds\n' "$statements" "$ROUNDS"
printf 'medians: time of the runs, and ratio to the same round without migrate\n'
printf '                              wall     ratio       backend CPU  ratio\n'
printf '  without migrate         %s   %s\n' "$(stats 1 1)" "$(stats 4 4)"
printf '  with migrate            %s   %s\n' "$(stats 2 1)" "$(stats 5 4)"
printf '  with migrate, preloaded %s   %s\n' "$(stats 3 1)" "$(stats 6 4)"
printf '  rows in migrate.ddl_log of the logged database: %s\n' "$rows"
