"""Finding a record by reference (decider/lookup.py): the one rule every entry point uses."""

from __future__ import annotations

from typing import cast

import pytest

from podium.decider.lookup import find_by_ref, ref_matches, task_by_ref
from podium.domain import statuses as st
from podium.domain.errors import NotFound
from podium.domain.model import Task


def rec(task_id: str, ref: str, status: str) -> Task:
    return cast(Task, {"taskId": task_id, "referenceTaskName": ref, "status": status})


@pytest.mark.parametrize(
    ("record_ref", "ref", "matches"),
    [
        ("h", "h", True),
        ("h__3", "h", True),
        ("h__1__2", "h", True),  # nested DO_WHILEs suffix every level
        ("h__1__2", "h__1", False),
        ("h__x", "h", False),  # not an iteration suffix
        ("hh__1", "h", False),
        ("h", "h__1", False),
        ("a__b__2", "a__b", True),  # a reference that itself holds "__"
    ],
)
def test_ref_matches(record_ref: str, ref: str, matches: bool) -> None:
    assert ref_matches(record_ref, ref) is matches


def test_the_latest_pending_record_wins_else_the_latest() -> None:
    tasks = [
        rec("1", "h__1__1", st.COMPLETED),
        rec("2", "h__1__2", st.IN_PROGRESS),
        rec("3", "x", st.SCHEDULED),
        rec("4", "h__2__1", st.FAILED),
    ]
    assert find_by_ref(tasks, "h") is tasks[1]
    tasks[1]["status"] = st.COMPLETED
    assert find_by_ref(tasks, "h") is tasks[3]
    assert find_by_ref(tasks, "nope") is None


def test_task_by_ref_raises_conductors_not_found() -> None:
    with pytest.raises(NotFound, match="No task found with reference name: q, workflowId: w1"):
        task_by_ref([rec("1", "h", st.COMPLETED)], "w1", "q")
