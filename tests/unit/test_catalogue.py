import json

import pytest

from collector import catalogue, resources
from collector.catalogue import MAX_MESSAGE_LENGTH, Catalogue, entry
from collector.exceptions import CatalogueError
from collector.params import UUID, Choice, Integer
from tests.wire import example_params, expected_text


@pytest.fixture(scope="module")
def sanctioned():
    return catalogue.sanctioned()


def test_sanctioned_catalogue_covers_the_spec_use_cases(sanctioned):
    assert len(sanctioned) >= 20
    assert {e.resource_type for e in sanctioned} >= {
        "VOLUME", "VOLUME_SNAPSHOT", "VOLUME_BACKUP", "SHARE", "INSTANCE"}
    ids = {e.event_id for e in sanctioned}
    for needed in ("VOLUME_CREATE_NO_CAPACITY", "VOLUME_CREATE_QUOTA_EXCEEDED",
                   "VOLUME_ATTACH_FAILED", "VOLUME_EXTEND_FAILED", "VOLUME_RETYPE_FAILED",
                   "VOLUME_UNKNOWN_ERROR"):
        assert needed in ids
    assert {e.level for e in sanctioned} == {"ERROR", "WARNING", "INFO"}


def test_every_entry_renders_its_examples_within_bounds(sanctioned):
    for e in sanctioned:
        params = example_params(e)
        text = e.template_for(params).render({n: p.check(params[n]) for n, p in e.params.items()})
        assert text == expected_text(e, params)
        assert "{" not in text and len(text) <= MAX_MESSAGE_LENGTH


def test_describe_is_json_with_typed_params(sanctioned):
    d = sanctioned.get("VOLUME_EXTEND_FAILED").describe()
    assert json.loads(json.dumps(d)) == d
    assert set(d) == {"event_id", "event_type", "category", "resource_type", "level",
                      "template", "params", "herald_only"}
    assert (d["event_type"], d["category"]) == ("volume.extend.failed", "action")
    assert d["herald_only"] is False
    assert d["params"]["volume_id"] == "uuid"
    assert d["params"]["new_size_gb"] == "integer[1..1048576]"


def _bad(*entries):
    with pytest.raises(CatalogueError) as exc:
        Catalogue(entries)
    return str(exc.value)


def test_all_problems_are_reported_together():
    msg = _bad(
        entry("DUP_ID", "volume.test.failed", "action", "ERROR", "First {a}.", a=UUID()),
        entry("DUP_ID", "volume.test.failed", "action", "ERROR", "Second {a}.", a=UUID()),
        entry("UNDECLARED", "volume.test.failed", "action", "ERROR", "Uses {b}."),
        entry("UNUSED", "volume.test.failed", "action", "ERROR", "Uses nothing.", a=UUID()),
        entry("BAD_LEVEL", "volume.test.failed", "action", "FATAL", "Text."),
        entry("BAD_TEMPLATE", "volume.test.failed", "action", "ERROR", "<b>no</b>"),
        entry("bad_id", "volume.test.failed", "action", "ERROR", "Text."),
        entry("BAD_TYPE", "Volume.create", "action", "ERROR", "Text."),
        entry("BAD_SUFFIX", "volume.create.done", "action", "ERROR", "Text."),
        entry("BAD_CATEGORY", "volume.create", "audit", "ERROR", "Text."),
        entry("BAD_PHRASE", "volume.test.failed", "action", "ERROR", "R: {r}.",
              r=Choice({"x": "evil\n<b>"})),
    )
    for expected in ("DUP_ID: duplicate event ID",
                     "UNDECLARED: placeholder {b} is not a declared parameter",
                     "UNUSED: parameter 'a' is declared but not used",
                     "BAD_LEVEL: level must be one of",
                     "BAD_TEMPLATE: template: markup",
                     "bad_id: event ID must be",
                     "BAD_TYPE: event type must be <resource>.<action>",
                     "BAD_SUFFIX: event type must be",
                     "BAD_CATEGORY: category must be one of state, alarm, action",
                     "BAD_PHRASE: parameter 'r' phrase for 'x'"):
        assert expected in msg


def test_rendered_length_is_bounded():
    long_choice = Choice({"x": "y" * 300})
    msg = _bad(entry("TOO_LONG", "volume.test.failed", "action", "ERROR", "{a} {b} {c} {d}",
                     a=long_choice,
                     b=long_choice, c=long_choice, d=long_choice))
    assert "TOO_LONG: rendered text can reach 1203 > 1024" in msg


def test_empty_catalogue_is_refused():
    assert "empty" in _bad()


class TestOverrides:
    base = Catalogue([entry("VOL_X", "volume.test.failed", "action", "ERROR",
                            "Volume {v} failed: {n}.",
                            v=UUID(), n=Integer())])

    def test_reword(self):
        c = self.base.with_overrides({"VOL_X": "Your volume {v} hit a problem ({n})."})
        assert c.get("VOL_X").template.render({"v": "V", "n": "1"}) == \
            "Your volume V hit a problem (1)."
        assert self.base.get("VOL_X").template.text == "Volume {v} failed: {n}."

    @pytest.mark.parametrize("overrides, problem", [
        ({"NEW_ID": "Text."}, "NEW_ID: not in the sanctioned catalogue"),
        ({"VOL_X": "Volume {v} failed."}, "placeholders must be exactly {n}, {v}"),
        ({"VOL_X": "Volume {v} {n} {x}."}, "placeholders must be exactly"),
        ({"VOL_X": "<i>{v}{n}</i>"}, "markup"),
    ])
    def test_refused(self, overrides, problem):
        with pytest.raises(CatalogueError, match=problem):
            self.base.with_overrides(overrides, source="f.yaml")


class TestOverrideFile:
    def test_load_applies_file(self, conf, tmp_path):
        f = tmp_path / "override.yaml"
        f.write_text('VOLUME_DELETE_FAILED: "We could not delete volume {volume_id}: {reason}."\n')
        conf.set_override("override_file", str(f), group="catalogue")
        c = catalogue.load(conf)
        assert c.get("VOLUME_DELETE_FAILED").template.text.startswith("We could not delete")

    def test_load_without_file_is_sanctioned(self, conf):
        assert catalogue.load(conf).get("VOLUME_DELETE_FAILED").template.text == \
            catalogue.sanctioned().get("VOLUME_DELETE_FAILED").template.text

    @pytest.mark.parametrize("content, problem", [
        ("a: [unclosed", "not valid YAML"),
        ("- a list", "must be a mapping"),
        ("VOLUME_DELETE_FAILED: 5", "keys and values must be strings"),
        (b"\xff\xfe\x00bad", "not valid YAML"),
    ])
    def test_bad_files(self, tmp_path, content, problem):
        f = tmp_path / "override.yaml"
        f.write_bytes(content if isinstance(content, bytes) else content.encode())
        with pytest.raises(CatalogueError, match=problem):
            catalogue.read_override_file(str(f))

    def test_missing_file(self, tmp_path):
        with pytest.raises(CatalogueError, match="cannot read"):
            catalogue.read_override_file(str(tmp_path / "nope.yaml"))

    def test_empty_file_means_no_override(self, tmp_path):
        f = tmp_path / "empty.yaml"
        f.write_text("")
        assert catalogue.read_override_file(str(f)) == {}


def test_every_entry_has_a_nuvla_style_type_and_category(sanctioned):
    for e in sanctioned:
        assert resources.normalise(e.event_type.split(".")[0]) == e.resource_type
        assert e.category in catalogue.CATEGORIES
    assert {e.category for e in sanctioned} >= {"action", "state", "user", "system"}


def test_steps_are_sanctioned_text(sanctioned):
    assert sanctioned.steps["LAUNCH_INSTANCES"] == "Launching instances"
    with pytest.raises(CatalogueError, match="step BAD: markup"):
        Catalogue(list(sanctioned), {"BAD": "<b>x</b>"})
    overridden = sanctioned.with_overrides({})
    assert overridden.steps == sanctioned.steps
