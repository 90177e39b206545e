# Not a server: the command-line tools the export and deployment tests run. Sourced by test.sh (see its comment).
#
# Installs, if missing, Debian's systemd (systemd-analyze verify and calendar check the units cairn schedule writes;
# systemd is not started), zstd (extracts tar.zst exports) and tar. Exports nothing.

deploy_tools_dir="$PWD/.build/servers/deploy-tools"
mkdir -p "$deploy_tools_dir"
deploy_tools_missing=()
command -v systemd-analyze >/dev/null 2>&1 || deploy_tools_missing+=(systemd)
command -v zstd >/dev/null 2>&1 || deploy_tools_missing+=(zstd)
command -v tar >/dev/null 2>&1 || deploy_tools_missing+=(tar)
if ((${#deploy_tools_missing[@]} > 0)); then
    echo "deploy-tools.sh: installing ${deploy_tools_missing[*]} (Debian packages)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y "${deploy_tools_missing[@]}" ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${deploy_tools_missing[@]}"; }; } \
        >"$deploy_tools_dir/install.log" 2>&1; then
        tail -5 "$deploy_tools_dir/install.log"
        echo "deploy-tools.sh: could not install ${deploy_tools_missing[*]} (log: $deploy_tools_dir/install.log)"
        return 1
    fi
fi
