"""Each reader in their own language, through a real herald-api process.

Messages are accepted by the collector's validator (so their parameters are
stored as the listener stores them) and one row is written as rows were
before migration 0009 (no parameters). A client that sends no
Accept-Language reads English as before; ``Accept-Language: ja`` reads
Japanese, with Content-Language and Vary saying so; a rewording applied
with SIGHUP reaches the messages already stored; the old row keeps its text.
"""

from __future__ import annotations

import datetime
import json
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from collector import catalogue
from collector.model import Notification, UserMessage, utcnow
from collector.validation import Validator
from storage import get_connection
from tests import services

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
PROJECT = "projlang"
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
INST = "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a"


def accepted(event_id: str, params: dict, n: int) -> UserMessage:
    note = Notification(f"lang-{n}", "volume.host-a", "user_message.create", "ERROR",
                        str(utcnow() - datetime.timedelta(seconds=10 - n)),
                        {"event_id": event_id, "params": params},
                        {"project_id": PROJECT, "request_id": f"req-{n}"})
    return Validator(catalogue.sanctioned(), ttl=86400, max_clock_skew=300).accept(
        note, utcnow())


def get(base: str, path: str, language: str | None = None):
    headers = {"X-Auth-Token": f"u1:{PROJECT}", "OpenStack-API-Version": "volume 3.5"}
    if language is not None:
        headers["Accept-Language"] = language
    req = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read()), r.headers


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def api(request, conf, databases, tmp_path):
    db = databases(request.param)
    store = get_connection(conf, db.url, create=True)
    store.upgrade()
    with store.engine.begin() as c:
        c.exec_driver_sql("DELETE FROM messages")
    extend = accepted("VOLUME_EXTEND_FAILED",
                      {"volume_id": VOL, "new_size_gb": 20, "reason": "no_capacity"}, 1)
    quota = accepted("INSTANCE_CREATE_QUOTA_EXCEEDED", {"instance_id": INST, "quota": "cores"},
                     2)
    old = accepted("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"}, 3)
    old.params = None  # as written before 0009
    old.user_message = "Volume text as stored before 0009."
    assert store.insert_messages([extend, quota, old]) == []
    port = services.free_port()
    override = tmp_path / "override.yaml"
    conf_file = tmp_path / "api.conf"
    conf_file.write_text(textwrap.dedent(f"""\
        [database]
        connection = {db.url}
        [api]
        auth_strategy = noauth
        port = {port}
        [catalogue]
        override_file = {override}
        """))
    override.write_text("{}\n")
    log = open(tmp_path / "api.log", "wb")
    proc = subprocess.Popen([str(BIN / "herald-api"), "--config-file", str(conf_file)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        services.wait_until(lambda: services.port_open(port), 30, "herald-api to listen")
        yield f"http://127.0.0.1:{port}", proc, override, {m.message_id: m.id for m in
                                                            (extend, quota, old)}
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
        store.close()


def texts(body) -> dict[str, str]:
    return {m["event_id"]: m["user_message"] for m in body["messages"]}


def test_each_reader_in_their_own_language(api):
    base, proc, override, ids = api
    body, headers = get(base, "/v3/messages")
    assert headers["Content-Language"] == "en"
    assert "Accept-Language" in headers["Vary"]
    english = texts(body)
    assert english["VOLUME_EXTEND_FAILED"] == (
        f"Volume {VOL} could not be extended to 20 GB: the storage back end does not have "
        "enough free capacity. It remains usable at its previous size.")
    assert english["VOLUME_DELETE_FAILED"] == "Volume text as stored before 0009."

    body, headers = get(base, "/v3/messages", "ja,en;q=0.5")
    assert headers["Content-Language"] == "ja"
    japanese = texts(body)
    assert japanese["VOLUME_EXTEND_FAILED"] == (
        f"ボリューム {VOL} を 20 GB に拡張できませんでした: ストレージバックエンドに十分な"
        "空き容量がありません。ボリュームは以前のサイズのまま使用できます。")
    assert japanese["INSTANCE_CREATE_QUOTA_EXCEEDED"] == (
        f"インスタンス {INST} を作成できませんでした: プロジェクトの仮想 CPUのクォータを"
        "使い切りました。")
    assert japanese["VOLUME_DELETE_FAILED"] == "Volume text as stored before 0009."

    body, headers = get(base, f"/v3/messages/{ids['lang-1']}", "pt-BR")
    assert headers["Content-Language"] == "pt-BR"
    assert body["message"]["user_message"].startswith(f"O volume {VOL} não pôde ser estendido")

    # a rewording, applied by SIGHUP, reaches the message already stored
    override.write_text('VOLUME_EXTEND_FAILED: "Volume {volume_id} stays at its size: '
                        '{new_size_gb} GB was refused because {reason}."\n')
    proc.send_signal(signal.SIGHUP)

    def reworded() -> bool:
        return texts(get(base, "/v3/messages")[0])["VOLUME_EXTEND_FAILED"].startswith(
            f"Volume {VOL} stays at its size")

    services.wait_until(reworded, 15, "the rewording to be applied")
    assert texts(get(base, "/v3/messages", "zh-Hans")[0])["VOLUME_EXTEND_FAILED"].startswith(
        f"卷 {VOL} 无法扩展到 20 GB")  # a translation follows the sanctioned text
