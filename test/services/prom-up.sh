#!/bin/bash
# Starts Prometheus from Debian's package on 127.0.0.1 over a TSDB backfilled with promtool from an
# OpenMetrics history file (written by `npx tsx test/services/start.ts prometheus-history FILE`), without systemd.
#   SERVICES_DIR=… prom-up.sh HISTORY.om      (port: $PROM_PORT, default 19090)
# Writes $SERVICES_DIR/prom.env: PROMETHEUS_URL plus the lines of HISTORY.om.range (the history span).
set -euo pipefail
B=${SERVICES_DIR:?set SERVICES_DIR to a scratch folder}
HISTORY=${1:?usage: prom-up.sh HISTORY.om}
R=$B/prom
P=$B/run/pids
PORT=${PROM_PORT:-19090}
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s%N)
log() { local ms=$((($(date +%s%N) - T0) / 1000000)); printf '[prom %3d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*"; }

for cmd in prometheus promtool curl; do
  command -v $cmd >/dev/null || { echo "prom-up: $cmd missing: apt-get install -y --no-install-recommends prometheus curl" >&2; exit 3; }
done
[ -f $P/prometheus.pid ] && { SERVICES_DIR=$B "$HERE/prom-down.sh" >/dev/null 2>&1 || true; }
if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
  echo "prom-up: port $PORT on 127.0.0.1 is taken (another Prometheus? stop it with prom-down.sh and its SERVICES_DIR)" >&2
  exit 4
fi
mkdir -p $P $R/log $R/data
rm -rf $R/data/*

# No scrape targets: the tests read the backfilled history only, so nothing else listens.
cat >$R/prometheus.yml <<EOF
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs: []
EOF
promtool check config $R/prometheus.yml >/dev/null
promtool tsdb create-blocks-from openmetrics -q "$HISTORY" $R/data >/dev/null
log "backfilled $(basename "$HISTORY")"

prometheus --config.file=$R/prometheus.yml --storage.tsdb.path=$R/data --storage.tsdb.retention.time=30d \
  --web.listen-address=127.0.0.1:$PORT >$R/log/prometheus.log 2>&1 </dev/null &
echo $! >$P/prometheus.pid
for _ in $(seq 300); do curl -sf http://127.0.0.1:$PORT/-/ready >/dev/null && break; sleep 0.05; done
curl -sf http://127.0.0.1:$PORT/-/ready >/dev/null
log "prometheus ready on 127.0.0.1:$PORT"

{
  echo "PROMETHEUS_URL=http://127.0.0.1:$PORT"
  cat "$HISTORY.range"
} >$B/prom.env.tmp
mv $B/prom.env.tmp $B/prom.env
