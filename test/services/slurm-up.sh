#!/bin/bash
# Starts a single-host Slurm "GPU cluster" from Debian's packages on 127.0.0.1, without systemd, for the
# integration tests: munged, slurmctld, four slurmd (gpu1..gpu4, 4 fake H100 each), slurmrestd with JWT,
# two nodes that never register (gpu5, gpu6: down) and two powered-down CLOUD nodes (cloud1, cloud2).
# Everything lives under $SERVICES_DIR; PIDs are kept in $SERVICES_DIR/run/pids. Writes
# $SERVICES_DIR/slurm.env (SLURM_REST_URL, SLURM_JWT, SLURM_CONF, SLURM_USER) for the tests to read.
# Ports (override by env): slurmctld $SLURM_CTLD_PORT (16817), slurmd $SLURM_NODE_PORT_BASE+1..8
# (16831..16838), slurmrestd $SLURM_REST_PORT (16820).
# Gotchas it handles: munged wants its key in a 700 folder; slurmd drops GPUs without File= (fake
# character devices); slurmrestd refuses root (-u) and needs SLURM_JWT=daemon; CLOUD nodes are hidden
# without PrivateData=cloud; power saving needs a finite SuspendTime and Suspend/Resume programs.
set -euo pipefail
B=${SERVICES_DIR:?set SERVICES_DIR to a scratch folder}
S=$B/slurm
M=$B/munge
P=$B/run/pids
CTLD_PORT=${SLURM_CTLD_PORT:-16817}
NODE_BASE=${SLURM_NODE_PORT_BASE:-16830}
REST_PORT=${SLURM_REST_PORT:-16820}
REST_USER=${REST_USER:-slurm}
NODES="gpu1 gpu2 gpu3 gpu4"
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s%N)
log() { local ms=$((($(date +%s%N) - T0) / 1000000)); printf '[slurm %3d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*"; }

for cmd in slurmctld slurmd slurmrestd scontrol munged; do
  command -v $cmd >/dev/null || { echo "slurm-up: $cmd missing: apt-get install -y --no-install-recommends slurmctld slurmd slurmrestd slurm-client slurm-wlm-jwt-plugin munge" >&2; exit 3; }
done

ls $P/*.pid >/dev/null 2>&1 && { SERVICES_DIR=$B "$HERE/slurm-down.sh" >/dev/null 2>&1 || true; }

for port in $CTLD_PORT $REST_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "slurm-up: port $port on 127.0.0.1 is taken (another Slurm? stop it with slurm-down.sh and its SERVICES_DIR)" >&2
    exit 4
  fi
done

mkdir -p $P $S/etc $S/state $S/spool $S/log $S/run $S/dev $S/bin $B/jobs $M/etc $M/run $M/log $M/lib
chmod 700 $M/etc $M/lib
chmod 755 $M/run $M/log
chmod 1777 $B/jobs
rm -rf $S/state/* $S/spool/* $B/jobs/* $S/log/*

[ -s $M/etc/munge.key ] || mungekey -c -k $M/etc/munge.key -b 1024
[ -s $S/etc/jwt_hs256.key ] || dd if=/dev/urandom of=$S/etc/jwt_hs256.key bs=32 count=1 2>/dev/null
chmod 600 $M/etc/munge.key $S/etc/jwt_hs256.key

for i in 0 1 2 3; do [ -c $S/dev/nvidia$i ] || mknod -m 666 $S/dev/nvidia$i c 1 3; done

# "power down" = stop that node's slurmd; "power up" = start it.
cat >$S/bin/suspend.sh <<EOF
#!/bin/bash
export PATH=/usr/sbin:/usr/bin:/sbin:/bin SLURM_CONF=$S/etc/slurm.conf
for n in \$(scontrol show hostnames "\$1"); do
  f=$P/slurmd-\$n.pid
  [ -f \$f ] && kill \$(cat \$f) 2>/dev/null; rm -f \$f
done
exit 0
EOF
# slurmctld accepts a powering-up node only if its boot time is not before the power-up request: run
# slurmd 2 s later in a time namespace whose uptime starts below 1 s. slurmscriptd blocks most signals:
# unblock them, else slurmd ignores SIGTERM.
cat >$S/bin/resume.sh <<EOF
#!/bin/bash
export PATH=/usr/sbin:/usr/bin:/sbin:/bin SLURM_CONF=$S/etc/slurm.conf
for n in \$(scontrol show hostnames "\$1"); do
  mkdir -p $S/spool/\$n
  (
    sleep 2
    U=\$(cut -d. -f1 /proc/uptime)
    exec setsid unshare --time --boottime -\$U \\
      perl -MPOSIX -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec {\$ARGV[0]} @ARGV or die' \\
      /usr/sbin/slurmd -D -f \$SLURM_CONF -N \$n
  ) >>$S/log/slurmd-\$n.stdout 2>&1 </dev/null &
  echo \$! > $P/slurmd-\$n.pid
done
exit 0
EOF
chmod 755 $S/bin/*.sh

HOST=$(hostname)
NODEHW="NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=32 Sockets=2 CoresPerSocket=16 ThreadsPerCore=1 RealMemory=256000 Gres=gpu:h100:4"
cat >$S/etc/slurm.conf <<EOF
ClusterName=gpu-lab
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
AuthType=auth/munge
AuthInfo=socket=$M/run/munge.socket.2
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$S/etc/jwt_hs256.key
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
SlurmdParameters=config_overrides
MpiDefault=none
MailProg=/bin/true
PrivateData=cloud
ReturnToService=2
SlurmdTimeout=300
InactiveLimit=0
KillWait=5
MinJobAge=300
Waittime=0
SuspendProgram=$S/bin/suspend.sh
ResumeProgram=$S/bin/resume.sh
SuspendTime=86400
SuspendTimeout=2
ResumeTimeout=30
# gpu1-3 may be changed by the optimizer, gpu4 is protected; the features carry that, as a site would.
NodeName=gpu[1-3] Port=[$((NODE_BASE + 1))-$((NODE_BASE + 3))] $NODEHW Feature=gpu-optimizer-managed State=UNKNOWN
NodeName=gpu4 Port=$((NODE_BASE + 4)) $NODEHW Feature=gpu-optimizer-managed,gpu-optimizer-protected State=UNKNOWN
NodeName=gpu[5-6] Port=[$((NODE_BASE + 5))-$((NODE_BASE + 6))] $NODEHW State=DOWN Reason="never registers"
NodeName=cloud[1-2] Port=[$((NODE_BASE + 7))-$((NODE_BASE + 8))] $NODEHW Feature=gpu-optimizer-managed State=CLOUD
PartitionName=gpu Nodes=gpu[1-6] Default=YES MaxTime=INFINITE State=UP
PartitionName=cloud Nodes=cloud[1-2] MaxTime=INFINITE State=UP
EOF
cat >$S/etc/gres.conf <<EOF
AutoDetect=off
NodeName=gpu[1-6],cloud[1-2] Name=gpu Type=h100 File=$S/dev/nvidia[0-3]
EOF
export SLURM_CONF=$S/etc/slurm.conf
log "config written"

munged -F --socket=$M/run/munge.socket.2 --key-file=$M/etc/munge.key \
  --pid-file=$M/run/munged.pid --log-file=$M/log/munged.log --seed-file=$M/lib/munged.seed \
  >$M/log/munged.stdout 2>&1 </dev/null &
echo $! >$P/munged.pid
for _ in $(seq 100); do munge -S $M/run/munge.socket.2 -n >/dev/null 2>&1 && break; sleep 0.1; done
munge -S $M/run/munge.socket.2 -n | unmunge -S $M/run/munge.socket.2 >/dev/null
log "munged up"

slurmctld -D -f $SLURM_CONF >$S/log/slurmctld.stdout 2>&1 </dev/null &
echo $! >$P/slurmctld.pid
for _ in $(seq 300); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.1; done
scontrol ping | grep -q 'is UP'
log "slurmctld up"

for n in $NODES; do
  mkdir -p $S/spool/$n
  slurmd -D -f $SLURM_CONF -N $n >$S/log/slurmd-$n.stdout 2>&1 </dev/null &
  echo $! >$P/slurmd-$n.pid
done
for _ in $(seq 300); do [ "$(sinfo -h -n gpu[1-4] -t idle -o '%D')" = 4 ] && break; sleep 0.1; done
[ "$(sinfo -h -n gpu[1-4] -t idle -o '%D')" = 4 ]
log "slurmd gpu1..gpu4 registered"

# Newer slurmrestd (23.02+) serves data_parser plugins instead of openapi/v0.0.3x; 22.05 takes -s.
PLUGINS=(-s openapi/v0.0.36,openapi/v0.0.37,openapi/v0.0.38)
[ "$(scontrol --version | grep -oE '[0-9]+' | head -1)" -ge 23 ] && PLUGINS=()
SLURM_JWT=daemon slurmrestd -u $REST_USER -f $SLURM_CONF -a rest_auth/jwt "${PLUGINS[@]}" 127.0.0.1:$REST_PORT \
  >$S/log/slurmrestd.log 2>&1 </dev/null &
echo $! >$P/slurmrestd.pid
TOKEN=$(scontrol token username=root lifespan=86400 | sed 's/^SLURM_JWT=//')
for _ in $(seq 100); do
  curl -sf -o /dev/null -H "X-SLURM-USER-NAME: root" -H "X-SLURM-USER-TOKEN: $TOKEN" \
    http://127.0.0.1:$REST_PORT/openapi/v3 && break
  sleep 0.1
done
curl -sf -o /dev/null -H "X-SLURM-USER-NAME: root" -H "X-SLURM-USER-TOKEN: $TOKEN" http://127.0.0.1:$REST_PORT/openapi/v3
log "slurmrestd up on 127.0.0.1:$REST_PORT"

cat >$B/slurm.env.tmp <<EOF
SLURM_REST_URL=http://127.0.0.1:$REST_PORT
SLURM_USER=root
SLURM_JWT=$TOKEN
SLURM_CONF=$SLURM_CONF
EOF
chmod 600 $B/slurm.env.tmp
mv $B/slurm.env.tmp $B/slurm.env
