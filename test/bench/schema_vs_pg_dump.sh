#!/usr/bin/env bash
# test/bench/schema_vs_pg_dump.sh: migrate.schema() against
# pg_dump --schema-only, on a database of 10,000 tables that each have a
# primary key, an index and a foreign key.
#
# Both write the DDL of the database to a file through a client (psql for
# schema(), pg_dump itself), alternately in the same run on the same
# cluster, ROUNDS times; the script prints the median of each and their
# ratio.  The target is a ratio of 1.0 or less.  It is a benchmark, not a
# test: nothing fails when the target is missed.
#
#   test/bench/schema_vs_pg_dump.sh                 10,000 tables, 5 rounds
#   TABLES=1000 ROUNDS=3 test/bench/schema_vs_pg_dump.sh
#
# Run it as root on Debian, like test/run.sh: it builds and installs
# migrate into PG_CONFIG's server and starts a throwaway cluster.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

TABLES=${TABLES:-10000}
ROUNDS=${ROUNDS:-5}

throwaway_cluster bench "max_locks_per_transaction = 1024" \
    "shared_buffers = 128MB"
export PATH="$PG_BINDIR:$PATH"

log "creating $TABLES tables, each with a primary key, an index and a foreign key"
psql -X -q -v ON_ERROR_STOP=1 <<EOF
CREATE DATABASE bench;
\c bench
CREATE EXTENSION migrate;
CREATE SCHEMA app;
CREATE PROCEDURE pg_temp.make_tables(n integer)
LANGUAGE plpgsql AS \$\$
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format(
            'CREATE TABLE app.t%s (id bigint PRIMARY KEY,'
            ' parent_id bigint REFERENCES app.t%s (id),'
            ' name text NOT NULL, created_at timestamptz DEFAULT now())',
            i, CASE WHEN i = 1 THEN 1 ELSE i - 1 END);
        EXECUTE format('CREATE INDEX t%s_name ON app.t%s (name)', i, i);
        IF i % 500 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
\$\$;
CALL pg_temp.make_tables($TABLES);
VACUUM ANALYZE;
EOF

# Run a command, print its wall time in seconds.
seconds() {
    local start end
    start=$(date +%s%N)
    "$@"
    end=$(date +%s%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}
run_schema() { psql -X -d bench -At -c 'SELECT migrate.schema()' -o "$WORK/schema.sql"; }
run_pg_dump() { pg_dump -d bench --schema-only -f "$WORK/dump.sql"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# one run of each to warm the caches, then alternately
run_schema
run_pg_dump
schema_times=""
dump_times=""
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then
        schema_times+="$(seconds run_schema) "
        dump_times+="$(seconds run_pg_dump) "
    else
        dump_times+="$(seconds run_pg_dump) "
        schema_times+="$(seconds run_schema) "
    fi
done

schema_median=$(echo "$schema_times" | tr ' ' '\n' | grep . | median)
dump_median=$(echo "$dump_times" | tr ' ' '\n' | grep . | median)
ratio=$(awk -v a="$schema_median" -v b="$dump_median" 'BEGIN { printf "%.2f", a / b }')

log "results"
echo "tables:                        $TABLES (each with a primary key, an index and a foreign key)"
echo "server:                        $(psql -X -At -d bench -c 'SHOW server_version')"
echo "migrate.schema() (psql):       median ${schema_median} s  runs: ${schema_times}"
echo "pg_dump --schema-only:         median ${dump_median} s  runs: ${dump_times}"
echo "output:                        schema() $(wc -c <"$WORK/schema.sql") bytes, pg_dump $(wc -c <"$WORK/dump.sql") bytes"
echo "ratio schema() / pg_dump:      ${ratio} (target: 1.0 or less)"
