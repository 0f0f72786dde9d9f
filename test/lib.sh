# test/lib.sh: shell helpers shared by test/run.sh, test/demo.sh and the
# benchmarks.  Source it from bash; it expects to run as root on Debian
# (it installs packages) or as any user once the packages are there.
#
# Settings (environment):
#   PG_CONFIG        pg_config of the server to build for and test on,
#                    used as it is (default: the
#                    one of PG_MAJOR from Debian's packages)
#   PG_MAJOR         server major version (default 15)
#   MIGRATE_TEST_USER  unprivileged OS user that runs the clusters
#                    (default migrate_test); PostgreSQL refuses root

PG_MAJOR=${PG_MAJOR:-15}
MIGRATE_TEST_USER=${MIGRATE_TEST_USER:-migrate_test}

log() { printf '\n=== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Install what building and testing need, unless it is already there.
ensure_packages() {
    local pkgs="make gcc libc6-dev libpq-dev libipc-run-perl rsync"
    # a server given by PG_CONFIG is used as it is
    [ -n "${PG_CONFIG:-}" ] || pkgs="$pkgs postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR"
    local missing=""
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        [ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root to install them)"
        log "installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
    PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
    [ -x "$PG_CONFIG" ] || die "no pg_config at $PG_CONFIG"
    PG_BINDIR=$("$PG_CONFIG" --bindir)
    export PG_CONFIG PG_BINDIR
}

# Build with the given CFLAGS (PG_CFLAGS) and install into the server.
build_and_install() {
    log "building migrate (PG_CFLAGS=${PG_CFLAGS:-})"
    make -s PG_CONFIG="$PG_CONFIG" ${PG_CFLAGS:+PG_CFLAGS="$PG_CFLAGS"} >/dev/null
    make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# The unprivileged OS user that owns the clusters.
ensure_test_user() {
    if ! id "$MIGRATE_TEST_USER" >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] || die "no user $MIGRATE_TEST_USER (run as root to create it)"
        useradd --system --create-home --shell /bin/bash "$MIGRATE_TEST_USER"
    fi
}

# Run a command as the test user (or as ourselves when not root).
as_test_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$MIGRATE_TEST_USER" -- "$@"
    else
        "$@"
    fi
}

# start_cluster DIR [postgres -c settings...]: initdb and start a cluster
# in DIR that listens only on a Unix socket in DIR, so several can run at
# once.  Sets PGHOST, PGPORT, PGUSER, PGDATABASE for the caller.
start_cluster() {
    local dir=$1; shift
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$MIGRATE_TEST_USER" "$dir"
    as_test_user "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; die "initdb failed"; }
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$dir'"
        echo "port = 5432"
        echo "fsync = off"
        for s in "$@"; do echo "$s"; done
    } >>"$dir/data/postgresql.conf"
    as_test_user "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null \
        || { cat "$dir/server.log"; die "server did not start"; }
    export PGHOST=$dir PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

stop_cluster() {
    local dir=$1
    as_test_user "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# throwaway_cluster NAME [postgres -c settings...]: install and build what
# a demo or benchmark needs, then start a cluster in a new directory
# $WORK (/tmp/migrate-NAME.XXXXXX), stopped and removed when the script
# exits.
throwaway_cluster() {
    local name=$1; shift
    ensure_packages
    ensure_test_user
    build_and_install
    WORK=$(mktemp -d "/tmp/migrate-$name.XXXXXX")
    chmod 755 "$WORK"
    if [ "$(id -u)" = 0 ]; then chown "$MIGRATE_TEST_USER" "$WORK"; fi
    start_cluster "$WORK/cluster" "$@"
    trap 'stop_cluster "$WORK/cluster"; rm -rf "$WORK"' EXIT
}
