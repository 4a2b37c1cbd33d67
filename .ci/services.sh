#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, trust, database `test`) and Redis (127.0.0.1:6379)
# answer: start them when installed but stopped, install Debian's packages when missing (as
# root). Fails loudly when they still do not answer.
set -euo pipefail

pg_answers() {
  command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432
}
redis_answers() {
  command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@";
  else echo "need root to run: $*" >&2; return 1; fi
}
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@"
}
wait_for() {
  for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done
  return 1
}

if ! pg_answers; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "PostgreSQL not installed: installing Debian's package"
    apt_install postgresql postgresql-client
    version=$(ls /etc/postgresql | sort -V | tail -1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    # Tests connect as postgres over TCP without a password, as on the CI machine.
    as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    as_root sed -i -E 's/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for pg_answers || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
fi
if ! psql -h 127.0.0.1 -U postgres -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw test; then
  psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
fi

if ! redis_answers; then
  if ! command -v redis-server >/dev/null; then
    echo "Redis not installed: installing Debian's package"
    apt_install redis-server
  fi
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/pim-redis.log
  wait_for redis_answers || { echo "Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "services: PostgreSQL and Redis answer"
