#!/usr/bin/env bash
# test/bench/memory.sh: the peak memory of a backend registering a large
# migration (add()) and splitting it (statements(), which any role may
# call), as a multiple of the script's size, for a script of S and of 2S
# bytes side by side: bounded memory gives the same small multiple for
# both.  For comparison, the peak of only reading the script
# (length(pg_read_file())), which every call pays.
#
#   test/bench/memory.sh [MB]        default S = 20 MB
#
# Two kinds of script: many small statements (INSERTs, what a data
# migration or a dump looks like) and one large statement (a function
# with a 1 MB body, repeated).  Each measurement is a fresh backend; its
# peak is VmHWM from /proc, less the shared memory it touched (RssShmem),
# which is shared_buffers, not the call's own memory.  0.1.0 peaked at
# about 40 times the script for both calls.
#
# Run it as root (as test/run.sh) or as a user that can run PostgreSQL;
# it builds and installs migrate into PG_CONFIG's tree, then uses a
# throwaway cluster of its own.
set -euo pipefail

cd "$(dirname "$0")/../.."
. test/lib.sh

MB=${1:-20}
throwaway_cluster bench-memory "shared_buffers = 16MB"

psql_() { PGOPTIONS="-c client_min_messages=warning" as_test_user "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

psql_ -c "CREATE EXTENSION migrate"

# make_script FILE BYTES KIND
make_script() {
    local file=$1 bytes=$2 kind=$3
    case $kind in
        small)
            awk -v bytes="$bytes" 'BEGIN {
                line = "INSERT INTO t (id, note) VALUES (%d, '\''a note of about sixty bytes, to look real'\'');\n"
                for (i = 1; n < bytes; i++) { s = sprintf(line, i); printf "%s", s; n += length(s) }
            }' > "$file" ;;
        large)
            awk -v bytes="$bytes" 'BEGIN {
                for (i = 1; n < bytes; i++) {
                    printf "CREATE FUNCTION f%d() RETURNS int LANGUAGE plpgsql AS $f$\nDECLARE x int := 0;\nBEGIN\n", i
                    for (j = 0; j < 65536; j++) printf "    x := x + 1;\n"
                    printf "    RETURN x;\nEND\n$f$;\n"
                    n += 65536 * 15 + 80
                }
            }' > "$file" ;;
    esac
    [ "$(id -u)" = 0 ] && chown "$MIGRATE_TEST_USER" "$file"
    return 0
}

# peak_kb FILE SQL: the peak private memory (kB) of a fresh backend
# running SQL, in which :'file' names the script
peak_kb() {
    local file=$1 sql=$2
    psql_ -v file="$file" <<EOF
CREATE TEMP TABLE m AS
  SELECT (regexp_match(s, 'VmHWM:\s+(\d+)'))[1]::bigint AS hwm,
         (regexp_match(s, 'RssShmem:\s+(\d+)'))[1]::bigint AS shmem
    FROM pg_read_file('/proc/self/status') AS s;
$sql;
SELECT (regexp_match(s, 'VmHWM:\s+(\d+)'))[1]::bigint - m.hwm
       - ((regexp_match(s, 'RssShmem:\s+(\d+)'))[1]::bigint - m.shmem)
  FROM pg_read_file('/proc/self/status') AS s, m;
EOF
}

printf '\npeak backend memory per script size (S = %d MB)\n' "$MB"
printf '  %-34s %10s %10s %8s %8s %8s\n' "" "S kB" "2S kB" "S x" "2S x" "2S/S"
for kind in small large; do
    for mult in 1 2; do
        make_script "$WORK/$kind$mult.sql" $((mult * MB * 1024 * 1024)) "$kind"
    done
    for call in read add statements; do
        row=()
        for mult in 1 2; do
            file=$WORK/$kind$mult.sql
            case $call in
                read) sql="SELECT length(pg_read_file(:'file'))" ;;
                add) sql="SELECT migrate.add('m_${kind}_$mult', pg_read_file(:'file'))" ;;
                statements) sql="SELECT count(*) FROM migrate.statements(pg_read_file(:'file'))" ;;
            esac
            row+=("$(peak_kb "$file" "$sql" | tail -n 1)" "$(( $(stat -c %s "$file") / 1024 ))")
        done
        awk -v name="$call ($kind statements)" -v p1="${row[0]}" -v s1="${row[1]}" \
            -v p2="${row[2]}" -v s2="${row[3]}" 'BEGIN {
            printf "  %-34s %10d %10d %7.1fx %7.1fx %8.2f\n", name, p1, p2, p1 / s1, p2 / s2, p2 / p1
        }'
    done
done
echo "  (S x, 2S x: peak over script size; bounded: a few x, and 2S/S near 2)"
