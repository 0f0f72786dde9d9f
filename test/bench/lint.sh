#!/usr/bin/env bash
# test/bench/lint.sh: what lint costs, measured side by side in one run.
#
#  1. Registering N migrations (default 1,000) in one transaction with
#     migrate.lint_level = off and = warn, in alternating rounds, each in a
#     fresh database holding 20 tables of 10,000 rows that the migrations
#     touch (ALTER TABLE ... ADD COLUMN, CREATE INDEX, SET NOT NULL, an
#     UPDATE, a new table with a foreign key: every rule looks at them, and
#     lint sizes each table from the catalog).  Target: warn adds under 5%.
#  2. lint_sql() of a script of S statements (default 10,000) of the same
#     kinds, timed in the server, beside migrate.statements() of the same
#     script (splitting it only).  Target: under 1 s.
#
#   test/bench/lint.sh [N] [S] [ROUNDS]     defaults 1000 10000 5
#
# Run it as root (as test/run.sh) or as a user that can run PostgreSQL;
# it builds and installs migrate into PG_CONFIG's tree, then uses a
# throwaway cluster of its own.  Timings vary with the machine: compare
# the ratios, on an idle machine; the medians of ROUNDS rounds are shown.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

N=${1:-1000}
S=${2:-10000}
ROUNDS=${3:-5}
throwaway_cluster bench

psql_() { PGOPTIONS="-c client_min_messages=warning" as_test_user "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

SETUP="CREATE EXTENSION migrate;
SELECT format('CREATE TABLE t_%s (id bigint PRIMARY KEY, name text, amount int)', i) FROM generate_series(0, 19) i \\gexec
SELECT format('INSERT INTO t_%s SELECT g, ''n'' || g, g FROM generate_series(1, 10000) g', i) FROM generate_series(0, 19) i \\gexec
ANALYZE;"

# the add() calls of N migrations, in one transaction
script=$WORK/adds.sql
{
    echo "BEGIN;"
    for i in $(seq 1 "$N"); do
        t=$((i % 20))
        case $((i % 5)) in
            0) up="ALTER TABLE t_$t ADD COLUMN c_$i int" ;;
            1) up="CREATE INDEX ON t_$t (amount)" ;;
            2) up="ALTER TABLE t_$t ALTER COLUMN name SET NOT NULL" ;;
            3) up="ALTER TABLE t_$t ADD COLUMN d_$i int; UPDATE t_$t SET amount = amount WHERE id < 10" ;;
            4) up="CREATE TABLE n_$i (id bigint PRIMARY KEY, t_id bigint REFERENCES t_$t (id))" ;;
        esac
        echo "SELECT migrate.add('$i', \$m\$$up\$m\$);"
    done
    echo "COMMIT;"
} > "$script"
[ "$(id -u)" = 0 ] && chown "$MIGRATE_TEST_USER" "$script"

# milliseconds of the add() script with lint_level "level", in a fresh database
adds_ms() {
    local level=$1
    psql_ -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
    psql_ -d bench -c "ALTER DATABASE bench SET migrate.lint_level = $level" >/dev/null
    echo "$SETUP" | psql_ -d bench >/dev/null
    local start end
    start=$(date +%s%N)
    psql_ -d bench -f "$script" >/dev/null
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

off=()
warn=()
for r in $(seq 1 "$ROUNDS"); do
    off+=("$(adds_ms off)")
    warn+=("$(adds_ms warn)")
done
off_ms=$(printf '%s\n' "${off[@]}" | median)
warn_ms=$(printf '%s\n' "${warn[@]}" | median)

# lint_sql() and statements() of an S-statement script, in the server
out=$(psql_ -d bench -At <<SQL
SET migrate.lint_level = off;
CREATE TEMP TABLE s AS
SELECT string_agg(CASE i % 5
         WHEN 0 THEN format('ALTER TABLE t_%s ADD COLUMN x_%s int;', i % 20, i)
         WHEN 1 THEN format('CREATE INDEX ON t_%s (amount);', i % 20)
         WHEN 2 THEN format('ALTER TABLE t_%s ALTER COLUMN name SET NOT NULL;', i % 20)
         WHEN 3 THEN format('UPDATE t_%s SET amount = amount WHERE id < 10;', i % 20)
         ELSE format('CREATE TABLE m_%s (id bigint PRIMARY KEY, at timestamp);', i)
       END, E'\n') AS script
  FROM generate_series(1, $S) i;
CREATE TEMP TABLE times (what text, ms float8, n bigint);
DO \$\$
DECLARE
    t0 timestamptz;
    n bigint;
    best_lint float8 := 'infinity';
    best_split float8 := 'infinity';
BEGIN
    FOR r IN 1..$ROUNDS LOOP
        t0 := clock_timestamp();
        SELECT count(*) INTO n FROM migrate.statements((SELECT script FROM s));
        best_split := least(best_split, extract(epoch FROM clock_timestamp() - t0) * 1000);
        t0 := clock_timestamp();
        SELECT count(*) INTO n FROM migrate.lint_sql((SELECT script FROM s));
        best_lint := least(best_lint, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    INSERT INTO times VALUES ('lint', best_lint, n), ('split', best_split, 0);
END
\$\$;
SELECT round((SELECT ms FROM times WHERE what = 'lint')::numeric),
       round((SELECT ms FROM times WHERE what = 'split')::numeric),
       (SELECT n FROM times WHERE what = 'lint');
SQL
)
IFS='|' read -r lint_ms split_ms findings <<<"$out"

printf '\nlint at add(): %d migrations registered in one transaction (median of %d rounds)\n' "$N" "$ROUNDS"
printf '  %-44s %8d ms   (rounds: %s)\n' "migrate.lint_level = off" "$off_ms" "${off[*]}"
printf '  %-44s %8d ms   (rounds: %s)\n' "migrate.lint_level = warn" "$warn_ms" "${warn[*]}"
awk -v a="$off_ms" -v b="$warn_ms" 'BEGIN {
    printf "  ratio warn / off: %.3f (target: under 1.05)\n", b / a
}'
printf '\nlint_sql() of a %d-statement script (best of %d, in the server)\n' "$S" "$ROUNDS"
printf '  %-44s %8d ms   (%d findings)\n' "migrate.lint_sql()" "$lint_ms" "$findings"
printf '  %-44s %8d ms\n' "migrate.statements(), splitting only" "$split_ms"
awk -v a="$lint_ms" -v b="$split_ms" 'BEGIN {
    printf "  ratio lint_sql / statements: %.2f; target: lint_sql under 1000 ms\n", a / b
}'
