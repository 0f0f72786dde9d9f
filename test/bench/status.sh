#!/usr/bin/env bash
# test/bench/status.sh: how long status, summary and check() take in the
# server with N registered migrations, most of them applied: the median
# of R runs of each, timed with clock_timestamp() around the query inside
# the backend (no psql start-up, no network, no printing).  For
# comparison, a plain scan of the registry.  The target is 5 ms each with
# N = 10,000.
#
#   test/bench/status.sh [N] [R]        default N = 10000, R = 21
#
# Run it as root (as test/run.sh) or as a user that can run PostgreSQL;
# it builds and installs migrate into PG_CONFIG's tree, then uses a
# throwaway cluster of its own.  Timings vary with the machine: run it on
# an idle one.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

N=${1:-10000}
R=${2:-21}
throwaway_cluster bench-status

psql_() { PGOPTIONS="-c client_min_messages=warning" as_test_user "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

APPLIED=$((N * 8 / 10))
psql_ <<EOF
CREATE EXTENSION migrate;
BEGIN;
SELECT count(migrate.add(lpad(g::text, 6, '0'), format('COMMENT ON EXTENSION migrate IS %L', g),
                         'SELECT 1', name => format('migration %s', g)))
  FROM generate_series(1, $N) g;
COMMIT;
SELECT count(*) FROM migrate.latest(target => lpad('$APPLIED', 6, '0'));
VACUUM ANALYZE;
CREATE FUNCTION pg_temp.median_ms(query text, rounds int) RETURNS numeric
LANGUAGE plpgsql AS \$\$
DECLARE
    t timestamptz;
    times numeric[] := '{}';
BEGIN
    EXECUTE 'SELECT count(q.*) FROM (' || query || ') q';  -- warm up
    FOR i IN 1 .. rounds LOOP
        t := clock_timestamp();
        EXECUTE 'SELECT count(q.*) FROM (' || query || ') q';  -- every column
        times := times || (EXTRACT(epoch FROM clock_timestamp() - t) * 1000)::numeric;
    END LOOP;
    RETURN (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x);
END
\$\$;
\\echo
\\echo 'in-server time, median of $R runs, $N migrations ($APPLIED applied):'
SELECT format('  %-42s %7s ms', q, round(pg_temp.median_ms(sql, $R), 2))
  FROM (VALUES ('SELECT * FROM migrate.status', 'SELECT * FROM migrate.status'),
               ('SELECT * FROM migrate.summary', 'SELECT * FROM migrate.summary'),
               ('SELECT migrate.check(fail_on => ''{}'')', 'SELECT migrate.check(fail_on => ''{}'')'),
               ('for comparison: SELECT version FROM migrations', 'SELECT version FROM migrate.migrations')) v(q, sql);
\\echo '  (target: under 5 ms each)'
EOF
