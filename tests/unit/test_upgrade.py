"""Upgrade (Orkes): the tasks of the new version before the running one are recorded SKIPPED."""

from __future__ import annotations

from typing import Any

import pytest
from test_decider_core import T0, complete, make_env, make_state, simple

from podium.decider import WorkflowState, decide
from podium.decider.passes import Pass
from podium.decider.upgrade import skip_to_current
from podium.domain import statuses as st
from podium.domain.defaults import with_workflow_def_defaults
from podium.domain.errors import InvalidArgument


def _upgrade(state: WorkflowState, tasks: list[dict[str, Any]]) -> Pass:
    wd = with_workflow_def_defaults({"name": "wf", "version": 2, "tasks": tasks})  # type: ignore[typeddict-item]
    state.workflow["workflowDefinition"] = wd
    return Pass(state, make_env(), T0 + 1)


def test_new_tasks_before_the_running_one_are_skipped_with_the_given_output() -> None:
    state = make_state([simple("a"), simple("b")])
    env = make_env()
    decide(state, env, T0)
    p = _upgrade(state, [simple("x"), simple("y"), simple("a"), simple("z", inputParameters={"v": "${x.output.k}"})])
    skipped = skip_to_current(p, {"x": {"k": 1}})
    assert [(t["referenceTaskName"], t["status"], t["outputData"]) for t in skipped] == [
        ("x", st.SKIPPED, {"k": 1}),
        ("y", st.SKIPPED, {}),
    ]
    complete(state, "a")
    decide(state, env, T0 + 2)
    z = state.tasks[-1]
    assert z["referenceTaskName"] == "z" and z["inputData"] == {"v": 1} and z["status"] == st.SCHEDULED


def test_the_running_task_must_be_in_the_new_version() -> None:
    state = make_state([simple("a")])
    decide(state, make_env(), T0)
    with pytest.raises(InvalidArgument):
        skip_to_current(_upgrade(state, [simple("b")]), {})
