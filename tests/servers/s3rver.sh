# s3rver (an S3 emulator from npm) for the S3 store's tests. Sourced by test.sh; see its comment for the contract.
# Installs s3rver@3.7.1 into .build/servers/s3rver (never globally), starts it on 127.0.0.1:$s3rver_port with a fresh
# data directory, and exports what the tests read:
#   CAIRN_TEST_S3_ENDPOINT    http://127.0.0.1:PORT (path-style; tests create one bucket per test class)
#   CAIRN_TEST_S3_ACCESS_KEY  / CAIRN_TEST_S3_SECRET_KEY: s3rver's built-in account (S3RVER / S3RVER)
#   CAIRN_TEST_S3RVER         the s3rver launcher, for tests that run (and stop) a private instance of their own
# While iterating:  stop_later(){ :; }; source tests/servers/s3rver.sh   (then kill "$s3rver_pid" when done)

s3rver_port=19734
s3rver_home="$PWD/.build/servers/s3rver"
s3rver_bin="$s3rver_home/node_modules/.bin/s3rver"

if [[ ! -x "$s3rver_bin" ]]; then
    if ! command -v npm >/dev/null; then
        echo "s3rver.sh: npm is missing; installing Debian's nodejs and npm"
        { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; } ||
            { echo "s3rver.sh: could not install nodejs/npm (apt-get failed)"; return 1; }
    fi
    mkdir -p "$s3rver_home"
    [[ -f "$s3rver_home/package.json" ]] || echo '{"name":"cairn-test-s3rver","private":true}' >"$s3rver_home/package.json"
    echo "s3rver.sh: npm install s3rver@3.7.1 into $s3rver_home"
    if ! (cd "$s3rver_home" && npm install --no-audit --no-fund --loglevel=error s3rver@3.7.1); then
        echo "s3rver.sh: npm install s3rver@3.7.1 failed"
        return 1
    fi
fi

# Answers on the port (any HTTP status): used both to refuse a port someone else holds and to wait for ours.
s3rver_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if s3rver_answers "$s3rver_port"; then
    echo "s3rver.sh: port $s3rver_port on 127.0.0.1 is already in use (a leftover s3rver? find it with: ss -ltnp | grep $s3rver_port)"
    return 1
fi

rm -rf "$s3rver_home/data"
mkdir -p "$s3rver_home/data"
# --silent: a backup makes thousands of requests, and s3rver would log each one; errors still reach the log.
"$s3rver_bin" --address 127.0.0.1 --port "$s3rver_port" --directory "$s3rver_home/data" --silent \
    >"$s3rver_home/s3rver.log" 2>&1 &
s3rver_pid=$!
stop_later "kill $s3rver_pid 2>/dev/null; wait $s3rver_pid 2>/dev/null; true"

for _ in $(seq 1 100); do
    s3rver_answers "$s3rver_port" && break
    if ! kill -0 "$s3rver_pid" 2>/dev/null; then
        echo "s3rver.sh: s3rver exited at start; its log ($s3rver_home/s3rver.log):"
        cat "$s3rver_home/s3rver.log"
        return 1
    fi
    sleep 0.1
done
if ! s3rver_answers "$s3rver_port"; then
    echo "s3rver.sh: s3rver did not answer on 127.0.0.1:$s3rver_port within 10 s; its log ($s3rver_home/s3rver.log):"
    cat "$s3rver_home/s3rver.log"
    return 1
fi

export CAIRN_TEST_S3_ENDPOINT="http://127.0.0.1:$s3rver_port"
export CAIRN_TEST_S3_ACCESS_KEY=S3RVER
export CAIRN_TEST_S3_SECRET_KEY=S3RVER
export CAIRN_TEST_S3RVER="$s3rver_bin"
echo "s3rver $("$s3rver_bin" --version) on $CAIRN_TEST_S3_ENDPOINT (pid $s3rver_pid)"
