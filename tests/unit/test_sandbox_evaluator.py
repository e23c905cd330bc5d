"""The evaluator processes: answers, errors, limits, and evaluations that finish in the background."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from podium.domain.limits import Limits
from podium.expr.javascript import ScriptError
from podium.expr.jq import JqError
from podium.expr.pending import EvaluationPending
from podium.sandbox import Evaluator

FAST = Limits(script_timeout_ms=400, evaluator_processes=1, task_output_bytes=10_000)


@pytest.fixture()
def ev() -> Iterator[Evaluator]:
    e = Evaluator(FAST)
    yield e
    e.close()


def test_answers_match_the_in_process_evaluators(ev: Evaluator) -> None:
    lines: list[str] = []
    assert ev.js("console.log('hi'); $.a + 1", {"a": 41}, console=lines) == 42
    assert lines == ["hi"]
    assert ev.js("({x: [1, 2.5, null]})", {}) == {"x": [1, 2.5, None]}
    assert ev.jq(".a[] | . * 2", {"a": [1, 2]}) == [2, 4]


def test_errors_carry_the_programs_messages(ev: Evaluator) -> None:
    with pytest.raises(ScriptError, match="ReferenceError: nope is not defined"):
        ev.js("nope", {})
    with pytest.raises(JqError, match="cannot be added"):
        ev.jq('1 + "a"', None)


def test_an_endless_script_times_out_and_the_process_serves_on(ev: Evaluator) -> None:
    with pytest.raises(ScriptError, match=r"timed out after 0\.4 seconds") as info:
        ev.js("for (;;) {}", {})
    assert info.value.timed_out
    assert ev.js("1 + 1", {}) == 2


def test_native_code_past_the_limit_is_killed(ev: Evaluator) -> None:
    with pytest.raises(ScriptError, match="timed out") as info:
        ev.js("/(a+)+$/.test('a'.repeat(40) + '!')", {})
    assert info.value.timed_out
    assert ev.stats["killed"] == 1
    with pytest.raises(JqError, match="timed out"):
        ev.jq("def f(n): if n == 0 then 0 else 1 + f(n-1) end; f(100000000)", None)
    assert ev.stats["killed"] == 2
    assert ev.jq(".", 3) == [3]  # a new process took over


def test_results_over_the_output_limit_are_refused(ev: Evaluator) -> None:
    with pytest.raises(ScriptError, match="over the limit of 10000 bytes"):
        ev.js("'x'.repeat(20000)", {})


def test_the_host_is_out_of_sight(ev: Evaluator) -> None:
    assert ev.jq("$ENV", None) == [{}]
    assert ev.jq("env", None) == [{}]
    assert ev.js("typeof process + typeof require + typeof std", {}) == "undefinedundefinedundefined"


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_late_answers_wake_the_workflow_that_asked(loop_kind: str) -> None:
    limits = Limits(script_timeout_ms=2_000, evaluator_processes=1, inline_eval_budget_ms=1)
    ev = Evaluator(limits)
    woken: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        arrived = asyncio.Event()

        def on_ready(wid: str) -> None:
            woken.append(wid)
            arrived.set()

        ev.bind(loop, on_ready)
        await ev.start()
        ev.workflow_id = "wf-1"
        # Slow, and a large answer: read in many pieces from a pipe the loop made non-blocking (uvloop).
        script = "let t = Date.now(); while (Date.now() - t < 150) {}; 'x'.repeat(300000)"
        with pytest.raises(EvaluationPending):
            ev.js(script, {})
        # The same workflow asking again meanwhile waits for the same evaluation, not a second one.
        await asyncio.sleep(0)
        with pytest.raises(EvaluationPending):
            ev.js(script, {})
        assert ev.stats["evaluations"] == 2 and ev.stats["background"] == 1
        await asyncio.wait_for(arrived.wait(), 10)
        assert ev.js(script, {}) == "x" * 300000  # the kept answer
        ev.workflow_id = None
        await asyncio.sleep(0)  # a new turn, a new budget: the same process answers at once
        ev.budget_s = 5.0
        assert ev.js("'y'.repeat(300000)", {}) == "y" * 300000

    try:
        if loop_kind == "uvloop":
            import uvloop

            uvloop.run(scenario())
        else:
            asyncio.run(scenario())
    finally:
        ev.close()
    assert woken == ["wf-1"]


def test_one_workflow_holds_at_most_its_share_of_processes() -> None:
    limits = Limits(script_timeout_ms=300, evaluator_processes=1, inline_eval_budget_ms=1)
    ev = Evaluator(limits)

    async def scenario() -> int:
        ev.bind(asyncio.get_running_loop(), lambda _wid: None)
        await ev.start()
        ev.workflow_id = "greedy"
        for i in range(3):
            with pytest.raises(EvaluationPending):
                ev.js(f"for (;;) {{}} {i}", {})
        return len(ev._jobs)

    try:
        assert asyncio.run(scenario()) == 1  # its share is one process: the others were not started
    finally:
        ev.close()


def test_jsonpath_regex_filters_share_one_budget() -> None:
    from podium.expr import _regex
    from podium.expr._jsonpath import MISSING, compile_path

    class Doc:
        def __init__(self, doc: dict[str, object]) -> None:
            self.doc = doc

        def lookup(self, name: str) -> object:
            return self.doc.get(name, MISSING)

        def document(self) -> dict[str, object]:
            return self.doc

    items = [{"n": "a" * 60 + "!"}] * 100 + [{"n": "ok"}]
    doc = Doc({"items": items})
    assert compile_path('items[?(@.n =~ "^ok$")]').evaluate(doc) == [{"n": "ok"}]
    assert compile_path('items[?(@.n =~ "(a|aa)+$")]').evaluate(doc) is MISSING
    _regex.start_budget()
    assert _regex.search("abc", "[") is False  # a bad pattern matches nothing


def test_a_busy_evaluator_dies_with_the_server() -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    # A "server" that starts an evaluator on an endless jq program, prints the child's pid, then is killed.
    code = (
        "from podium.domain.limits import Limits\n"
        "from podium.sandbox.process import EvaluatorProcess\n"
        "from podium.sandbox import frames\n"
        "import sys, tempfile\n"
        "p = EvaluatorProcess(64 * 2**20, tempfile.mkdtemp())\n"
        "p.wait(20)\n"
        "p.send(frames.request('jq', 'def f: f; f', b'0', 60, 64 * 2**20, 1000))\n"
        "print(p.popen.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    server = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert server.stdout is not None
    child = int(server.stdout.readline())
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            with open(f"/proc/{child}/stat") as f:
                gone = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except FileNotFoundError:
            gone = True
        if gone:
            break
        assert time.monotonic() < deadline, "the evaluator outlived its server"
        time.sleep(0.02)
