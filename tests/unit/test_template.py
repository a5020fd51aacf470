import pytest

from collector.template import Template, text_problems


def test_renders_by_joining_parts():
    t = Template("Volume {volume_id} is {size} GB; {volume_id} again.")
    assert t.names == {"volume_id", "size"}
    assert t.render({"volume_id": "v", "size": "3"}) == "Volume v is 3 GB; v again."
    assert t.placeholder_count("volume_id") == 2
    assert t.literal_length() == len("Volume  is  GB;  again.")


def test_parameter_text_is_inert():
    t = Template("Value: {a}.")
    assert t.render({"a": "{a} %s ${x} {0.__class__}"}) == "Value: {a} %s ${x} {0.__class__}."


def test_no_placeholder():
    assert Template("Plain text.").render({}) == "Plain text."


@pytest.mark.parametrize("text, problem", [
    ("", "empty"),
    ("x" * 301, "longer than 300"),
    (" padded", "whitespace"),
    ("<b>bold</b>", "markup"),
    ("a & b", "markup"),
    ("back`tick", "markup"),
    ("line\nbreak", "control"),
    ("bidi\u202eoverride", "control"),
    ("stray { brace", "braces"),
    ("{Upper}", "braces"),
    ("{0}", "braces"),
    ("{a.b}", "braces"),
    ("{}", "braces"),
])
def test_refused_templates(text, problem):
    with pytest.raises(ValueError, match=problem):
        Template(text)


def test_phrases_may_not_hold_placeholders():
    assert text_problems("a {b}", allow_placeholders=False) == ["braces are not allowed"]
    assert text_problems("fine text", allow_placeholders=False) == []
