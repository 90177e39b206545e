# Redis, for the redis component's tests. Sourced by test.sh (see its comment); to start it while iterating:
#   stop_later(){ :; }; source tests/servers/redis.sh
#
# Installs Debian's redis-server and redis-tools if missing, and runs redis-server on 127.0.0.1:$redis_port with a
# password (requirepass), its own directory under .build/servers/redis (dump file, log, pid) and no automatic saves.
# Generates keys of every common type in db 0 (strings, hashes, lists, sets, sorted sets; some with a TTL) and a few
# in db 1.
# Exports:
#   CAIRN_TEST_REDIS_HOST, CAIRN_TEST_REDIS_PORT, CAIRN_TEST_REDIS_PASSWORD  the server and its password
#   CAIRN_TEST_REDIS_SPARE_PORT   a free port the tests start a second redis-server on (RDB restore checks)
#   CAIRN_TEST_REDIS_KEYS         how many keys db 0 holds after generation

redis_port=26379
redis_dir="$PWD/.build/servers/redis"
mkdir -p "$redis_dir"

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo "redis.sh: installing redis-server and redis-tools (Debian packages)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools; }; } \
        >"$redis_dir/install.log" 2>&1; then
        tail -5 "$redis_dir/install.log"
        echo "redis.sh: could not install redis-server (log: $redis_dir/install.log)"
        return 1
    fi
fi

# A server left running by an interrupted earlier run would hold the port.
# (Only if that pid still is our redis-server: a pid can be reused.)
if [[ -f "$redis_dir/server.pid" ]]; then
    redis_old=$(cat "$redis_dir/server.pid")
    if tr '\0' ' ' 2>/dev/null <"/proc/$redis_old/cmdline" | grep -q "redis-server.*:$redis_port"; then
        kill "$redis_old" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$redis_old" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$redis_dir/server.pid"
fi

rm -rf "$redis_dir/data"
mkdir -p "$redis_dir/data"
redis_password="cairn-test-$RANDOM$RANDOM"
# The password goes in a config file, not argv (ps would show it). save "" and no AOF: the tests decide what is on disk.
printf 'port %s\nbind 127.0.0.1\nrequirepass %s\ndir %s\ndbfilename dump.rdb\nsave ""\nappendonly no\nlogfile %s\ndaemonize no\n' \
    "$redis_port" "$redis_password" "$redis_dir/data" "$redis_dir/server.log" >"$redis_dir/redis.conf"
chmod 600 "$redis_dir/redis.conf"

redis-server "$redis_dir/redis.conf" >"$redis_dir/redis-server.out" 2>&1 &
redis_pid=$!
echo "$redis_pid" >"$redis_dir/server.pid"
stop_later "kill $redis_pid 2>/dev/null; for _ in \$(seq 1 50); do kill -0 $redis_pid 2>/dev/null || break; sleep 0.1; done; rm -f '$redis_dir/server.pid'"

redis_ready=0
for _ in $(seq 1 100); do
    if ! kill -0 "$redis_pid" 2>/dev/null; then break; fi
    if [[ "$(REDISCLI_AUTH="$redis_password" redis-cli -h 127.0.0.1 -p $redis_port ping 2>/dev/null)" == PONG ]]; then
        redis_ready=1
        break
    fi
    sleep 0.1
done
if ((redis_ready == 0)); then
    tail -5 "$redis_dir/server.log" "$redis_dir/redis-server.out" 2>/dev/null
    echo "redis.sh: redis-server did not start on 127.0.0.1:$redis_port (log: $redis_dir/server.log)"
    return 1
fi

# Inline commands through --pipe: one round trip for the lot. Values have no spaces (inline syntax).
{
    for i in $(seq 1 500); do echo "SET str:$i value-$i-$((i * 7919 % 10007))"; done
    for i in $(seq 1 50); do echo "SET str:ttl:$i expiring-$i EX $((86400 + i))"; done
    for i in $(seq 1 100); do
        printf 'HSET hash:%s' "$i"; for f in $(seq 1 20); do printf ' f%s v%s-%s' "$f" "$i" "$f"; done; echo
    done
    for i in $(seq 1 10); do echo "HSET hash:ttl:$i a 1 b 2"; echo "PEXPIRE hash:ttl:$i $((86400000 + i))"; done
    for i in $(seq 1 50); do
        printf 'RPUSH list:%s' "$i"; for e in $(seq 1 30); do printf ' e%s-%s' "$i" "$e"; done; echo
        printf 'SADD set:%s' "$i"; for e in $(seq 1 20); do printf ' m%s-%s' "$i" "$e"; done; echo
        printf 'ZADD zset:%s' "$i"; for e in $(seq 1 20); do printf ' %s.5 z%s-%s' "$e" "$i" "$e"; done; echo
    done
    echo "EXPIRE list:1 90000"
    echo "SELECT 1"
    for i in $(seq 1 10); do echo "SET other:$i in-db-1-$i"; done
    echo "SELECT 0"
} | REDISCLI_AUTH="$redis_password" redis-cli -h 127.0.0.1 -p $redis_port --pipe >"$redis_dir/generate.log" 2>&1
# A value with spaces, newlines and bytes outside ASCII (redis-cli's quoted syntax), and a 1 MiB string.
printf '%s\n' 'SET "odd key with spaces" "line one\nline two \xff\x00 end"' 'SETRANGE big:blob 1048575 x' |
    REDISCLI_AUTH="$redis_password" redis-cli -h 127.0.0.1 -p $redis_port >>"$redis_dir/generate.log" 2>&1
redis_keys=$(REDISCLI_AUTH="$redis_password" redis-cli -h 127.0.0.1 -p $redis_port dbsize)
if [[ "$redis_keys" != 812 ]]; then
    cat "$redis_dir/generate.log"
    echo "redis.sh: generating the test keys failed: db 0 holds $redis_keys keys, not 812 (log: $redis_dir/generate.log)"
    return 1
fi
echo "redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$redis_port"

export CAIRN_TEST_REDIS_HOST=127.0.0.1
export CAIRN_TEST_REDIS_PORT=$redis_port
export CAIRN_TEST_REDIS_PASSWORD="$redis_password"
export CAIRN_TEST_REDIS_SPARE_PORT=26380
export CAIRN_TEST_REDIS_KEYS=$redis_keys
