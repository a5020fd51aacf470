"""Messages rendered when read: from the stored parameters and the catalogue
as it is now; the stored English text when that cannot be done."""

from __future__ import annotations

import datetime
import json

import pytest

from collector import catalogue
from collector.model import Notification
from collector.rendering import Renderer
from collector.validation import Validator
from tests.wire import example_params, expected_text

NOW = datetime.datetime(2026, 12, 5, 12, 0, 0)
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


@pytest.fixture(scope="module")
def sanctioned():
    return catalogue.sanctioned()


def accept(cat, event_id, params, herald=False):
    n = Notification("m-1", "volume.host-a", "user_message.create", "ERROR", None,
                     {"event_id": event_id, "params": params},
                     {"project_id": "p1", "request_id": "req-1"})
    return Validator(cat, ttl=86400, max_clock_skew=300).accept(n, NOW, herald=herald)


def test_every_entry_stores_its_params_and_renders_them_back(sanctioned):
    renderer = Renderer(sanctioned)
    for e in sanctioned:
        if e.herald_only:  # never accepted from a notification (test_validation)
            continue
        params = example_params(e)
        m = accept(sanctioned, e.event_id, params, herald=e.herald_only)  # herald's own too
        assert json.loads(m.params) == params
        assert renderer.render(m.event_id, m.params, "stored") == m.user_message
        assert m.user_message == expected_text(e, params)


def test_a_rewording_applies_to_messages_already_stored(sanctioned):
    m = accept(sanctioned, "VOLUME_EXTEND_FAILED",
               {"volume_id": VOL.upper(), "new_size_gb": 20, "reason": "no_capacity"})
    reworded = sanctioned.with_overrides({"VOLUME_EXTEND_FAILED":
                                          "{volume_id} stays as it was ({new_size_gb} GB "
                                          "refused: {reason})."})
    text = Renderer(reworded).render(m.event_id, m.params, m.user_message)
    assert text == (f"{VOL} stays as it was (20 GB refused: the storage back end does not "
                    "have enough free capacity).")
    assert m.user_message.startswith(f"Volume {VOL} could not be extended")


@pytest.mark.parametrize("params", [
    None,  # a row written before the parameters were stored
    "not json",
    "[1, 2]",
    '{"volume_id": "x"}',  # another entry's, or a type that has changed since
    json.dumps({"volume_id": VOL, "new_size_gb": 20, "reason": "gone"}),
    json.dumps({"volume_id": VOL, "new_size_gb": 20, "reason": "no_capacity", "x": 1}),
    json.dumps({"volume_id": "<script>", "new_size_gb": 20, "reason": "no_capacity"}),
    json.dumps({"volume_id": VOL, "new_size_gb": True, "reason": "no_capacity"}),
])
def test_what_cannot_be_rendered_shows_the_stored_text(sanctioned, params):
    renderer = Renderer(sanctioned)
    assert renderer.render("VOLUME_EXTEND_FAILED", params, "stored text") == "stored text"
    assert renderer.for_locale("ja")({"event_id": "VOLUME_EXTEND_FAILED", "params": params,
                                      "user_message": "stored text"}) == "stored text"


def test_an_event_id_the_catalogue_lacks_shows_the_stored_text(sanctioned):
    assert Renderer(sanctioned).render("NO_SUCH_EVENT", "{}", "stored") == "stored"
