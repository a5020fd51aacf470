import datetime

from collector import trees
from collector.model import UserMessage

T = datetime.datetime(2026, 11, 21)


def m(id, parent=None, root=None, project="p"):
    return UserMessage(id, f"mid-{id}", project, None, None, "E", "volume", None, "ERROR",
                       "text", None, T, T, parent_id=parent, root_id=root)


def test_roots_from_the_batch_the_store_or_the_parent():
    a = m("a", root="a")                  # a root of its own
    b = m("b", parent="a")                # parent earlier in the batch
    c = m("c", parent="b")                # grand-child: b was resolved first
    d = m("d", parent="stored")           # parent stored earlier
    e = m("e", parent="unknown")          # parent never seen: it becomes the root
    f = m("f", parent="a", project="q")   # another project's parent: not joined
    g = m("g", parent="x", root="given")  # an explicit root wins
    batch = [a, b, c, d, e, f, g]
    assert trees.to_look_up(batch) == {"stored": "p", "unknown": "p"}
    trees.resolve(batch, {"stored": "r0"})
    assert [x.root_id for x in batch] == ["a", "a", "a", "r0", "unknown", "a", "given"]
    # f's parent 'a' is in another project: f falls back to naming 'a' as its
    # root without joining a's tree (the same id, by the fallback rule)
