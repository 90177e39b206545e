# rclone serve restic, for the rest: and rclone: tests. Sourced by test.sh (see its comment); to start it while
# iterating:  stop_later(){ :; }; source tests/servers/rclone.sh
#
# Installs Debian's rclone if missing, serves the restic REST protocol on 127.0.0.1:$rclone_port over a directory under
# .build/servers/rclone (with a user and password, so the credential tests have something to refuse; not
# --append-only, so deletes work), and writes an rclone config with a local-type remote for the rclone: tests.
# Exports:
#   CAIRN_TEST_REST_URL, CAIRN_TEST_REST_USERNAME, CAIRN_TEST_REST_PASSWORD  the server and its credentials
#   CAIRN_TEST_REST_ROOT        the directory it serves (repositories are folders in it)
#   CAIRN_TEST_RCLONE_CONFIG    the config file (tests pass it to cairn as RCLONE_CONFIG)
#   CAIRN_TEST_RCLONE_REMOTE    the local-type remote's name in it
#   CAIRN_TEST_RCLONE_ROOT      a directory the rclone: tests put their repositories in

rclone_port=28731
rclone_dir="$PWD/.build/servers/rclone"
mkdir -p "$rclone_dir"

if ! command -v rclone >/dev/null 2>&1; then
    echo "rclone.sh: installing rclone (Debian package)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y rclone || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y rclone; }; } \
        >"$rclone_dir/install.log" 2>&1; then
        tail -5 "$rclone_dir/install.log"
        echo "rclone.sh: could not install rclone (apt-get install rclone failed, log: $rclone_dir/install.log)"
        return 1
    fi
fi

# A server left running by an interrupted earlier run would hold the port.
# (Only if that pid still is our rclone: a pid can be reused.)
if [[ -f "$rclone_dir/server.pid" ]]; then
    rclone_old=$(cat "$rclone_dir/server.pid")
    if tr '\0' ' ' <"/proc/$rclone_old/cmdline" 2>/dev/null | grep -q "serve restic .*127.0.0.1:$rclone_port"; then
        kill "$rclone_old" 2>/dev/null
        sleep 0.3
    fi
    rm -f "$rclone_dir/server.pid"
fi

rm -rf "$rclone_dir/data" "$rclone_dir/remote"
mkdir -p "$rclone_dir/data" "$rclone_dir/remote"
printf '[cairntest]\ntype = local\n' >"$rclone_dir/rclone.conf"
rclone_password="cairn-test-$RANDOM$RANDOM"

rclone serve restic --config "$rclone_dir/rclone.conf" --addr "127.0.0.1:$rclone_port" \
    --user cairn --pass "$rclone_password" "$rclone_dir/data" >"$rclone_dir/server.log" 2>&1 &
rclone_pid=$!
echo "$rclone_pid" >"$rclone_dir/server.pid"
stop_later "kill $rclone_pid 2>/dev/null; rm -f '$rclone_dir/server.pid'"

rclone_ready=0
for _ in $(seq 1 100); do
    if ! kill -0 "$rclone_pid" 2>/dev/null; then break; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$rclone_port") 2>/dev/null; then
        rclone_ready=1
        break
    fi
    sleep 0.1
done
if ((rclone_ready == 0)); then
    tail -5 "$rclone_dir/server.log"
    echo "rclone.sh: rclone serve restic did not start on 127.0.0.1:$rclone_port (log: $rclone_dir/server.log)"
    return 1
fi
echo "rclone serve restic $(rclone version 2>/dev/null | head -1 | awk '{print $2}') on 127.0.0.1:$rclone_port"

export CAIRN_TEST_REST_URL="http://127.0.0.1:$rclone_port"
export CAIRN_TEST_REST_USERNAME=cairn
export CAIRN_TEST_REST_PASSWORD="$rclone_password"
export CAIRN_TEST_REST_ROOT="$rclone_dir/data"
export CAIRN_TEST_RCLONE_CONFIG="$rclone_dir/rclone.conf"
export CAIRN_TEST_RCLONE_REMOTE=cairntest
export CAIRN_TEST_RCLONE_ROOT="$rclone_dir/remote"
