# Prometheus (Debian's prometheus), for the prometheus component tests. Sourced by test.sh (see its comment); to start
# it while iterating:  stop_later(){ :; }; source tests/servers/prometheus.sh
#
# Backfills twelve hours of a test metric (ending three hours ago) into 2-hour blocks with promtool, so the data
# directory holds persistent blocks whose values the tests know, then starts Prometheus on 127.0.0.1:$prom_port with
# the admin API on, its own storage under .build/servers/prometheus, a config that scrapes itself every second and
# loads a rules file. Compaction of blocks is held at 2 hours so blocks do not change between two test backups.
# Exports:
#   CAIRN_TEST_PROMETHEUS_URL        http://127.0.0.1:29090
#   CAIRN_TEST_PROMETHEUS_DATA       its storage directory (--storage.tsdb.path)
#   CAIRN_TEST_PROMETHEUS_CONFIG     its config file;  CAIRN_TEST_PROMETHEUS_RULES  its rules file
#   CAIRN_TEST_PROMETHEUS_SAMPLE_TIME  a Unix time inside the backfilled range, where cairn_test_metric{series="N"}
#                                      (N = 0..199) has a value between N * 1000 and N * 1000 + 1
#   CAIRN_TEST_PROMETHEUS_DIR        a scratch directory for the tests (restored data directories, second servers)

prom_port=29090
prom_dir="$PWD/.build/servers/prometheus"
mkdir -p "$prom_dir"

if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    echo "prometheus.sh: installing prometheus (Debian package)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; }; } \
        >"$prom_dir/install.log" 2>&1; then
        tail -5 "$prom_dir/install.log"
        echo "prometheus.sh: could not install prometheus (apt-get install prometheus failed, log: $prom_dir/install.log)"
        return 1
    fi
fi

# A server left running by an interrupted earlier run would hold the port (only if that pid still is our prometheus).
if [[ -f "$prom_dir/server.pid" ]]; then
    prom_old=$(cat "$prom_dir/server.pid")
    if tr "\\0" " " 2>/dev/null <"/proc/$prom_old/cmdline" | grep -q "prometheus .*127.0.0.1:$prom_port"; then
        kill "$prom_old" 2>/dev/null
        sleep 0.5
    fi
    rm -f "$prom_dir/server.pid"
fi

rm -rf "$prom_dir/data" "$prom_dir/scratch" "$prom_dir/backfill.om"
mkdir -p "$prom_dir/data" "$prom_dir/scratch"

# 200 series, one sample a minute for 12 hours, ending on a whole hour three hours ago (before the head block's range).
# Random values make blocks of a realistic size (a ramp would compress to nothing), so dedup shows in the tests.
prom_end=$(( ($(date +%s) / 3600 - 3) * 3600 ))
prom_begin=$((prom_end - 12 * 3600))
awk -v begin="$prom_begin" -v end="$prom_end" 'BEGIN {
    srand(42)
    print "# HELP cairn_test_metric Backfilled test data."
    print "# TYPE cairn_test_metric gauge"
    for (t = begin; t < end; t += 60)
        for (s = 0; s < 200; s++)
            printf "cairn_test_metric{series=\"%d\",job=\"backfill\"} %.6f %d\n", s, s * 1000 + rand(), t
    print "# EOF"
}' >"$prom_dir/backfill.om"
if ! promtool tsdb create-blocks-from openmetrics --quiet "$prom_dir/backfill.om" "$prom_dir/data" >"$prom_dir/backfill.log" 2>&1; then
    tail -5 "$prom_dir/backfill.log"
    echo "prometheus.sh: promtool could not backfill the test data (log: $prom_dir/backfill.log)"
    return 1
fi
rm -f "$prom_dir/backfill.om"

cat >"$prom_dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $prom_dir/rules.yml
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$prom_port']
EOF
cat >"$prom_dir/rules.yml" <<'EOF'
groups:
  - name: cairn-test
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
EOF

prometheus --config.file "$prom_dir/prometheus.yml" --storage.tsdb.path "$prom_dir/data" \
    --web.listen-address "127.0.0.1:$prom_port" --web.enable-admin-api \
    --storage.tsdb.min-block-duration 2h --storage.tsdb.max-block-duration 2h \
    >"$prom_dir/server.log" 2>&1 &
prom_pid=$!
echo "$prom_pid" >"$prom_dir/server.pid"
stop_later "kill $prom_pid 2>/dev/null; rm -f '$prom_dir/server.pid'"

# Ready means it answers queries and has scraped itself at least once (so the head block has samples too).
prom_ready=0
for _ in $(seq 1 200); do
    if ! kill -0 "$prom_pid" 2>/dev/null; then break; fi
    if curl -sf "http://127.0.0.1:$prom_port/api/v1/query?query=up" 2>/dev/null | grep -q '"value"'; then
        prom_ready=1
        break
    fi
    sleep 0.1
done
if ((prom_ready == 0)); then
    tail -5 "$prom_dir/server.log"
    echo "prometheus.sh: prometheus did not start (or scrape itself) on 127.0.0.1:$prom_port (log: $prom_dir/server.log)"
    return 1
fi
echo "prometheus $(prometheus --version 2>&1 | awk 'NR == 1 {print $3}') on 127.0.0.1:$prom_port"

export CAIRN_TEST_PROMETHEUS_URL="http://127.0.0.1:$prom_port"
export CAIRN_TEST_PROMETHEUS_DATA="$prom_dir/data"
export CAIRN_TEST_PROMETHEUS_CONFIG="$prom_dir/prometheus.yml"
export CAIRN_TEST_PROMETHEUS_RULES="$prom_dir/rules.yml"
export CAIRN_TEST_PROMETHEUS_SAMPLE_TIME=$((prom_begin + 5 * 3600))
export CAIRN_TEST_PROMETHEUS_DIR="$prom_dir/scratch"
