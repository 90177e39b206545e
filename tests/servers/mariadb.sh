# MariaDB, for the mysql component's tests. Sourced by test.sh (see its comment); to start it while iterating:
#   stop_later(){ :; }; source tests/servers/mariadb.sh
#
# Installs Debian's mariadb-server (and mariadb-client: mysqldump, mariadb) if missing, initialises a private data
# directory under .build/servers/mariadb with mariadb-install-db, and runs mariadbd as the mysql user (it refuses to
# run as root) on 127.0.0.1:$mariadb_port with its own socket and pid file, ignoring /etc/mysql (--no-defaults).
# Creates a user with a password and two InnoDB databases of known rows (cairn_test: customers, orders, notes, a view,
# a procedure and a trigger; cairn_other: one table).
# Exports:
#   CAIRN_TEST_MARIADB_HOST, CAIRN_TEST_MARIADB_PORT      where it listens (TCP)
#   CAIRN_TEST_MARIADB_USER, CAIRN_TEST_MARIADB_PASSWORD  a user with all privileges
#   CAIRN_TEST_MARIADB_SOCKET                             its unix socket (root may log in there without password)
#   CAIRN_TEST_MARIADB_DATABASES                          the test databases, comma-separated

mariadb_port=23306
mariadb_dir="$PWD/.build/servers/mariadb"
mkdir -p "$mariadb_dir"

if ! command -v mariadbd >/dev/null 2>&1 || ! command -v mysqldump >/dev/null 2>&1; then
    echo "mariadb.sh: installing mariadb-server and mariadb-client (Debian packages)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server mariadb-client ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server mariadb-client; }; } \
        >"$mariadb_dir/install.log" 2>&1; then
        tail -5 "$mariadb_dir/install.log"
        echo "mariadb.sh: could not install mariadb-server (log: $mariadb_dir/install.log)"
        return 1
    fi
fi

# A server left running by an interrupted earlier run would hold the port and the data directory.
# (Only if that pid still is our mariadbd: a pid can be reused.)
if [[ -f "$mariadb_dir/server.pid" ]]; then
    mariadb_old=$(cat "$mariadb_dir/server.pid")
    if tr '\0' ' ' 2>/dev/null <"/proc/$mariadb_old/cmdline" | grep -q -- "--port=$mariadb_port"; then
        kill "$mariadb_old" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$mariadb_old" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$mariadb_dir/server.pid"
fi

rm -rf "$mariadb_dir/data" "$mariadb_dir/run"
mkdir -p "$mariadb_dir/data" "$mariadb_dir/run"
chown mysql:mysql "$mariadb_dir/data" "$mariadb_dir/run"
mariadb_socket="$mariadb_dir/run/mysqld.sock"

if ! mariadb-install-db --no-defaults --user=mysql --datadir="$mariadb_dir/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$mariadb_dir/install-db.log" 2>&1; then
    tail -5 "$mariadb_dir/install-db.log"
    echo "mariadb.sh: mariadb-install-db failed (log: $mariadb_dir/install-db.log)"
    return 1
fi

# Small buffers and no binary log: it starts in about a second and holds a few thousand rows.
mariadbd --no-defaults --user=mysql --datadir="$mariadb_dir/data" --bind-address=127.0.0.1 --port=$mariadb_port \
    --socket="$mariadb_socket" --pid-file="$mariadb_dir/run/mariadbd.pid" --skip-name-resolve --skip-log-bin \
    --innodb-buffer-pool-size=32M --innodb-log-file-size=16M --log-error="$mariadb_dir/run/server.log" >"$mariadb_dir/mariadbd.out" 2>&1 &
mariadb_pid=$!
echo "$mariadb_pid" >"$mariadb_dir/server.pid"
stop_later "kill $mariadb_pid 2>/dev/null; for _ in \$(seq 1 100); do kill -0 $mariadb_pid 2>/dev/null || break; sleep 0.1; done; rm -f '$mariadb_dir/server.pid'"

mariadb_ready=0
for _ in $(seq 1 200); do
    if ! kill -0 "$mariadb_pid" 2>/dev/null; then break; fi
    if mariadb --no-defaults -S "$mariadb_socket" -u root -e "select 1" >/dev/null 2>&1; then
        mariadb_ready=1
        break
    fi
    sleep 0.1
done
if ((mariadb_ready == 0)); then
    tail -5 "$mariadb_dir/run/server.log"
    echo "mariadb.sh: mariadbd did not start on 127.0.0.1:$mariadb_port (log: $mariadb_dir/run/server.log)"
    return 1
fi

mariadb_password="cairn-test-$RANDOM$RANDOM"
# Known rows from the SEQUENCE engine (seq_1_to_N), so every run has the same data and checksums.
if ! mariadb --no-defaults -S "$mariadb_socket" -u root >"$mariadb_dir/setup.log" 2>&1 <<SQL; then
CREATE USER 'cairn'@'127.0.0.1' IDENTIFIED BY '$mariadb_password';
GRANT ALL PRIVILEGES ON *.* TO 'cairn'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE cairn_test;
USE cairn_test;
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), created DATETIME NOT NULL) ENGINE=InnoDB;
INSERT INTO customers SELECT seq, CONCAT('customer ', seq), CONCAT('c', seq, '@example.org'), '2024-01-01 00:00:00' + INTERVAL seq MINUTE FROM seq_1_to_3000;
CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, note TEXT,
    FOREIGN KEY (customer_id) REFERENCES customers(id)) ENGINE=InnoDB;
INSERT INTO orders SELECT seq, 1 + seq % 3000, (seq * 37 % 10000) / 100, IF(seq % 7 = 0, NULL, REPEAT(CONCAT('o', seq, ' '), seq % 20)) FROM seq_1_to_20000;
CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body BLOB, tag ENUM('a','b','c')) ENGINE=InnoDB;
INSERT INTO notes (body, tag) SELECT UNHEX(SHA2(seq, 256)), ELT(1 + seq % 3, 'a', 'b', 'c') FROM seq_1_to_500;
CREATE VIEW big_orders AS SELECT id, customer_id, amount FROM orders WHERE amount > 90;
CREATE PROCEDURE order_count(OUT n INT) SELECT COUNT(*) INTO n FROM orders;
CREATE TRIGGER notes_tag BEFORE INSERT ON notes FOR EACH ROW SET NEW.tag = COALESCE(NEW.tag, 'a');
CREATE DATABASE cairn_other;
CREATE TABLE cairn_other.settings (name VARCHAR(50) PRIMARY KEY, value VARCHAR(200)) ENGINE=InnoDB;
INSERT INTO cairn_other.settings SELECT CONCAT('key', seq), CONCAT('value ', seq) FROM seq_1_to_100;
SQL
    tail -5 "$mariadb_dir/setup.log"
    echo "mariadb.sh: creating the test data failed (log: $mariadb_dir/setup.log)"
    return 1
fi
echo "mariadb $(mariadbd --version | awk '{print $3}') on 127.0.0.1:$mariadb_port"

export CAIRN_TEST_MARIADB_HOST=127.0.0.1
export CAIRN_TEST_MARIADB_PORT=$mariadb_port
export CAIRN_TEST_MARIADB_USER=cairn
export CAIRN_TEST_MARIADB_PASSWORD="$mariadb_password"
export CAIRN_TEST_MARIADB_SOCKET="$mariadb_socket"
export CAIRN_TEST_MARIADB_DATABASES=cairn_test,cairn_other
