# RabbitMQ with the management plugin, for the rabbitmq and http component tests. Sourced by test.sh (see its
# comment); to start it while iterating:  stop_later(){ :; }; source tests/servers/rabbitmq.sh
#
# Installs Debian's rabbitmq-server if missing and runs a private node as the rabbitmq user (RabbitMQ refuses root),
# everything under .build/servers/rabbitmq: node cairntest@localhost, AMQP on 127.0.0.1:25672, the management API on
# 127.0.0.1:25673, Erlang distribution on 25674 and its own epmd on 25675, so a system RabbitMQ (5672/15672/25672
# distribution, epmd 4369) is never touched. The node starts empty each run with an administrator user, then gets
# test data through the management API: a vhost "cairn" with exchanges, queues, bindings and a policy.
# Exports:
#   CAIRN_TEST_RABBITMQ_URL       the management API, http://127.0.0.1:25673
#   CAIRN_TEST_RABBITMQ_USER, CAIRN_TEST_RABBITMQ_PASSWORD   the administrator
#   CAIRN_TEST_RABBITMQ_VHOST     the vhost holding the test data ("cairn")

rabbitmq_port=25672
rabbitmq_mgmt_port=25673
rabbitmq_dist_port=25674
rabbitmq_epmd_port=25675
rabbitmq_dir="$PWD/.build/servers/rabbitmq"
mkdir -p "$rabbitmq_dir"

if ! command -v rabbitmqctl >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    echo "rabbitmq.sh: installing rabbitmq-server and curl (Debian packages)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server curl || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server curl; }; } \
        >"$rabbitmq_dir/install.log" 2>&1; then
        tail -5 "$rabbitmq_dir/install.log"
        echo "rabbitmq.sh: could not install rabbitmq-server (apt-get install rabbitmq-server failed, log: $rabbitmq_dir/install.log)"
        return 1
    fi
    # The package starts the system's own node where it can; that one lives on the default ports and is not ours.
fi

# Everything the node and rabbitmqctl need to find each other, and nothing of a system RabbitMQ. HOME holds the
# Erlang cookie, so the server and rabbitmqctl (both run as rabbitmq) share one that is not the system's.
rabbitmq_env=(
    "HOME=$rabbitmq_dir/home"
    "RABBITMQ_NODENAME=cairntest@localhost"
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
    "RABBITMQ_NODE_PORT=$rabbitmq_port"
    "RABBITMQ_DIST_PORT=$rabbitmq_dist_port"
    "ERL_EPMD_PORT=$rabbitmq_epmd_port"
    "ERL_EPMD_ADDRESS=127.0.0.1"
    "RABBITMQ_CONFIG_FILE=$rabbitmq_dir/rabbitmq.conf"
    "RABBITMQ_ADVANCED_CONFIG_FILE=$rabbitmq_dir/advanced.config"
    "RABBITMQ_CONF_ENV_FILE=$rabbitmq_dir/rabbitmq-env.conf"
    "RABBITMQ_ENABLED_PLUGINS_FILE=$rabbitmq_dir/enabled_plugins"
    "RABBITMQ_MNESIA_BASE=$rabbitmq_dir/mnesia"
    "RABBITMQ_LOG_BASE=$rabbitmq_dir/log"
    "RABBITMQ_PID_FILE=$rabbitmq_dir/server.pid"
    "RABBITMQ_LOGS=$rabbitmq_dir/log/node.log"
    # The distribution listener binds to all interfaces unless told otherwise.
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
)
# setpriv execs (runuser would stay in between as a parent that has to be stopped too), so $! is the program itself.
rabbitmq_as_user() { setpriv --reuid rabbitmq --regid rabbitmq --init-groups env "${rabbitmq_env[@]}" "$@"; }

# A node or epmd left running by an interrupted earlier run would hold the ports (only if the pid is still ours).
if [[ -f "$rabbitmq_dir/server.pid" ]]; then
    rabbitmq_old=$(cat "$rabbitmq_dir/server.pid")
    if tr '\0' ' ' <"/proc/$rabbitmq_old/cmdline" 2>/dev/null | grep -qF -- "-home $rabbitmq_dir/home"; then
        kill "$rabbitmq_old" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$rabbitmq_old" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$rabbitmq_old" 2>/dev/null
    fi
fi
if [[ -f "$rabbitmq_dir/epmd.pid" ]]; then
    rabbitmq_old=$(cat "$rabbitmq_dir/epmd.pid")
    if tr '\0' ' ' <"/proc/$rabbitmq_old/cmdline" 2>/dev/null | grep -q "epmd -port $rabbitmq_epmd_port"; then
        kill "$rabbitmq_old" 2>/dev/null
        sleep 0.2
    fi
fi
rm -rf "$rabbitmq_dir/home" "$rabbitmq_dir/mnesia" "$rabbitmq_dir/log" "$rabbitmq_dir/server.pid" "$rabbitmq_dir/epmd.pid"
mkdir -p "$rabbitmq_dir/home" "$rabbitmq_dir/mnesia" "$rabbitmq_dir/log"

rabbitmq_user=cairn-admin
rabbitmq_password="cairn-test-$RANDOM$RANDOM"
cat >"$rabbitmq_dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$rabbitmq_port
management.tcp.ip = 127.0.0.1
management.tcp.port = $rabbitmq_mgmt_port
default_user = $rabbitmq_user
default_pass = $rabbitmq_password
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.file.level = warning
log.console = false
EOF
echo '[].' >"$rabbitmq_dir/advanced.config"
: >"$rabbitmq_dir/rabbitmq-env.conf"
echo '[rabbitmq_management].' >"$rabbitmq_dir/enabled_plugins"
chown -R rabbitmq:rabbitmq "$rabbitmq_dir"
chmod 700 "$rabbitmq_dir/home"
chmod 600 "$rabbitmq_dir/rabbitmq.conf"

# Our own epmd on a private port (started first, so the node registers with it and does not spawn one we cannot
# find again to stop).
setpriv --reuid rabbitmq --regid rabbitmq --init-groups epmd -port "$rabbitmq_epmd_port" -address 127.0.0.1 >"$rabbitmq_dir/log/epmd.log" 2>&1 &
rabbitmq_epmd_pid=$!
echo "$rabbitmq_epmd_pid" >"$rabbitmq_dir/epmd.pid"

rabbitmq_as_user /usr/lib/rabbitmq/bin/rabbitmq-server >"$rabbitmq_dir/log/server.out" 2>&1 &
rabbitmq_launcher_pid=$!
rabbitmq_stop() {
    rabbitmq_as_user /usr/lib/rabbitmq/bin/rabbitmqctl stop "$rabbitmq_dir/server.pid" >/dev/null 2>&1 || kill "$(cat "$rabbitmq_dir/server.pid" 2>/dev/null)" "$1" 2>/dev/null
    kill "$2" 2>/dev/null
    rm -f "$rabbitmq_dir/server.pid" "$rabbitmq_dir/epmd.pid"
}
stop_later "rabbitmq_stop $rabbitmq_launcher_pid $rabbitmq_epmd_pid"

rabbitmq_api() { curl -sS -u "$rabbitmq_user:$rabbitmq_password" -H 'content-type: application/json' "$@"; }

# Ready = the management API answers with our administrator (the plugin starts after the broker).
rabbitmq_ready=0
for _ in $(seq 1 300); do
    if ! kill -0 "$rabbitmq_launcher_pid" 2>/dev/null; then break; fi
    if rabbitmq_api -o /dev/null -f "http://127.0.0.1:$rabbitmq_mgmt_port/api/overview" 2>/dev/null; then
        rabbitmq_ready=1
        break
    fi
    sleep 0.2
done
if ((rabbitmq_ready == 0)); then
    tail -5 "$rabbitmq_dir/log/server.out" "$rabbitmq_dir/log/node.log" 2>/dev/null
    echo "rabbitmq.sh: RabbitMQ did not start its management API on 127.0.0.1:$rabbitmq_mgmt_port within 60 s (logs: $rabbitmq_dir/log)"
    return 1
fi

# Test data: a vhost with two exchanges, three queues (one with arguments), bindings, and a policy.
rabbitmq_url="http://127.0.0.1:$rabbitmq_mgmt_port"
rabbitmq_data_ok=1
rabbitmq_put() { rabbitmq_api -f -o /dev/null -X "${3:-PUT}" "$rabbitmq_url$1" -d "$2" || rabbitmq_data_ok=0; }
rabbitmq_put /api/vhosts/cairn '{"description":"cairn test data"}'
rabbitmq_put "/api/permissions/cairn/$rabbitmq_user" '{"configure":".*","write":".*","read":".*"}'
rabbitmq_put /api/exchanges/cairn/orders '{"type":"topic","durable":true}'
rabbitmq_put /api/exchanges/cairn/audit '{"type":"fanout","durable":true,"arguments":{"alternate-exchange":"amq.fanout"}}'
rabbitmq_put /api/queues/cairn/orders.eu '{"durable":true,"arguments":{"x-max-length":1000}}'
rabbitmq_put /api/queues/cairn/orders.us '{"durable":true}'
rabbitmq_put /api/queues/cairn/audit.log '{"durable":true,"arguments":{"x-queue-type":"classic","x-message-ttl":60000}}'
rabbitmq_put /api/bindings/cairn/e/orders/q/orders.eu '{"routing_key":"eu.#"}' POST
rabbitmq_put /api/bindings/cairn/e/orders/q/orders.us '{"routing_key":"us.#"}' POST
rabbitmq_put /api/bindings/cairn/e/audit/q/audit.log '{"routing_key":""}' POST
rabbitmq_put /api/policies/cairn/orders-limit '{"pattern":"^orders\\.","definition":{"max-length-bytes":1048576},"apply-to":"queues","priority":1}'
if ((rabbitmq_data_ok == 0)); then
    echo "rabbitmq.sh: loading the test data through $rabbitmq_url failed"
    return 1
fi
echo "RabbitMQ $(rabbitmq_api "$rabbitmq_url/api/overview" | sed -n 's/.*"rabbitmq_version":"\([^"]*\)".*/\1/p') on 127.0.0.1:$rabbitmq_port (management $rabbitmq_mgmt_port)"

export CAIRN_TEST_RABBITMQ_URL="$rabbitmq_url"
export CAIRN_TEST_RABBITMQ_USER="$rabbitmq_user"
export CAIRN_TEST_RABBITMQ_PASSWORD="$rabbitmq_password"
export CAIRN_TEST_RABBITMQ_VHOST=cairn
