#!/usr/bin/env bash
# The whole test suite. Works on a fresh Debian 12 machine with only the .NET 10 SDK (CI runs it as root from a
# clean clone), builds with warnings as errors, runs every test, and ends with one summary line CI reads:
#   tests: N passed, N failed, N skipped
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
results="$PWD/.build/test-results"
trx="$results/tests.trx"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# ---------------------------------------------------------------------------------------------------------------
# Servers for integration tests (PostgreSQL, MariaDB, Redis, etcd, OpenSSH, s3rver/Azurite via npm, rclone).
# Later issues install and start them here, each on loopback, and register a stop command with stop_later.
# A server that cannot start must fail the run with a clear message, never skip its tests silently.
stop_commands=()
stop_later() { stop_commands+=("$1"); }
stop_servers() {
    local i
    for ((i = ${#stop_commands[@]} - 1; i >= 0; i--)); do
        eval "${stop_commands[i]}" || echo "test.sh: could not stop: ${stop_commands[i]}" >&2
    done
}
trap stop_servers EXIT
# Each tests/servers/NAME.sh, sourced in name order, installs its server if missing (apt-get, npm), starts it on
# loopback under .build/servers/NAME, exports the CAIRN_TEST_* variables its tests read, and registers its stop
# command with stop_later. It returns non-zero (after saying why) when the server cannot start.
mkdir -p .build/servers
for server_script in tests/servers/*.sh; do
    [[ -e "$server_script" ]] || continue
    echo "== server: $(basename "$server_script" .sh)"
    # shellcheck source=/dev/null
    if ! source "$server_script"; then
        echo "test.sh: the server of $server_script could not start (see above)"
        echo "tests: 0 passed, 1 failed, 0 skipped"
        exit 1
    fi
done
# ---------------------------------------------------------------------------------------------------------------

echo "== build (Release, warnings as errors)"
if ! dotnet build Cairn.slnx -c Release --nologo -warnaserror -v minimal; then
    echo "test.sh: build failed"
    echo "tests: 0 passed, 0 failed, 0 skipped"
    exit 1
fi

echo "== test"
rm -rf "$results"
dotnet test tests/Cairn.Tests/Cairn.Tests.csproj -c Release --no-build --nologo \
    --results-directory "$results" --logger "trx;LogFileName=$trx"
status=$?

if [[ ! -f "$trx" ]]; then
    echo "test.sh: no test results were written to $trx (the test host probably crashed)"
    echo "tests: 0 passed, 0 failed, 0 skipped"
    exit $((status == 0 ? 1 : status))
fi

# Each test result in the TRX is one <UnitTestResult ... outcome="..."> element.
count() { grep -o "<UnitTestResult [^>]*outcome=\"$1\"" "$trx" | wc -l; }
passed=$(count Passed)
failed=$(( $(count Failed) + $(count Error) + $(count Timeout) + $(count Aborted) ))
skipped=$(count NotExecuted)
if ((status != 0 && failed == 0)); then
    echo "test.sh: dotnet test exited with $status but no test failed; counting that as a failure"
    failed=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
