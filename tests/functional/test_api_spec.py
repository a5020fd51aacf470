"""api/openapi.yaml describes herald-api exactly, and fuzzing it finds no 500.

The routes the application serves and the paths the description lists are
the same set. Then schemathesis generates requests from the description
(valid and invalid ones, a bounded number per operation, on every
database) and herald-api's
answers must be in the description: a declared status, the declared
content type, a body of the declared schema, never a server error, and
never an operator's field or another project's message.

Schemathesis's "schema-valid request rejected" check is left out on
purpose: the description cannot say that ``sort`` and ``sort_key`` exclude
each other, that a marker must be a message of the project, or which
microversions exist, so valid-looking requests do get their 400/404/406.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from api import app as api_app
from collector.model import UserMessage, utcnow

SPEC = Path(api_app.__file__).with_name("openapi.yaml")
MINE, OTHER = "projmine", "projother"
OPERATOR_FIELDS = ("publisher_id", "session_id", "claim", "message_id", "raw_body")
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance]


def test_every_route_is_described_and_every_description_is_a_route():
    served = set()
    for route in api_app._mapper().matchlist:
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.routepath)
        path = path.rstrip("/") or "/"
        served.add((route.conditions["method"][0].lower(), path))
    described = {(method, path) for path, ops in yaml.safe_load(SPEC.read_text())["paths"].items()
                 for method in ops}
    assert served == described


def rows(project: str, n: int) -> list[UserMessage]:
    now = utcnow()
    return [UserMessage(
        id=str(uuid.uuid4()), message_id=f"{project}-{i}", project_id=project, user_id="u",
        request_id=f"req-{i}", event_id="VOLUME_DELETE_FAILED", resource_type="VOLUME",
        resource_uuid=str(uuid.uuid4()), message_level=("ERROR", "INFO")[i % 2],
        user_message=f"Message {i}.", publisher_id="volume.secret-host", session_id="sess-secret",
        claim="claim-secret", created_at=now - datetime.timedelta(minutes=i),
        expires_at=now + datetime.timedelta(days=1), event_type="volume.delete.failed",
        category="action", root_id=None, last_seen_at=now) for i in range(n)]


@pytest.fixture
def application(conf, store):
    conf.set_override("auth_strategy", "noauth", group="api")
    conf.set_override("max_limit", 5, group="api")
    stored = {MINE: rows(MINE, 12), OTHER: rows(OTHER, 4)}
    assert store.insert_messages(stored[MINE] + stored[OTHER]) == []
    return api_app.build(conf, store), stored


@pytest.mark.slow
def test_fuzz_the_description(application):
    wsgi, stored = application
    schema = schemathesis.openapi.from_path(str(SPEC))
    others = {m.id for m in stored[OTHER]}
    known = [m.id for m in stored[MINE]] + sorted(others)
    ran = {}

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=60, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)),
               project=st.sampled_from([None, MINE, MINE, OTHER]),
               message=st.sampled_from([None, *known]))
        def fuzz(case, project, message):
            # half the time a real project and message, so the 200s are exercised too
            if project and "project_id" in (case.path_parameters or {}):
                case.path_parameters["project_id"] = project
            if message and "message_id" in (case.path_parameters or {}):
                case.path_parameters["message_id"] = message
            case.headers = {**(case.headers or {}), "X-Auth-Token": f"u1:{MINE}"}
            case.headers.pop("X-Roles", None)
            response = case.call(app=wsgi)
            case.validate_response(response, checks=CHECKS)
            ran[response.status_code] = ran.get(response.status_code, 0) + 1
            body = response.text
            assert not any(f'"{field}"' in body for field in OPERATOR_FIELDS), body
            assert "secret" not in body
            if response.status_code == 200 and "messages" in (data := json.loads(body)):
                listed = data["messages"]
                listed = listed if isinstance(listed, list) else [listed]
                assert not {m["id"] for m in listed} & others

        fuzz()
    # the fuzzing reached the successes and the refusals, not only one kind
    assert ran.get(200) and ran.get(400) and ran.get(404), ran
