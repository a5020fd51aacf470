#!/bin/bash
# Run herald on its embedded defaults and show messages flowing:
# SQLite in ./quickstart, the local RabbitMQ (override with HERALD_TRANSPORT_URL).
# Called by `tox -e quickstart` (which installed herald); safe to run again.
set -euo pipefail
dir=${HERALD_QUICKSTART_DIR:-$PWD/quickstart}
url=${HERALD_TRANSPORT_URL:-rabbit://guest:guest@127.0.0.1:5672/}
mkdir -p "$dir"
rm -f "$dir"/herald.sqlite* "$dir"/listener.log "$dir"/api.log
api_port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$dir/herald.conf" <<CONF
[DEFAULT]
transport_url = $url
[database]
connection = sqlite:///$dir/herald.sqlite
[listener]
topics = herald_quickstart
# where nova, cinder and manila publish their own notifications ("notifications"
# in a real cloud); herald reads them through its own queue
shared_topics = herald_quickstart_notifications
shared_queue = herald_quickstart
exchanges = openstack,nova
[oslo_messaging_rabbit]
# as this demonstration's services are configured: herald-emit publishes like
# them (herald-listener itself declares none of their exchanges and queues)
amqp_durable_queues = true
[api]
# X-Auth-Token: <user>:<project>, no Keystone: for this demonstration only
auth_strategy = noauth
port = $api_port
CONF
conf=(--config-file "$dir/herald.conf")

python - "$url" <<'PY' || { echo "RabbitMQ is not reachable at $1; start it (rabbitmq-server -detached) or set HERALD_TRANSPORT_URL" >&2; exit 1; }
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1].split(",")[0])
socket.create_connection((u.hostname or "127.0.0.1", u.port or 5672), timeout=3).close()
PY

echo "== the services' exchanges (openstack, nova), as cinder and nova declare them when they start"
python - "$url" <<'PY'
import sys
import kombu
with kombu.Connection(sys.argv[1].replace("rabbit://", "amqp://", 1)) as conn:
    channel = conn.channel()
    for exchange in ("openstack", "nova"):
        channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
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
python - "$url" <<'PY'
import sys, uuid
import listener.cmd  # noqa: F401 (the threading backend)
import kombu
import oslo_messaging
from oslo_config import cfg
from oslo_context.context import RequestContext
from oslo_messaging import opts

def notifier(exchange, publisher, topic="herald_quickstart_notifications",
             driver="messagingv2"):
    """A Notifier configured as the service's own (durable queues, its exchange)."""
    conf = cfg.ConfigOpts()
    for group, o in opts.list_opts():
        conf.register_opts(o, group=group)
    conf([], project="quickstart", default_config_files=[])
    conf.set_override("control_exchange", exchange)
    conf.set_override("amqp_durable_queues", True, group="oslo_messaging_rabbit")
    t = oslo_messaging.get_notification_transport(conf, url=sys.argv[1])
    return t, oslo_messaging.Notifier(t, publisher, driver=driver, topics=[topic])

print("== a notification with an event ID nobody reviewed (published raw, as a buggy "
      "service would)", flush=True)
buggy_t, buggy = notifier("openstack", "volume.buggy-host", "herald_quickstart", "messaging")
buggy.error(RequestContext(project_id="demo"), "user_message.create",
            {"event_id": "VOLUME_FELL_OVER", "params": {"trace": "Traceback: db01.internal ..."}})
buggy_t.cleanup()
print("== nova's and cinder's own notifications, as those services send them: two final "
      "failures and 20 routine ones", flush=True)
topic = "herald_quickstart_notifications"
admin = RequestContext(project_id="admin", user_id="admin")  # cinder's scheduler: an admin's
nova_t, nova = notifier("nova", "compute_task.ctrl-1")
cinder_t, cinder = notifier("openstack", "scheduler.ctrl-1")
vol, inst = str(uuid.uuid4()), str(uuid.uuid4())
cinder.error(admin, "scheduler.create_volume", {
    "volume_id": vol, "volume_properties": {"project_id": "demo", "size": 500},
    "request_spec": {"volume_id": vol}, "state": {"status": "error"}, "method": "create_volume",
    "reason": "NoValidBackend('No valid backend was found. No weighed backends available "
              "on lvmdriver-1@ctrl-1.internal')"})
nova.error(RequestContext(project_id="demo", user_id="alice"), "compute_task.build_instances", {
    "instance_id": inst, "instance_properties": {"project_id": "demo", "uuid": inst},
    "request_spec": {}, "state": "error", "method": "build_instances",
    "reason": "NoValidHost('No valid host was found. There are not enough hosts available.')"})
for i in range(20):
    cinder.info(admin, "volume.create.end", {"tenant_id": "demo", "volume_id": str(uuid.uuid4()),
                                             "status": "available", "host": "ctrl-1@lvm"})
nova_t.cleanup(); cinder_t.cleanup()
with kombu.Connection(sys.argv[1].replace("rabbit://", "amqp://", 1)) as conn:
    channel = conn.channel()
    for priority in ("error", "info"):  # declared by the Notifiers, as in a real cloud
        q = f"{topic}.{priority}"
        print(f"   {q}: {channel.queue_declare(q, passive=True).message_count} notifications "
              "kept for its own consumers (e.g. ceilometer); herald read its own copies")
        channel.queue_delete(q)
PY
# wait for the outcomes, not for a time: one per catalogue entry a service may
# send (herald's own texts are not), the buggy one
# and the two services' failures (routine traffic is only counted)
expected=$(( $(herald-manage "${conf[@]}" catalogue list --format json | python -c 'import json, sys; print(sum(not e["herald_only"] for e in json.load(sys.stdin)))') + 3 ))
python - "$dir/herald.sqlite" "$expected" <<'PY'
import sqlite3, sys, time
db, expected = sys.argv[1], int(sys.argv[2])
for _ in range(300):
    with sqlite3.connect(db) as c:
        got = sum(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("messages", "rejected_notifications"))
    if got >= expected:
        break
    time.sleep(0.1)
else:
    sys.exit(f"herald stored or quarantined {got} of {expected} notifications in 30 s")
PY
echo "== herald-api on http://127.0.0.1:$api_port (log: $dir/api.log)"
herald-api "${conf[@]}" > "$dir/api.log" 2>&1 &
api=$!
trap 'kill -TERM $api 2>/dev/null; kill -TERM $listener 2>/dev/null; wait $listener; echo "== herald-listener and herald-api stopped"' EXIT
echo "== what users of project demo read: GET /v3/demo/messages (what 'cinder message-list' asks)"
python - "$api_port" <<'PY'
import json, sys, time, urllib.error, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"

def get(path, project):
    req = urllib.request.Request(base + path, headers={
        "X-Auth-Token": f"alice:{project}", "OpenStack-API-Version": "volume 3.5"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)

for _ in range(100):
    try:
        urllib.request.urlopen(base + "/", timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
messages = get("/v3/demo/messages?sort=created_at:asc", "demo")["messages"]
for m in messages:
    print(f"   {m['message_level']:<7} {m['event_id']:<32} {m['user_message']}")
print(f"   {len(messages)} messages for project demo; "
      f"project other sees {len(get('/v3/other/messages', 'other')['messages'])}")
PY
echo "== what operators see in quarantine (herald-manage rejected list)"
herald-manage "${conf[@]}" rejected list
