#!/bin/bash
# Installs and starts the Debian services the integration tests use (Slurm + slurmrestd, Prometheus), on
# 127.0.0.1 only, without systemd; run as root. Usage (from .ci/run, in the repository root):
#   export SERVICES_DIR=$(mktemp -d)      # the tests find the services through $SERVICES_DIR/*.env
#   .ci/services.sh up                    # apt-get install + start; about 10 s after the packages
#   …vitest run…
#   .ci/services.sh down                  # stops what `up` started, by recorded PIDs
# Without `up`, each integration test file starts its own service from the same scripts (test/services).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SERVICES_DIR:?export SERVICES_DIR (a scratch folder) before .ci/services.sh}"
mkdir -p "$SERVICES_DIR"
# munged refuses a socket below a folder others cannot traverse (mktemp -d makes 700).
chmod 755 "$SERVICES_DIR"

PACKAGES="slurmctld slurmd slurmrestd slurm-client slurm-wlm-jwt-plugin munge prometheus curl chromium"

case "${1:-up}" in
up)
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    missing=$(for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
    if [ -n "$missing" ]; then
      apt-get update -q >/dev/null
      # shellcheck disable=SC2086
      apt-get install -y -q --no-install-recommends $missing >/dev/null
    fi
  fi
  test/services/slurm-up.sh
  npx tsx test/services/start.ts prometheus-history "$SERVICES_DIR/history.om"
  test/services/prom-up.sh "$SERVICES_DIR/history.om"
  echo "services up: $SERVICES_DIR/slurm.env, $SERVICES_DIR/prom.env"
  ;;
down)
  test/services/prom-down.sh || true
  test/services/slurm-down.sh || true
  ;;
*)
  echo "usage: .ci/services.sh up|down" >&2
  exit 2
  ;;
esac
