"""Event trees do not depend on arrival order (issue 13), on real databases.

Property: for random trees, sent in a random order, in random batches split
between two workers (each its own pipeline, one shared database), every
stored message ends with its tree's true root, and the conversation query
(root_id) returns exactly the tree. The notifications name their parent
only (no root): the hardest case; the emitter passes the root along too.
"""

from __future__ import annotations

import threading
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector import catalogue
from collector.model import Inbound, Outcome
from collector.pipeline import Pipeline
from storage.dispatcher import DatabaseDispatcher
from tests import wire

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


@st.composite
def scenarios(draw):
    n = draw(st.integers(2, 10))
    # node i's parent is an earlier node, or none (a new tree)
    parents = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n)]
    order = draw(st.permutations(range(n)))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1))) if n > 1 else []
    batches = [list(order[a:b]) for a, b in zip([0, *cuts], [*cuts, n])]
    workers = [draw(st.integers(0, 1)) for _ in batches]
    return parents, batches, workers


def true_root(parents, i):
    while parents[i] is not None:
        i = parents[i]
    return i


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios())
def test_roots_are_right_whatever_the_order(conf, store, scenario):
    parents, batches, workers = scenario
    project = f"p-{uuid.uuid4().hex[:12]}"
    ids = [str(uuid.uuid4()) for _ in parents]
    pipelines = [Pipeline(conf, catalogue.sanctioned(), [DatabaseDispatcher(conf, store)], store,
                          threading.Event(), attempts=store, trees=store) for _ in range(2)]

    def body(i):
        payload = wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
                               id=ids[i], project_id=project)
        if parents[i] is not None:
            payload["parent_id"] = ids[parents[i]]
        return Inbound(body=wire.body_v2(wire.message(payload)))

    for batch, worker in zip(batches, workers):
        assert pipelines[worker].process([body(i) for i in batch]) == [Outcome.STORED] * len(
            batch)

    rows = {r["id"]: r for r in store.list_messages(project, limit=1000)}
    assert len(rows) == len(ids)
    for i, mid in enumerate(ids):
        assert rows[mid]["root_id"] == ids[true_root(parents, i)], (parents, batches, i)
    for r in {true_root(parents, i) for i in range(len(ids))}:
        tree = {m["id"] for m in store.list_messages(project, limit=1000, root_id=ids[r])}
        assert tree == {ids[i] for i in range(len(ids)) if true_root(parents, i) == r}
