#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the test suite's second leg, and
# print the SQLAlchemy URL of its database. Installs Debian's postgresql when missing.
#
#   url=$(.ci/postgres.sh start DIR)   # DIR holds the cluster and the server log
#   .ci/postgres.sh stop DIR
set -euo pipefail

action=${1:?start or stop}
dir=${2:?a directory for the cluster}
port=${REFNET_PG_PORT:-54329}

bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

case "$action" in
start)
    if [ -z "$(bin_dir)" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "PostgreSQL is not installed and this is not root: apt-get install postgresql" >&2
            exit 1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    bin=$(bin_dir)
    mkdir -p "$dir"
    # The server refuses to run as root; the cluster belongs to the postgres user then.
    run=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U refnet --auth=trust -E UTF8 >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null
    "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U refnet refnet
    echo "postgresql+psycopg://refnet@127.0.0.1:$port/refnet"
    ;;
stop)
    bin=$(bin_dir)
    run=()
    [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
