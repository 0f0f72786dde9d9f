#!/usr/bin/env bash
# test/fuzz.sh: the fuzz test of test/t/040_fuzz.pl, long: several seeds,
# many cases each.  CI runs it short (seed 1, 2000 cases) with the suite.
#
#   test/fuzz.sh [SEEDS] [CASES]     default 10 seeds of 20000 cases
#
# A failing seed is printed; run it again alone with
#   MIGRATE_FUZZ_SEED=<seed> MIGRATE_FUZZ_CASES=<cases> test/fuzz.sh 1 <cases>
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS=${1:-10}
CASES=${2:-20000}
FIRST=${MIGRATE_FUZZ_SEED:-1}
status=0
for seed in $(seq "$FIRST" $((FIRST + SEEDS - 1))); do
    echo "=== fuzz seed $seed, $CASES cases"
    if ! MIGRATE_FUZZ_SEED=$seed MIGRATE_FUZZ_CASES=$CASES \
        test/run.sh REGRESS= ISOLATION= PROVE_TESTS=test/t/040_fuzz.pl; then
        echo "=== seed $seed FAILED"
        status=1
    fi
done
exit $status
