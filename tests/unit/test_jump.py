"""Jump (Orkes): cancel what runs and schedule another top-level task, forwards or backwards."""

from __future__ import annotations

import pytest
from test_decider_core import T0, complete, make_env, make_state, simple

from podium.decider import decide
from podium.decider.jump import jump
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain.errors import InvalidArgument


def _refs(state: object) -> list[tuple[str, str, bool]]:
    return [(t["referenceTaskName"], t["status"], bool(t.get("retried"))) for t in state.tasks]  # type: ignore[attr-defined]


def test_jump_forward_cancels_the_current_task_and_skips_the_ones_between() -> None:
    state = make_state([simple("a"), simple("b"), simple("c", inputParameters={"v": "${workflow.input.x}"})])
    env = make_env()
    decide(state, env, T0)
    p = Pass(state, env, T0 + 1)
    jump(p, "c", {"extra": 5})
    assert _refs(state) == [("a", st.CANCELED, False), ("c", st.SCHEDULED, False)]
    assert state.tasks[1]["inputData"] == {"v": 1, "extra": 5}
    assert [x.task_id for x in p.out.pushes] == [state.tasks[1]["taskId"]]
    complete(state, "c", {"r": 1})
    decide(state, env, T0 + 2)
    assert state.workflow["status"] == st.COMPLETED  # the canceled task does not fail the workflow


def test_jump_backward_runs_the_target_and_what_follows_again() -> None:
    state = make_state([simple("a"), simple("b"), simple("c")])
    env = make_env()
    decide(state, env, T0)
    complete(state, "a", {"n": 1})
    decide(state, env, T0 + 1)
    complete(state, "b")
    decide(state, env, T0 + 2)
    jump(Pass(state, env, T0 + 3), "a", None)
    assert _refs(state) == [
        ("a", st.COMPLETED, True),
        ("b", st.COMPLETED, True),
        ("c", st.CANCELED, True),
        ("a", st.SCHEDULED, False),
    ]
    complete(state, "a")
    decide(state, env, T0 + 4)
    assert _refs(state)[-1] == ("b", st.SCHEDULED, False)
    assert state.workflow["status"] == st.RUNNING


def test_jump_needs_a_top_level_reference() -> None:
    state = make_state([simple("a")])
    env = make_env()
    decide(state, env, T0)
    with pytest.raises(InvalidArgument):
        jump(Pass(state, env, T0), "nope", None)
