#!/usr/bin/env bash
# test/bench/verify.sh: what verifying costs: migrate.verify() of the
# authelia history of ../shared/corpus (26 migrations with their downs,
# see its README) compared with applying it once, migrate.latest(), side
# by side on a throwaway cluster.  verify() runs each migration's up, its
# down and its up again and calls schema() three times per migration, and
# rolls everything back; the target is at most 4x latest().  Each round
# registers the history in a fresh database and times latest() there,
# then registers it in another and times verify().  It also prints how
# many migrations got each result.
#
# A benchmark, not a test: it prints figures and ratios and asserts
# nothing.
#
#   test/bench/verify.sh                  5 rounds
#   ROUNDS=9 MIGRATE_CORPUS=/path test/bench/verify.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

ROUNDS=${ROUNDS:-5}
if [ -z "${MIGRATE_CORPUS:-}" ] && [ -d ../shared/corpus ]; then
    MIGRATE_CORPUS=$(cd ../shared/corpus && pwd)
fi
[ -d "${MIGRATE_CORPUS:-}/authelia/migrations" ] \
    || die "no corpus: set MIGRATE_CORPUS to ../shared/corpus"

throwaway_cluster bench "fsync = on" "shared_buffers = 256MB" "max_wal_size = 4GB"
# the server reads the files with load(): a copy the cluster's user can read
cp -r "$MIGRATE_CORPUS/authelia/migrations" "$WORK/authelia"
chmod -R a+rX "$WORK/authelia"

export PGOPTIONS="-c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

fresh() {
    q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
    q -d "$1" -c "CREATE EXTENSION migrate" \
        -c "SELECT count(*) FROM migrate.load('$WORK/authelia')" >/dev/null
}

ms() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

latest_times=""
verify_times=""
for ((r = 1; r <= ROUNDS; r++)); do
    fresh bench_latest
    latest_times="$latest_times $(ms q -d bench_latest -c 'SELECT count(*) FROM migrate.latest()')"
    fresh bench_verify
    verify_times="$verify_times $(ms q -d bench_verify -c 'SELECT count(*) FROM migrate.verify()')"
done
l=$(echo $latest_times | tr ' ' '\n' | median)
v=$(echo $verify_times | tr ' ' '\n' | median)

printf '\n%-32s %12s %12s %8s\n' "authelia (26 migrations)" "latest()" "verify()" "ratio"
printf '%-32s %9s ms %9s ms %8s\n' "median of $ROUNDS" "$l" "$v" \
    "$(awk -v a="$v" -v b="$l" 'BEGIN { printf "%.2fx", a / b }')"
printf '\nverify() results:\n'
q -d bench_verify -c "SELECT result, count(*), string_agg(version, ' ' ORDER BY version) AS versions
                        FROM migrate.verifications GROUP BY result ORDER BY 2 DESC, 1"
