#!/bin/bash
# Stops what prom-up.sh started, by its recorded PID only, and removes prom.env.
B=${SERVICES_DIR:?set SERVICES_DIR to a scratch folder}
P=$B/run/pids
rm -f $B/prom.env
running() { [ -n "$(ps -o stat= -p "$1" 2>/dev/null | grep -v Z)" ]; }
f=$P/prometheus.pid
[ -f $f ] || exit 0
pid=$(cat $f)
if running $pid; then
  kill $pid
  for _ in $(seq 50); do running $pid || break; sleep 0.1; done
  running $pid && kill -9 $pid
  echo "stopped prometheus ($pid)"
fi
rm -f $f
exit 0
