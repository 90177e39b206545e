# OpenSSH server for the SFTP store's tests (sourced by test.sh; see its comment).
#
# Installs Debian's openssh-server if /usr/sbin/sshd is missing, then runs a private sshd on 127.0.0.1:2222 with its
# own throw-away host key, user key, authorized_keys, known_hosts and config under .build/servers/sshd. It never reads
# or changes /etc/ssh. Exports:
#   CAIRN_TEST_SFTP_HOST, CAIRN_TEST_SFTP_PORT, CAIRN_TEST_SFTP_USER   where to log in
#   CAIRN_TEST_SFTP_KEY            the user's private key (ed25519, no passphrase)
#   CAIRN_TEST_SFTP_KNOWN_HOSTS    a known_hosts file naming this server's host key ([127.0.0.1]:2222 and [localhost]:2222, hashed)
#   CAIRN_TEST_SFTP_BASE           a directory the user may write, for test repositories (on this machine's disk)
#   CAIRN_TEST_SFTP_SSHD_CONFIG    the config, so a test can start a second instance on another port and stop it
#   CAIRN_TEST_SFTP_PASSWORD_USER, CAIRN_TEST_SFTP_PASSWORD_FILE, CAIRN_TEST_SFTP_PASSWORD_BASE
#                                  a throw-away user (root only: created here, removed on stop) with a random password
#                                  that only this sshd accepts by password, and a directory it owns
#
# While iterating:  stop_later(){ :; }; source tests/servers/sshd.sh   (stop: kill "$(cat .build/servers/sshd/sshd.pid)")

cairn_sshd_start() {
    local dir port=2222 user sshd=/usr/sbin/sshd pwuser=cairn-sftp-test
    dir="$PWD/.build/servers/sshd"
    user="$(id -un)"

    if [[ ! -x $sshd ]]; then
        echo "sshd.sh: installing openssh-server"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server; } >"$PWD/.build/servers/sshd-install.log" 2>&1; then
            echo "sshd.sh: apt-get install openssh-server failed (see .build/servers/sshd-install.log)" >&2
            return 1
        fi
    fi

    # A server left running by an earlier, interrupted run: stop it by its recorded pid (and its connection children).
    if [[ -f $dir/sshd.pid ]]; then
        local old
        old="$(cat "$dir/sshd.pid")"
        [[ -n $old ]] && pkill -TERM -P "$old" 2>/dev/null; [[ -n $old ]] && kill "$old" 2>/dev/null
        sleep 0.3
    fi
    rm -rf "$dir"
    mkdir -p "$dir/data"
    chmod 700 "$dir"

    ssh-keygen -q -t ed25519 -N '' -C cairn-test-host -f "$dir/host_ed25519_key" || return 1
    ssh-keygen -q -t ed25519 -N '' -C cairn-test-user -f "$dir/user_ed25519_key" || return 1
    cp "$dir/user_ed25519_key.pub" "$dir/authorized_keys"
    chmod 600 "$dir/authorized_keys"

    # known_hosts as ssh-keyscan would write it with HashKnownHosts: one hashed line per name the tests use.
    local hostkey
    hostkey="$(cut -d' ' -f1,2 "$dir/host_ed25519_key.pub")"
    printf '[127.0.0.1]:%s %s\n[localhost]:%s %s\n' "$port" "$hostkey" "$port" "$hostkey" >"$dir/known_hosts"
    ssh-keygen -q -H -f "$dir/known_hosts" >/dev/null 2>&1 || return 1
    rm -f "$dir/known_hosts.old"

    local allow="$user"
    if [[ $(id -u) == 0 ]]; then
        # Privilege separation needs its empty directory; Debian's service creates it at start, which never ran here.
        mkdir -p /run/sshd && chmod 755 /run/sshd
        # The password test's user: no shell, a random password that changes every run, and password logins accepted
        # only by this loopback sshd (the Match block below); removed again when the tests end.
        if ! id "$pwuser" >/dev/null 2>&1; then
            useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pwuser" || return 1
        fi
        head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/password"
        chmod 600 "$dir/password"
        echo "$pwuser:$(cat "$dir/password")" | chpasswd || return 1
        # Its repositories live outside the worktree, whose parents (e.g. /root) it may not traverse.
        local pwbase=/tmp/cairn-sftp-test-data
        rm -rf "$pwbase"
        mkdir -p "$pwbase" && chown "$pwuser" "$pwbase" && chmod 700 "$pwbase"
        allow="$allow $pwuser"
        export CAIRN_TEST_SFTP_PASSWORD_USER="$pwuser" CAIRN_TEST_SFTP_PASSWORD_FILE="$dir/password" CAIRN_TEST_SFTP_PASSWORD_BASE="$pwbase"
        stop_later "userdel $pwuser 2>/dev/null; rm -rf $pwbase"
    else
        echo "sshd.sh: not root, so no throw-away user for the password test (only key logins are tested)" >&2
    fi

    cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $allow
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The worktree may be group-writable; the keys here are throw-away ones.
StrictModes no
MaxStartups 100:30:200
MaxSessions 50
ClientAliveInterval 0
Subsystem sftp internal-sftp
Match User $pwuser
    PasswordAuthentication yes
EOF

    if ! "$sshd" -t -f "$dir/sshd_config"; then
        echo "sshd.sh: sshd rejected its config $dir/sshd_config" >&2
        return 1
    fi
    "$sshd" -f "$dir/sshd_config" -E "$dir/sshd.log" || { echo "sshd.sh: sshd did not start (see $dir/sshd.log)" >&2; return 1; }

    local i
    for ((i = 0; i < 50; i++)); do
        if [[ -s $dir/sshd.pid ]] && ssh-keyscan -t ed25519 -p "$port" -T 1 127.0.0.1 >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
    if ((i == 50)); then
        echo "sshd.sh: sshd does not answer on 127.0.0.1:$port (see $dir/sshd.log)" >&2
        return 1
    fi
    # Stops the listener and every connection it forked, by pid.
    stop_later "pkill -TERM -P \$(cat '$dir/sshd.pid') 2>/dev/null; kill \$(cat '$dir/sshd.pid') 2>/dev/null"

    export CAIRN_TEST_SFTP_HOST=127.0.0.1 CAIRN_TEST_SFTP_PORT="$port" CAIRN_TEST_SFTP_USER="$user" \
        CAIRN_TEST_SFTP_KEY="$dir/user_ed25519_key" CAIRN_TEST_SFTP_KNOWN_HOSTS="$dir/known_hosts" \
        CAIRN_TEST_SFTP_BASE="$dir/data" CAIRN_TEST_SFTP_SSHD_CONFIG="$dir/sshd_config"
    echo "sshd.sh: sshd on 127.0.0.1:$port (user $user)"
}

cairn_sshd_start
