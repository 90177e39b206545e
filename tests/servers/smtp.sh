# SMTP servers, for the email notification channel's tests. Sourced by test.sh (see its comment); to start them while
# iterating:
#   stop_later(){ :; }; source tests/servers/smtp.sh
#
# Installs Debian's postfix (for its smtp-sink) and python3-aiosmtpd if missing, makes a throw-away CA and a server
# certificate it signs (for 127.0.0.1 and localhost), and runs three servers on loopback under .build/servers/smtp:
#   - smtp-sink on $smtp_plain_port: plain SMTP, saves each message as a file in plain/;
#   - aiosmtpd on $smtp_starttls_port: offers STARTTLS and REFUSES mail before it (require_starttls), so a message that
#     arrives proves the session was upgraded; saves to the maildir starttls/;
#   - aiosmtpd on $smtp_tls_port: TLS from the first byte (SMTPS); saves to the maildir tls/.
# Exports:
#   CAIRN_TEST_SMTP_HOST                 127.0.0.1
#   CAIRN_TEST_SMTP_PLAIN_PORT, CAIRN_TEST_SMTP_PLAIN_DIR         smtp-sink and the directory of its message files
#   CAIRN_TEST_SMTP_STARTTLS_PORT, CAIRN_TEST_SMTP_STARTTLS_DIR   the STARTTLS-only server and its maildir
#   CAIRN_TEST_SMTP_TLS_PORT, CAIRN_TEST_SMTP_TLS_DIR             the SMTPS server and its maildir
#   CAIRN_TEST_SMTP_CA                   the CA certificate (PEM) that signed both TLS servers' certificate

smtp_plain_port=22525
smtp_starttls_port=22587
smtp_tls_port=22465
smtp_dir="$PWD/.build/servers/smtp"
mkdir -p "$smtp_dir"
# Debian's own python3: python3-aiosmtpd installs into its dist-packages, which another python3 on PATH may not see.
smtp_python=/usr/bin/python3

if [[ ! -x /usr/sbin/smtp-sink ]] || ! "$smtp_python" -c 'import aiosmtpd' >/dev/null 2>&1; then
    echo "smtp.sh: installing postfix (for smtp-sink) and python3-aiosmtpd (Debian packages)"
    # "No configuration": the package must not set up (or start) a mail system on this host; only its tools are used.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y postfix python3-aiosmtpd ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix python3-aiosmtpd; }; } \
        >"$smtp_dir/install.log" 2>&1; then
        tail -5 "$smtp_dir/install.log"
        echo "smtp.sh: could not install postfix and python3-aiosmtpd (log: $smtp_dir/install.log)"
        return 1
    fi
fi

# Servers left running by an interrupted earlier run would hold the ports (only if each pid still is ours).
for smtp_pidfile in "$smtp_dir"/*.pid; do
    [[ -f "$smtp_pidfile" ]] || continue
    smtp_old=$(cat "$smtp_pidfile")
    if tr '\0' ' ' 2>/dev/null <"/proc/$smtp_old/cmdline" | grep -qE "smtp-sink|aiosmtpd"; then
        kill "$smtp_old" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$smtp_old" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$smtp_pidfile"
done

rm -rf "$smtp_dir/plain" "$smtp_dir/starttls" "$smtp_dir/tls" "$smtp_dir/pki"
mkdir -p "$smtp_dir/plain" "$smtp_dir/pki"
# smtp-sink drops to this user after binding; it writes the message files as that user.
chown nobody "$smtp_dir/plain" 2>/dev/null || chmod 777 "$smtp_dir/plain"

# A CA of its own, so the tests trust the servers through ca_file alone (never through the system's store).
if ! {
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=cairn test SMTP CA" \
        -keyout "$smtp_dir/pki/ca.key" -out "$smtp_dir/pki/ca.pem" &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout "$smtp_dir/pki/server.key" -out "$smtp_dir/pki/server.csr" &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$smtp_dir/pki/server.ext" &&
        openssl x509 -req -in "$smtp_dir/pki/server.csr" -CA "$smtp_dir/pki/ca.pem" -CAkey "$smtp_dir/pki/ca.key" \
            -CAcreateserial -days 30 -extfile "$smtp_dir/pki/server.ext" -out "$smtp_dir/pki/server.pem"
} >"$smtp_dir/pki.log" 2>&1; then
    tail -5 "$smtp_dir/pki.log"
    echo "smtp.sh: could not make the test certificates (log: $smtp_dir/pki.log)"
    return 1
fi

/usr/sbin/smtp-sink -u nobody -d "$smtp_dir/plain/%M." 127.0.0.1:$smtp_plain_port 10 >"$smtp_dir/smtp-sink.log" 2>&1 &
echo $! >"$smtp_dir/plain.pid"
# -n: stay root (no setuid to nobody), so it can write its maildir; require_starttls is on by default with --tlscert.
"$smtp_python" -m aiosmtpd -n -l 127.0.0.1:$smtp_starttls_port \
    --tlscert "$smtp_dir/pki/server.pem" --tlskey "$smtp_dir/pki/server.key" \
    -c aiosmtpd.handlers.Mailbox "$smtp_dir/starttls" >"$smtp_dir/starttls.log" 2>&1 &
echo $! >"$smtp_dir/starttls.pid"
"$smtp_python" -m aiosmtpd -n -l 127.0.0.1:$smtp_tls_port \
    --smtpscert "$smtp_dir/pki/server.pem" --smtpskey "$smtp_dir/pki/server.key" \
    -c aiosmtpd.handlers.Mailbox "$smtp_dir/tls" >"$smtp_dir/tls.log" 2>&1 &
echo $! >"$smtp_dir/tls.pid"
for smtp_name in plain starttls tls; do
    smtp_pid=$(cat "$smtp_dir/$smtp_name.pid")
    stop_later "kill $smtp_pid 2>/dev/null; for _ in \$(seq 1 50); do kill -0 $smtp_pid 2>/dev/null || break; sleep 0.1; done; rm -f '$smtp_dir/$smtp_name.pid'"
done

# Ready when each port accepts a connection (bash's /dev/tcp: no client tool needed).
smtp_ready=0
for _ in $(seq 1 100); do
    smtp_up=0
    for smtp_port in $smtp_plain_port $smtp_starttls_port $smtp_tls_port; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then smtp_up=$((smtp_up + 1)); fi
    done
    if ((smtp_up == 3)); then
        smtp_ready=1
        break
    fi
    sleep 0.1
done
if ((smtp_ready == 0)); then
    tail -5 "$smtp_dir/smtp-sink.log" "$smtp_dir/starttls.log" "$smtp_dir/tls.log" 2>/dev/null
    echo "smtp.sh: the SMTP servers did not start on 127.0.0.1:$smtp_plain_port, $smtp_starttls_port and $smtp_tls_port (logs: $smtp_dir)"
    return 1
fi
echo "smtp-sink (postfix $(/usr/sbin/postconf -d mail_version 2>/dev/null | awk '{print $3}')) on 127.0.0.1:$smtp_plain_port," \
    "aiosmtpd $("$smtp_python" -m aiosmtpd --version 2>/dev/null | awk '{print $2}') on 127.0.0.1:$smtp_starttls_port (STARTTLS required) and :$smtp_tls_port (TLS)"

export CAIRN_TEST_SMTP_HOST=127.0.0.1
export CAIRN_TEST_SMTP_PLAIN_PORT=$smtp_plain_port
export CAIRN_TEST_SMTP_PLAIN_DIR="$smtp_dir/plain"
export CAIRN_TEST_SMTP_STARTTLS_PORT=$smtp_starttls_port
export CAIRN_TEST_SMTP_STARTTLS_DIR="$smtp_dir/starttls"
export CAIRN_TEST_SMTP_TLS_PORT=$smtp_tls_port
export CAIRN_TEST_SMTP_TLS_DIR="$smtp_dir/tls"
export CAIRN_TEST_SMTP_CA="$smtp_dir/pki/ca.pem"
