#!/usr/bin/env bash
# test/pg-versions.sh: run the whole suite on a PostgreSQL major that
# bookworm does not ship, in a Debian chroot that has it as binaries:
#
#   17  trixie   (gcc 14)
#   18  sid      (sid's Release file is often past its Valid-Until on
#                 mirrors, so that check is off for this chroot only)
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
# finds them installed and installs nothing).
packages_of() {
    echo "postgresql-$1 postgresql-server-dev-$1 make gcc libc6-dev libipc-run-perl rsync passwd"
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
    # The whole suite, one phase at a time, so that a failing phase does
    # not hide how the others fare.
    local phase failed="" t0 report=""
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
