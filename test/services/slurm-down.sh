#!/bin/bash
# Stops what slurm-up.sh started, by its recorded PIDs only, and removes slurm.env.
B=${SERVICES_DIR:?set SERVICES_DIR to a scratch folder}
S=$B/slurm
P=$B/run/pids
export SLURM_CONF=$S/etc/slurm.conf
rm -f $B/slurm.env

running() { [ -n "$(ps -o stat= -p "$1" 2>/dev/null | grep -v Z)" ]; }   # alive and not a zombie
alive() { [ -f "$1" ] && running "$(cat "$1")"; }

# cancel jobs first so their slurmstepd processes exit while slurmd is still up
if alive $P/slurmctld.pid; then
  ids=$(squeue -h -o %i 2>/dev/null)
  if [ -n "$ids" ]; then
    scancel $ids 2>/dev/null
    for i in $(seq 100); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.1; done
    sleep 1   # let slurmstepd finish the kill
  fi
fi

stop() {   # stop <pidfile>
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if running "$pid"; then
    kill "$pid"
    for i in $(seq 50); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -9 "$pid"
    echo "stopped $(basename "$f" .pid) ($pid)"
  fi
  rm -f "$f"
}

stop $P/slurmrestd.pid
for f in $P/slurmd-*.pid; do [ -e "$f" ] && stop "$f"; done
stop $P/slurmctld.pid
stop $P/munged.pid

# Leftovers after a crash / kill -9 (jobs never cancelled): our slurmstepd processes are the
# ones holding $S/log/slurmd-<node>.log open; kill each with its job process tree (by PID).
descendants() { local c; for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }
for pid in $(pgrep -x slurmstepd); do
  d=/proc/$pid
  ls -l $d/fd 2>/dev/null | grep -q " $S/log/" || continue
  kids=$(descendants "$pid")
  kill -9 "$pid" $kids 2>/dev/null && echo "killed stray slurmstepd $pid and children:" $kids
done
exit 0
