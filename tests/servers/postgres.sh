# PostgreSQL for the postgres component's tests. Sourced by test.sh (see its comment); to start it while iterating:
#   stop_later(){ :; }; source tests/servers/postgres.sh      (stop: the command it prints, or the one below)
#
# Installs Debian's postgresql if initdb is missing, then runs a private cluster (initdb + pg_ctl, as the postgres user
# when run as root: PostgreSQL refuses root) on 127.0.0.1:$pg_port with its own socket directory, under
# .build/servers/postgres (or /tmp/cairn-test-postgres when the postgres user cannot reach the worktree, e.g. /root).
# Passwords are checked (scram-sha-256) for TCP and socket logins alike. Test data:
#   bench  pgbench -i -s 2 (200 000 accounts)
#   app    schemas sales and hr plus public, tables with known rows (sales.customers 500, sales.orders 2000,
#          hr.employees 50, hr.departments 5, public.notes 20), owned by the less-privileged user
# Tests never change these: they copy app into a database of their own (CREATE DATABASE x TEMPLATE app).
# Exports:
#   CAIRN_TEST_PG_HOST, CAIRN_TEST_PG_PORT                 where the server listens
#   CAIRN_TEST_PG_USER, CAIRN_TEST_PG_PASSWORD             a superuser
#   CAIRN_TEST_PG_APP_USER, CAIRN_TEST_PG_APP_PASSWORD     a login role without superuser, CREATEDB or CREATEROLE
#   CAIRN_TEST_PG_BINDIR                                   the server's bin directory (initdb, pg_ctl, and the
#                                                          version-matched pg_dump/pg_restore/psql)

cairn_pg_start() {
    local port=25432 dir bindir version super=cairn_super app=cairn_app
    dir="$PWD/.build/servers/postgres"

    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        echo "postgres.sh: installing postgresql (Debian package)"
        mkdir -p "$dir"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }; } \
            >"$dir/install.log" 2>&1; then
            tail -5 "$dir/install.log"
            echo "postgres.sh: could not install postgresql (apt-get install postgresql failed, log: $dir/install.log)"
            return 1
        fi
        # Debian's package starts its own cluster on 5432; the tests do not use it, and it costs memory on CI.
        pg_ctlcluster --help >/dev/null 2>&1 && for c in /etc/postgresql/*/main; do
            [[ -d $c ]] && pg_ctlcluster "$(basename "$(dirname "$c")")" main stop >/dev/null 2>&1
        done
    fi
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    version="$("$bindir/postgres" --version | awk '{print $3}')"

    # Run the server's tools as the postgres user when root (initdb and postgres refuse root).
    local -a as_pg=()
    if [[ $(id -u) == 0 ]]; then
        as_pg=(runuser -u postgres --)
        # The postgres user must reach the data directory; a worktree under /root (mode 700) is out of its reach.
        mkdir -p "$dir"
        if ! runuser -u postgres -- test -x "$dir"; then dir=/tmp/cairn-test-postgres; fi
    fi

    # A server left running by an interrupted earlier run would hold the port (only if that pid still is a postgres
    # on our data directory: a pid can be reused).
    if [[ -f $dir/data/postmaster.pid ]]; then
        local old
        old="$(head -1 "$dir/data/postmaster.pid")"
        if [[ -n $old ]] && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -q -- "-D $dir/data"; then
            kill -QUIT "$old" 2>/dev/null # immediate shutdown: the data is thrown away below anyway
            for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
        fi
    fi
    rm -rf "$dir/data" "$dir/socket" "$dir/server.log" "$dir/pwfile"
    mkdir -p "$dir/data" "$dir/socket"
    chmod 700 "$dir/data"

    local password app_password
    password="super-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
    app_password="app-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
    (umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
    # The server writes its log beside the data directory.
    [[ ${#as_pg[@]} -gt 0 ]] && chown -R postgres:postgres "$dir"

    if ! "${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U "$super" --pwfile="$dir/pwfile" -A scram-sha-256 \
        -E UTF8 --locale=C -N >"$dir/initdb.log" 2>&1; then
        tail -5 "$dir/initdb.log"
        echo "postgres.sh: initdb failed (log: $dir/initdb.log)"
        return 1
    fi
    rm -f "$dir/pwfile"
    # Throw-away test data: durability costs time for nothing.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 32MB
EOF
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null 2>&1
    local stop="${as_pg[*]} $bindir/pg_ctl -D $dir/data -m immediate stop >/dev/null 2>&1"
    stop_later "$stop"
    export PGPASSWORD="$password"
    if ! "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 10; then
        unset PGPASSWORD
        tail -5 "$dir/server.log" 2>/dev/null
        echo "postgres.sh: PostgreSQL $version did not start on 127.0.0.1:$port (log: $dir/server.log)"
        return 1
    fi

    local -a psql=("$bindir/psql" -h 127.0.0.1 -p "$port" -U "$super" -X -q -v ON_ERROR_STOP=1)
    if ! {
        "${psql[@]}" -d postgres -c "CREATE ROLE $app LOGIN PASSWORD '$app_password'" \
            -c "CREATE DATABASE bench" -c "CREATE DATABASE app OWNER $app" &&
        "$bindir/pgbench" -h 127.0.0.1 -p "$port" -U "$super" -i -s 2 -q bench &&
        PGPASSWORD="$app_password" "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$app" -d app -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE SCHEMA sales;
CREATE SCHEMA hr;
CREATE TABLE sales.customers (id int PRIMARY KEY, name text NOT NULL, email text, created date NOT NULL);
INSERT INTO sales.customers SELECT i, 'customer ' || i, 'c' || i || '@example.org', date '2020-01-01' + i FROM generate_series(1, 500) i;
CREATE TABLE sales.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES sales.customers, amount numeric(10,2) NOT NULL, note text);
INSERT INTO sales.orders SELECT i, 1 + i % 500, (i * 7 % 1000) / 4.0, repeat('x', i % 40) FROM generate_series(1, 2000) i;
CREATE INDEX orders_customer ON sales.orders (customer_id);
CREATE VIEW sales.totals AS SELECT customer_id, sum(amount) AS total FROM sales.orders GROUP BY customer_id;
CREATE TABLE hr.departments (id int PRIMARY KEY, name text NOT NULL UNIQUE);
INSERT INTO hr.departments VALUES (1, 'engineering'), (2, 'sales'), (3, 'support'), (4, 'finance'), (5, 'people');
CREATE TABLE hr.employees (id serial PRIMARY KEY, name text NOT NULL, department_id int REFERENCES hr.departments, salary int);
INSERT INTO hr.employees (name, department_id, salary) SELECT 'employee ' || i, 1 + i % 5, 40000 + i * 250 FROM generate_series(1, 50) i;
CREATE TABLE public.notes (id int PRIMARY KEY, body text);
INSERT INTO public.notes SELECT i, 'note ' || i FROM generate_series(1, 20) i;
SQL
    } >"$dir/data-setup.log" 2>&1; then
        tail -5 "$dir/data-setup.log"
        echo "postgres.sh: creating the test data failed (log: $dir/data-setup.log)"
        unset PGPASSWORD
        return 1
    fi
    unset PGPASSWORD
    echo "PostgreSQL $version on 127.0.0.1:$port (data: $dir/data; stop: $stop)"

    export CAIRN_TEST_PG_HOST=127.0.0.1 CAIRN_TEST_PG_PORT="$port"
    export CAIRN_TEST_PG_USER="$super" CAIRN_TEST_PG_PASSWORD="$password"
    export CAIRN_TEST_PG_APP_USER="$app" CAIRN_TEST_PG_APP_PASSWORD="$app_password"
    export CAIRN_TEST_PG_BINDIR="$bindir"
}

cairn_pg_start
