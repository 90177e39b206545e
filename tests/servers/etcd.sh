# etcd 3.4 (Debian's etcd-server and etcd-client), for the etcd component tests. Sourced by test.sh (see its
# comment); to start it while iterating:  stop_later(){ :; }; source tests/servers/etcd.sh
#
# Starts one member on 127.0.0.1:$etcd_port (peer $etcd_peer_port) with its data under .build/servers/etcd, turns
# authentication on (user root with a generated password, so the wrong-password test has something to refuse) and
# puts test keys under a few prefixes: /app/config/ (small text values), /registry/pods/ (6000 keys of 1 KiB, a
# database of several of the repository's 1 MiB chunks, so the dedup test can show something), /services/ (keys attached to a one-hour lease) and one key with a binary value.
# Exports:
#   CAIRN_TEST_ETCD_ENDPOINT   http://127.0.0.1:22379
#   CAIRN_TEST_ETCD_USER, CAIRN_TEST_ETCD_PASSWORD   the root user and its password
#   CAIRN_TEST_ETCD_KEYS       how many keys the script put
#   CAIRN_TEST_ETCD_DIR        a scratch directory for the tests (second members, restored data directories)

etcd_port=22379
etcd_peer_port=22380
etcd_dir="$PWD/.build/servers/etcd"
mkdir -p "$etcd_dir"

etcd_packages=()
command -v etcd >/dev/null 2>&1 || etcd_packages+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || etcd_packages+=(etcd-client)
if ((${#etcd_packages[@]} > 0)); then
    echo "etcd.sh: installing ${etcd_packages[*]} (Debian packages)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${etcd_packages[@]}" ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${etcd_packages[@]}"; }; } \
        >"$etcd_dir/install.log" 2>&1; then
        tail -5 "$etcd_dir/install.log"
        echo "etcd.sh: could not install ${etcd_packages[*]} (log: $etcd_dir/install.log)"
        return 1
    fi
    # Debian's package may start a system etcd on the default ports; it does not touch ours.
fi

# A member left running by an interrupted earlier run would hold the ports (only if that pid still is our etcd).
if [[ -f "$etcd_dir/server.pid" ]]; then
    etcd_old=$(cat "$etcd_dir/server.pid")
    if tr "\\0" " " 2>/dev/null <"/proc/$etcd_old/cmdline" | grep -q "etcd .*127.0.0.1:$etcd_port"; then
        kill "$etcd_old" 2>/dev/null
        sleep 0.5
    fi
    rm -f "$etcd_dir/server.pid"
fi

rm -rf "$etcd_dir/data" "$etcd_dir/scratch"
mkdir -p "$etcd_dir/scratch"
etcd --name cairn-test --data-dir "$etcd_dir/data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "cairn-test=http://127.0.0.1:$etcd_peer_port" --logger zap \
    --max-txn-ops 2000 --max-request-bytes 4194304 \
    >"$etcd_dir/server.log" 2>&1 &
etcd_pid=$!
echo "$etcd_pid" >"$etcd_dir/server.pid"
stop_later "kill $etcd_pid 2>/dev/null; rm -f '$etcd_dir/server.pid'"

etcd_ready=0
for _ in $(seq 1 100); do
    if ! kill -0 "$etcd_pid" 2>/dev/null; then break; fi
    if curl -sf "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q '"health":"true"'; then
        etcd_ready=1
        break
    fi
    sleep 0.1
done
if ((etcd_ready == 0)); then
    tail -5 "$etcd_dir/server.log"
    echo "etcd.sh: etcd did not start on 127.0.0.1:$etcd_port (log: $etcd_dir/server.log)"
    return 1
fi

etcd_password="cairn-test-$RANDOM$RANDOM"
etcd_ctl() { ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$etcd_port" "$@"; }
if ! { etcd_ctl user add "root:$etcd_password" && etcd_ctl user grant-role root root && etcd_ctl auth enable; } \
    >"$etcd_dir/setup.log" 2>&1; then
    cat "$etcd_dir/setup.log"
    echo "etcd.sh: could not enable authentication (log: $etcd_dir/setup.log)"
    return 1
fi

# Keys go in through 'etcdctl txn', a thousand at a time (the member allows 2000 operations and 4 MiB per request,
# instead of 128 and 1.5 MiB): a few processes and fsyncs instead of one per key keep the script fast.
etcd_lease=$(ETCDCTL_USER="root:$etcd_password" etcd_ctl lease grant 3600 | awk '{print $2}')
etcd_filler=$(head -c 1500 /dev/urandom | base64 -w0)
etcd_txn_input() { # prints txn input putting keys $1..$2 of the kind $3
    echo
    local i
    for ((i = $1; i < $2; i++)); do
        case $3 in
        pods) echo "put /registry/pods/default/pod-$i \"{\\\"name\\\":\\\"pod-$i\\\",\\\"spec\\\":\\\"${etcd_filler:i%900:1000}\\\"}\"" ;;
        config) echo "put /app/config/setting-$i value-$i" ;;
        esac
    done
    echo
    echo
}
etcd_failed=0
for ((start = 0; start < 6000; start += 1000)); do
    etcd_txn_input "$start" $((start + 1000)) pods | ETCDCTL_USER="root:$etcd_password" etcd_ctl txn >/dev/null 2>>"$etcd_dir/setup.log" || etcd_failed=1
done
etcd_txn_input 0 50 config | ETCDCTL_USER="root:$etcd_password" etcd_ctl txn >/dev/null 2>>"$etcd_dir/setup.log" || etcd_failed=1
for i in 1 2 3; do
    ETCDCTL_USER="root:$etcd_password" etcd_ctl put --lease="$etcd_lease" "/services/web/instance-$i" "10.0.0.$i:8080" >/dev/null 2>>"$etcd_dir/setup.log" || etcd_failed=1
done
printf 'binary\0value\377\001' | ETCDCTL_USER="root:$etcd_password" etcd_ctl put /app/binary >/dev/null 2>>"$etcd_dir/setup.log" || etcd_failed=1
etcd_keys=$(ETCDCTL_USER="root:$etcd_password" etcd_ctl get "" --prefix --keys-only 2>/dev/null | grep -c .)
if ((etcd_failed != 0)) || [[ "$etcd_keys" != 6054 ]]; then
    tail -5 "$etcd_dir/setup.log"
    echo "etcd.sh: could not put the test keys (6054 expected, etcd has ${etcd_keys:-none}; log: $etcd_dir/setup.log)"
    return 1
fi
echo "etcd $(etcd --version | awk '/etcd Version/ {print $3}') on 127.0.0.1:$etcd_port with $etcd_keys keys"

export CAIRN_TEST_ETCD_ENDPOINT="http://127.0.0.1:$etcd_port"
export CAIRN_TEST_ETCD_USER=root
export CAIRN_TEST_ETCD_PASSWORD="$etcd_password"
export CAIRN_TEST_ETCD_KEYS="$etcd_keys"
export CAIRN_TEST_ETCD_DIR="$etcd_dir/scratch"
