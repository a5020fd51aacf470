#!/bin/bash
# Run herald on its embedded defaults and show messages flowing:
# SQLite in ./quickstart, the local RabbitMQ (override with HERALD_TRANSPORT_URL).
# Called by `tox -e quickstart` (which installed herald); safe to run again.
set -euo pipefail
dir=${HERALD_QUICKSTART_DIR:-$PWD/quickstart}
url=${HERALD_TRANSPORT_URL:-rabbit://guest:guest@127.0.0.1:5672/}
mkdir -p "$dir"
rm -f "$dir"/herald.sqlite* "$dir"/listener.log
cat > "$dir/herald.conf" <<CONF
[DEFAULT]
transport_url = $url
[database]
connection = sqlite:///$dir/herald.sqlite
[listener]
topics = herald_quickstart
CONF
conf=(--config-file "$dir/herald.conf")

python - "$url" <<'PY' || { echo "RabbitMQ is not reachable at $1; start it (rabbitmq-server -detached) or set HERALD_TRANSPORT_URL" >&2; exit 1; }
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1].split(",")[0])
socket.create_connection((u.hostname or "127.0.0.1", u.port or 5672), timeout=3).close()
PY

echo "== herald-manage db upgrade"
herald-manage "${conf[@]}" db upgrade
echo "== herald-listener (log: $dir/listener.log)"
herald-listener "${conf[@]}" --log-file "$dir/listener.log" &
listener=$!
trap 'kill -TERM $listener 2>/dev/null; wait $listener; echo "== herald-listener stopped (exit $?)"' EXIT
for _ in $(seq 1 120); do grep -q "Consuming" "$dir/listener.log" 2>/dev/null && break; sleep 0.5; done

echo "== herald-emit: one notification per catalogue entry, for project demo"
herald-emit "${conf[@]}" --all-samples --project-id demo
echo "== a notification with an event ID nobody reviewed (published raw, as a buggy service would)"
python - "$url" <<'PY'
import sys
import listener  # noqa: F401 (threading backend)
import oslo_messaging
from oslo_config import cfg
from oslo_context.context import RequestContext
from oslo_messaging import opts
conf = cfg.ConfigOpts()
for group, o in opts.list_opts():
    conf.register_opts(o, group=group)
conf([], project="quickstart", default_config_files=[])
conf.set_override("amqp_durable_queues", True, group="oslo_messaging_rabbit")
t = oslo_messaging.get_notification_transport(conf, url=sys.argv[1])
oslo_messaging.Notifier(t, "volume.buggy-host", driver="messaging",
                        topics=["herald_quickstart"]).error(
    RequestContext(project_id="demo"), "user_message.create",
    {"event_id": "VOLUME_FELL_OVER", "params": {"trace": "Traceback: db01.internal ..."}})
t.cleanup()
PY
sleep 2
echo "== what users of project demo see (herald-manage messages list --project demo)"
herald-manage "${conf[@]}" messages list --project demo --limit 100
echo "== what operators see in quarantine (herald-manage rejected list)"
herald-manage "${conf[@]}" rejected list
