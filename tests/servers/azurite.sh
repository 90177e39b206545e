# Azurite (Microsoft's Azure Storage emulator, from npm) for the Azure Blob store's tests. Sourced by test.sh.
#
# Installs azurite@3.37.0 into .build/servers/azurite (never globally), starts only its blob service on 127.0.0.1
# with a fresh workspace, waits until it accepts connections, and exports for the tests:
#   CAIRN_TEST_AZURE_CONNECTION_STRING  connection string with Azurite's well-known devstoreaccount1 key (public, not a secret)
#   CAIRN_TEST_AZURE_ENDPOINT           the blob endpoint, http://127.0.0.1:PORT/devstoreaccount1
#   CAIRN_TEST_AZURE_ACCOUNT_NAME / CAIRN_TEST_AZURE_ACCOUNT_KEY   the same account as name + key
#   CAIRN_TEST_AZURITE                  the azurite-blob launcher, for tests that run (and kill) a private instance
# While iterating: cd <worktree> && stop_later(){ :; }; source tests/servers/azurite.sh

azurite_version=3.37.0
azurite_port=10391
azurite_dir="$PWD/.build/servers/azurite"
azurite_bin="$azurite_dir/node_modules/.bin/azurite-blob"

azurite_installed_version() {
    local manifest="$azurite_dir/node_modules/azurite/package.json"
    [[ -f "$manifest" ]] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$manifest" 2>/dev/null
}

azurite_start() {
    if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
        echo "azurite: node and npm are needed to install Azurite (apt-get install -y nodejs npm)" >&2
        return 1
    fi
    if [[ "$(azurite_installed_version)" != "$azurite_version" ]]; then
        echo "azurite: installing azurite@$azurite_version into $azurite_dir"
        mkdir -p "$azurite_dir"
        if ! npm install --prefix "$azurite_dir" --no-save --no-audit --no-fund --loglevel=error "azurite@$azurite_version"; then
            echo "azurite: npm install azurite@$azurite_version failed" >&2
            return 1
        fi
    fi

    # A leftover instance of an earlier run of this worktree (killed test.sh) would hold the port: stop it.
    local pid_file="$azurite_dir/azurite.pid"
    if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        kill "$(cat "$pid_file")" 2>/dev/null
        sleep 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$azurite_port") 2>/dev/null; then
        echo "azurite: port $azurite_port on 127.0.0.1 is already in use by another program" >&2
        return 1
    fi

    # A fresh workspace each run: the tests make a container per test, and nothing from an earlier run should count.
    rm -rf "$azurite_dir/workspace"
    mkdir -p "$azurite_dir/workspace"
    "$azurite_bin" --blobHost 127.0.0.1 --blobPort "$azurite_port" --location "$azurite_dir/workspace" \
        --skipApiVersionCheck --loose --disableTelemetry --silent >"$azurite_dir/azurite.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$pid_file"

    local i
    for ((i = 0; i < 300; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$azurite_port") 2>/dev/null; then
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "azurite: exited during start-up; its log ($azurite_dir/azurite.log) says:" >&2
            tail -20 "$azurite_dir/azurite.log" >&2
            return 1
        fi
        sleep 0.2
    done
    if ((i == 300)); then
        echo "azurite: not listening on 127.0.0.1:$azurite_port after 60 s; see $azurite_dir/azurite.log" >&2
        kill "$pid" 2>/dev/null
        return 1
    fi
    stop_later "kill $pid 2>/dev/null; rm -f '$pid_file'"

    # Azurite's fixed development account; its key is published in Microsoft's documentation.
    local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    export CAIRN_TEST_AZURE_ENDPOINT="http://127.0.0.1:$azurite_port/devstoreaccount1"
    export CAIRN_TEST_AZURE_ACCOUNT_NAME="devstoreaccount1"
    export CAIRN_TEST_AZURE_ACCOUNT_KEY="$key"
    export CAIRN_TEST_AZURE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=$CAIRN_TEST_AZURE_ENDPOINT;"
    export CAIRN_TEST_AZURITE="$azurite_bin"
    echo "azurite $azurite_version: blob service on 127.0.0.1:$azurite_port (pid $pid)"
}

azurite_start
