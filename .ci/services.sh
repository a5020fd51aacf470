#!/bin/bash
# Start RabbitMQ, PostgreSQL and MariaDB if they are not running (Debian,
# root), with the commands of this machine kind, and wait for their ports.
set -uo pipefail
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 120); do up "$1" && return 0; sleep 1; done
  echo "$2 did not come up on port $1" >&2; return 1
}
if ! up 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  wait_port 5432 PostgreSQL || exit 1
fi
if ! up 3306; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_port 3306 MariaDB || exit 1
fi
# tests/functional/test_galera.py runs a Galera cluster of its own from
# these: galera-4 (the provider), rsync and ss (rsync state transfers)
if [ ! -e /usr/lib/galera/libgalera_smm.so ] || ! command -v rsync >/dev/null \
    || ! command -v ss >/dev/null; then
  echo "installing galera-4, rsync and iproute2"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq galera-4 rsync iproute2
fi
if ! up 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
  wait_port 5672 RabbitMQ || exit 1
fi
# a port can open before the service accepts work
rabbitmqctl await_startup >/dev/null 2>&1 || true
for _ in $(seq 1 60); do
  psql -h 127.0.0.1 -U postgres -d test -c "select 1" >/dev/null 2>&1 \
    && mariadb -uroot -h127.0.0.1 -e "select 1" >/dev/null 2>&1 && break
  sleep 1
done
echo "services: RabbitMQ :5672, PostgreSQL :5432, MariaDB :3306 up"
