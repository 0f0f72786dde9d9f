#!/usr/bin/env bash
# test/pg-versions.sh: run the whole suite on a PostgreSQL major that
# bookworm does not ship, in a Debian chroot that has it as binaries:
#
#   17  trixie   (gcc 14; also built with gcc 12, and PostgreSQL 15
#                 with gcc 14)
#   18  sid      (gcc 16; also built with gcc 12 and gcc 14.  sid's
#                 Release file is often past its Valid-Until on mirrors,
#                 so that check is off for this chroot only)
#
# "test" first builds with the other compilers (warnings as errors when
# PG_CFLAGS says so, as .ci/run does), then runs pg_regress, the
# isolation specs and the TAP tests, each reported on its own.
#
#   test/pg-versions.sh provision MAJOR        make the chroot (cached)
#   test/pg-versions.sh test MAJOR [ARGS...]   provision, then run
#                                              test/run.sh inside it
#   test/pg-versions.sh shell MAJOR            a shell in the chroot
#
# Run it as root on Debian (it installs mmdebstrap).  The chroot is built
# with mmdebstrap, which keeps its own apt state, so the machine's apt
# sources are left as they are.  Chroots are cached in MIGRATE_CI_CACHE
# (default /var/cache/migrate-ci), outside the clone, and rebuilt only
# when the package list below changes.  The suite runs inside the chroot
# on a copy of the checkout, with the corpus bind-mounted read-only, in a
# private mount namespace so nothing stays mounted when the script ends.
#
# For 15 (bookworm) or a server of your own, run test/run.sh directly,
# with PG_CONFIG naming its pg_config.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${MIGRATE_CI_CACHE:-/var/cache/migrate-ci}
MIRROR=${MIGRATE_CI_MIRROR:-http://deb.debian.org/debian}

log() { printf '\n=== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

suite_of() {
    case $1 in
        17) echo trixie ;;
        18) echo sid ;;
        *) die "no chroot for PostgreSQL $1 (15: run test/run.sh; others: PG_CONFIG=... test/run.sh)" ;;
    esac
}

# What the suite needs inside the chroot (test/lib.sh ensure_packages
# finds them installed and installs nothing), with the extensions the
# coexistence test (test/t/014_coexist.pl) runs with, and pg_cron, which
# runs the releases of test/t/018_release.pl.  The suites move
# (sid every day), so versions are not pinned here: the log of each run
# lists what was installed.
packages_of() {
    echo "postgresql-$1 postgresql-server-dev-$1 libpq-dev make gcc libc6-dev libipc-run-perl rsync passwd" \
        "postgresql-$1-pgaudit postgresql-$1-partman postgresql-$1-postgis-3 postgresql-$1-postgis-3-scripts" \
        "postgresql-$1-cron" \
        "$(compilers_of "$1")"
}

# The compilers besides the suite's own gcc that the build must pass
# with warnings as errors: gcc 12 (bookworm's) and gcc 14 (trixie's),
# whatever the suite's default is (sid's is newer).
compilers_of() {
    case $1 in
        17) echo gcc-12 ;;
        18) echo gcc-12 gcc-14 ;;
    esac
}

provision() {
    local major=$1 suite dir pkgs stamp
    suite=$(suite_of "$major")
    dir=$CACHE/chroot-$major
    pkgs=$(packages_of "$major")
    stamp="$suite $MIRROR $pkgs"
    if [ -f "$dir/.migrate-ci" ] && [ "$(cat "$dir/.migrate-ci")" = "$stamp" ]; then
        log "PostgreSQL $major: cached $suite chroot in $dir"
        return
    fi
    [ "$(id -u)" = 0 ] || die "building a chroot needs root"
    command -v mmdebstrap >/dev/null || {
        log "installing mmdebstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
    }
    log "PostgreSQL $major: building a $suite chroot in $dir"
    rm -rf "$dir" "$dir.new"
    mkdir -p "$CACHE"
    local t0=$SECONDS
    # No cluster is created or started while the packages install: a
    # chroot shares the machine's network, and port 5432 may be in use.
    mmdebstrap --variant=apt --quiet \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        --aptopt='APT::Install-Recommends "false"' \
        --include="${pkgs// /,}" \
        --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/migrate-ci.conf"' \
        "$suite" "$dir.new" "deb $MIRROR $suite main" \
        || die "mmdebstrap $suite failed"
    echo "$stamp" >"$dir.new/.migrate-ci"
    mv "$dir.new" "$dir"
    log "PostgreSQL $major: chroot ready in $((SECONDS - t0)) s ($(du -sh "$dir" | cut -f1))"
}

# in_chroot MAJOR [BIND...] -- COMMAND...: run COMMAND in the chroot, in a
# private mount namespace with /proc, /dev and /sys mounted, and each BIND
# ("host-path:chroot-path") bind-mounted read-only.
in_chroot() {
    local major=$1; shift
    local dir=$CACHE/chroot-$major binds=()
    while [ "$1" != -- ]; do binds+=("$1"); shift; done
    shift
    # shellcheck disable=SC2016
    unshare --mount --propagation private -- bash -euc '
        dir=$1; shift
        mount -t proc proc "$dir/proc"
        mount --rbind /dev "$dir/dev"
        mount --rbind /sys "$dir/sys"
        mount -t tmpfs tmpfs "$dir/dev/shm"
        while [ "$1" != -- ]; do
            mkdir -p "$dir/${1#*:}"
            mount --bind "${1%%:*}" "$dir/${1#*:}"
            mount -o remount,bind,ro "$dir/${1#*:}"
            shift
        done
        shift
        exec chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
    ' in_chroot "$dir" "${binds[@]}" -- "$@"
}

run_tests() {
    local major=$1; shift
    local dir=$CACHE/chroot-$major corpus=${MIGRATE_CORPUS:-}
    if [ -z "$corpus" ] && [ -d "$ROOT/../shared/corpus" ]; then
        corpus=$(cd "$ROOT/../shared/corpus" && pwd)
    fi
    # A fresh copy of the checkout, without the host's build outputs, of
    # its own, so that two runs on the same chroot do not meet.
    local build
    build=$(mktemp -d "$dir/build.XXXXXX")
    build=${build#"$dir"}
    # shellcheck disable=SC2064
    trap "rm -rf '$dir$build'" EXIT
    mkdir -p "$dir$build/migrate"
    rsync -a --exclude .git --exclude '*.o' --exclude '*.so' --exclude '*.bc' \
        --exclude results --exclude tmp_check --exclude output_iso \
        "$ROOT/" "$dir$build/migrate/"
    chmod 755 "$dir$build"
    local binds=()
    [ -n "$corpus" ] && binds+=("$corpus:$build/shared/corpus")
    log "PostgreSQL $major: $(chroot "$dir" gcc --version | head -n 1)"
    chroot "$dir" dpkg-query -W -f '  ${Package} ${Version}\n' "postgresql-$major*" 'gcc*' >&2
    suite() {
        in_chroot "$major" "${binds[@]}" -- \
            env PG_MAJOR="$major" PG_CFLAGS="${PG_CFLAGS:-}" \
            ${corpus:+MIGRATE_CORPUS=$build/shared/corpus} \
            bash "$build/migrate/test/run.sh" "$@"
    }
    if [ $# -gt 0 ]; then
        suite "$@"
        return
    fi

    local phase failed="" t0 report=""

    # Builds only, each clean, with warnings as errors: the other
    # compilers, and on trixie PostgreSQL 15 (bookworm's server headers and
    # PGXS, copied in) with trixie's gcc 14, so that each of 15, 17 and 18
    # is built with gcc 12 and with gcc 14 (15 with gcc 12 is .ci/run's).
    # No JIT bitcode (with_llvm=no): the servers' clang need not be there.
    # The server's CFLAGS less those this compiler does not know (18's,
    # from gcc 16, has -Wmissing-variable-declarations, which gcc 12 lacks).
    # Each build cleans up after itself, failed or not, so that the suite
    # below builds from scratch.
    local builds=() cc
    for cc in $(compilers_of "$major"); do
        builds+=("$cc:/usr/lib/postgresql/$major/bin/pg_config")
    done
    if [ "$major" = 17 ] && [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
        mkdir -p "$dir$build/pg-15/usr/lib" "$dir$build/pg-15/usr/include" "$dir$build/pg-15/usr/share"
        cp -a /usr/lib/postgresql "$dir$build/pg-15/usr/lib/"
        cp -a /usr/include/postgresql "$dir$build/pg-15/usr/include/"
        cp -a /usr/share/postgresql "$dir$build/pg-15/usr/share/"
        builds+=("gcc-14:$build/pg-15/usr/lib/postgresql/15/bin/pg_config")
    fi
    t0=$SECONDS
    local build_report="" build_failed=""
    for b in "${builds[@]}"; do
        cc=${b%%:*}
        local pgc=${b#*:} what
        what="$cc, PostgreSQL $(in_chroot "$major" -- "$pgc" --version | sed 's/^PostgreSQL //')"
        log "build with $what"
        if in_chroot "$major" -- bash -c '
            cd "$1" && make -s clean >/dev/null
            flags=
            for f in $("$3" --cflags); do
                "$2" -Werror "$f" -c -x c /dev/null -o /dev/null 2>/dev/null && flags="$flags $f"
            done
            make -s CC="$2" CFLAGS="$flags" PG_CONFIG="$3" PG_CFLAGS="$4" with_llvm=no
            s=$?
            make -s clean >/dev/null
            exit $s' \
            build "$build/migrate" "$cc" "$pgc" "${PG_CFLAGS:-}"; then
            build_report+=" $what: ok;"
        else
            build_report+=" $what: FAILED;"
            build_failed=1
        fi
    done
    if [ ${#builds[@]} -gt 0 ]; then
        if [ -z "$build_failed" ]; then
            report+="PostgreSQL $major builds: ok ($((SECONDS - t0)) s):$build_report"$'\n'
        else
            report+="PostgreSQL $major builds: FAILED ($((SECONDS - t0)) s):$build_report"$'\n'
            failed+=" builds"
        fi
    fi

    # The whole suite, one phase at a time, so that a failing phase does
    # not hide how the others fare.
    for phase in regress isolation tap; do
        t0=$SECONDS
        case $phase in
            regress) set -- ISOLATION= TAP_TESTS= ;;
            isolation) set -- REGRESS= TAP_TESTS= ;;
            tap) set -- REGRESS= ISOLATION= ;;
        esac
        if suite "$@"; then
            report+="PostgreSQL $major $phase: ok ($((SECONDS - t0)) s)"$'\n'
        else
            report+="PostgreSQL $major $phase: FAILED ($((SECONDS - t0)) s)"$'\n'
            failed+=" $phase"
        fi
    done
    log "PostgreSQL $major summary"
    printf '%s' "$report" >&2
    [ -z "$failed" ] || die "PostgreSQL $major: failed:$failed"
}

[ $# -ge 2 ] || die "usage: $0 provision|test|shell MAJOR [make arguments]"
cmd=$1 major=$2
shift 2
case $cmd in
    provision) provision "$major" ;;
    test) provision "$major"; run_tests "$major" "$@" ;;
    shell) provision "$major"; in_chroot "$major" -- bash -i ;;
    *) die "unknown command $cmd" ;;
esac
