"""User code off the event loop: JavaScript and jq evaluated in killable processes, with a budget.

The decider calls :meth:`Evaluator.js` and :meth:`Evaluator.jq` synchronously, inside a unit of
work. Each call is sent to an idle evaluator process; the caller waits for the answer only while
the evaluation budget lasts (``Limits.inline_eval_budget_ms``, shared by every evaluation in one
turn of the event loop), which ordinary scripts never exhaust. A script still running when the budget is spent
goes on in the background: the call raises :class:`EvaluationPending`, the operator leaves its
record as it is, and once the answer arrives (or the process is killed at the script's time limit)
the answer is kept and the workflow that asked is decided again, which finds it.

No request, decide pass or sweep therefore waits on user code for more than the budget, whatever
the code does: a time limit that native code cannot escape (the process is killed) and no access
to the host (empty environment, empty working directory, capped memory). One workflow holds at
most ``Limits.evaluator_processes`` processes at once, so others keep theirs.

Without a bound event loop (in-process use, tests) every call waits for its answer, up to the limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from podium.domain.limits import Limits
from podium.expr.javascript import ScriptError
from podium.expr.jq import JqError
from podium.expr.pending import EvaluationPending
from podium.logs import about
from podium.sandbox import frames
from podium.sandbox.process import EvaluatorProcess

log = logging.getLogger("podium.sandbox")

KILL_GRACE_S = 0.25  # past the time limit, for QuickJS's own interrupt to answer first
STARTUP_S = 30.0  # a new process's imports do not count against a program's time limit
KEEP_ANSWERS = 256  # answers of background evaluations kept for the decide that asks again


@dataclass(slots=True)
class _Answer:
    ok: bool
    value: Any  # the result, or the error message
    lines: list[str]
    flags: str


@dataclass(slots=True, eq=False)
class _Job:
    key: int
    kind: str
    frame: bytes
    owner: str | None
    waiters: set[str] = field(default_factory=set)
    proc: EvaluatorProcess | None = None
    deadline: float = 0.0
    timer: asyncio.TimerHandle | None = None
    watched: bool = False  # its process's pipe is watched by the event loop


def _encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, lone surrogates
        return json.dumps(value, default=str).encode("utf-8", "surrogatepass")


class Evaluator:
    """The pool of evaluator processes and the answers of evaluations that went on in the background."""

    def __init__(self, limits: Limits, on_count: Callable[[str], None] | None = None) -> None:
        self.limits = limits
        self._on_count = on_count or (lambda _outcome: None)
        self.timeout_s = limits.script_timeout_ms / 1000
        self.budget_s = limits.inline_eval_budget_ms / 1000
        self.warm = max(limits.evaluator_processes, 1)
        self.most = self.warm * 4
        self.per_workflow = self.warm
        self.workflow_id: str | None = None  # the workflow being decided (set by the unit)
        self._workdir = tempfile.mkdtemp(prefix="podium-eval-")
        self._idle: list[EvaluatorProcess] = []
        self._count = 0
        self._jobs: dict[int, _Job] = {}
        self._queue: deque[_Job] = deque()
        self._held: dict[str, int] = {}
        self._answers: dict[int, _Answer] = {}
        self._budget_end = 0.0
        self._turn_open = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._on_ready: Callable[[str], None] = lambda _wid: None
        self.stats = {"evaluations": 0, "answered": 0, "background": 0, "killed": 0}

    def _tally(self, outcome: str) -> None:
        self.stats[outcome] += 1
        self._on_count(outcome)

    # -- lifecycle ---------------------------------------------------------------------------
    def bind(self, loop: asyncio.AbstractEventLoop, on_ready: Callable[[str], None]) -> None:
        """Evaluate in the background on ``loop``; ``on_ready(workflow_id)`` when an answer arrives."""
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._on_ready = on_ready

    async def start(self, within_s: float = 20.0) -> None:
        """Start the warm processes and wait until they take requests."""
        while self._count < self.warm:
            self._idle.append(self._spawn())
        deadline = time.monotonic() + within_s
        for proc in list(self._idle):
            while not proc.ready and time.monotonic() < deadline:
                if proc.readable_now():
                    if not proc.take_ready():
                        self._retire(proc)
                        break
                else:
                    await asyncio.sleep(0.005)

    def close(self) -> None:
        """Kill every process (running evaluations end with them)."""
        for job in list(self._jobs.values()):
            if job.proc is not None:
                self._detach(job)
                self._retire(job.proc)
        for proc in self._idle:
            proc.kill()
        self._idle.clear()
        self._jobs.clear()
        self._queue.clear()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _end_turn(self) -> None:
        self._turn_open = False

    # -- what the decider calls ------------------------------------------------------------------
    def js(self, script: str, bindings: Mapping[str, Any], console: list[str] | None = None) -> Any:
        """Run a JavaScript program with ``$`` = ``bindings`` (see ``podium.expr.javascript.evaluate``)."""
        answer = self._answer(frames.KIND_JS, script, bindings)
        if console is not None:
            console.extend(answer.lines)
        if answer.ok:
            return answer.value
        raise ScriptError(answer.value, timed_out="t" in answer.flags, out_of_memory="m" in answer.flags)

    def jq(self, query: str, data: Any) -> list[Any]:
        """Every value ``query`` emits for ``data`` (see ``podium.expr.jq.transform``)."""
        answer = self._answer(frames.KIND_JQ, query, data)
        if answer.ok:
            return list(answer.value)
        raise JqError(answer.value)

    # -- the core ----------------------------------------------------------------------------
    def _answer(self, kind: str, program: str, data: Any) -> _Answer:
        self.stats["evaluations"] += 1
        limits = self.limits
        frame = frames.request(
            kind, program, _encode(data), self.timeout_s, limits.script_memory_bytes, limits.task_output_bytes
        )
        key = hash(frame)
        kept = self._answers.pop(key, None)
        if kept is not None:
            return kept
        if self._loop is None or threading.get_ident() != self._loop_thread:
            return self._run_here(kind, frame)
        if not self._turn_open:
            # The budget is per turn of the event loop: however many units one turn runs (a sweep
            # decides up to hundreds), together they wait on user code for at most the budget.
            self._turn_open = True
            self._budget_end = time.monotonic() + self.budget_s
            self._loop.call_soon(self._end_turn)
        wid = self.workflow_id
        job = self._jobs.get(key)
        if job is None:
            if wid is not None and self._held.get(wid, 0) >= self.per_workflow:
                raise EvaluationPending  # this workflow holds its share; one of them ending wakes it
            job = _Job(key, kind, frame, wid)
            self._jobs[key] = job
            if wid is not None:
                self._held[wid] = self._held.get(wid, 0) + 1
            proc = self._take()
            if proc is None:
                self._queue.append(job)
            else:
                self._send(job, proc)
        if wid is not None:
            job.waiters.add(wid)
        proc = job.proc
        now = time.monotonic()
        wait = min(self._budget_end, job.deadline) - now
        if proc is not None and job.timer is None and wait > 0 and proc.wait(wait):
            answer = self._complete(job, proc.read())
            self._tally("answered")
            job.waiters.discard(wid)
            if job.waiters:  # earlier decides asked too: keep it for them
                self._settle_answer(job, answer)
            return answer
        if proc is not None and job.timer is None and time.monotonic() >= job.deadline:
            return self._kill(job)
        self._background(job)
        raise EvaluationPending

    def _run_here(self, kind: str, frame: bytes) -> _Answer:
        """Evaluate and wait for the answer (no event loop to finish it in the background)."""
        proc = self._take() or self._spawn()
        job = _Job(0, kind, frame, None)
        if not proc.wait_ready(STARTUP_S):
            self._retire(proc)
            return self._ended(job)
        if not proc.send(frame):
            self._retire(proc)
            return self._ended(job)
        if not proc.wait(self.timeout_s + KILL_GRACE_S):
            self._retire(proc)
            self._tally("killed")
            return self._timed_out(job)
        raw = proc.read()
        if raw is None:
            self._retire(proc)
            return self._ended(job)
        self._idle.append(proc)
        self._tally("answered")
        return self._decode(raw)

    # -- processes ---------------------------------------------------------------------------
    def _spawn(self) -> EvaluatorProcess:
        self._count += 1
        return EvaluatorProcess(self.limits.script_memory_bytes, self._workdir)

    def _take(self) -> EvaluatorProcess | None:
        if self._idle:
            return self._idle.pop()
        if self._count < self.most:
            return self._spawn()
        return None

    def _retire(self, proc: EvaluatorProcess) -> None:
        self._count -= 1
        proc.kill()

    def _release(self, proc: EvaluatorProcess) -> None:
        """An idle process takes the next queued job, or waits for one."""
        while self._queue:
            job = self._queue.popleft()
            if self._jobs.get(job.key) is job:
                self._send(job, proc)
                self._background(job)
                return
        self._idle.append(proc)

    def _send(self, job: _Job, proc: EvaluatorProcess) -> None:
        job.proc = proc
        job.deadline = time.monotonic() + self.timeout_s + KILL_GRACE_S + (0 if proc.ready else STARTUP_S)
        if not proc.send(job.frame):
            job.proc = None
            self._retire(proc)
            self._finish(job, self._ended(job))

    # -- background ----------------------------------------------------------------------------
    def _background(self, job: _Job) -> None:
        """Let a running job finish on its own: read its answer when it comes, kill it at its deadline."""
        proc = job.proc
        if proc is None or job.timer is not None or self._loop is None:
            return
        self._tally("background")
        loop = self._loop
        loop.add_reader(proc.rfd, self._readable, job)
        job.watched = True
        job.timer = loop.call_at(loop.time() + max(job.deadline - time.monotonic(), 0.0), self._expire, job)

    def _readable(self, job: _Job) -> None:
        proc = job.proc
        if proc is None:
            return
        if not proc.ready:
            if not proc.take_ready():
                self._settle(job, None)
                return
            if not proc.readable_now():
                return  # a fresh process said it is ready; the answer follows
        self._detach(job)  # the reply is read whole, blocking: it is being written now
        self._settle(job, proc.read())

    def _expire(self, job: _Job) -> None:
        job.timer = None
        if job.proc is not None:
            self._settle_answer(job, self._kill(job))

    def _settle(self, job: _Job, raw: bytes | None) -> None:
        self._settle_answer(job, self._complete(job, raw))

    def _settle_answer(self, job: _Job, answer: _Answer) -> None:
        self._answers[job.key] = answer
        while len(self._answers) > KEEP_ANSWERS:
            del self._answers[next(iter(self._answers))]
        for wid in job.waiters:
            self._on_ready(wid)

    def _detach(self, job: _Job) -> None:
        if job.timer is not None:
            job.timer.cancel()
            job.timer = None
        if job.proc is not None and job.watched and self._loop is not None:
            self._loop.remove_reader(job.proc.rfd)
            # The loop (uvloop) made the pipe non-blocking when it watched it; replies are read blocking.
            os.set_blocking(job.proc.rfd, True)
            job.watched = False

    def _complete(self, job: _Job, raw: bytes | None) -> _Answer:
        """The job's process answered (or ended): free it and finish the job."""
        proc = job.proc
        assert proc is not None
        self._detach(job)
        job.proc = None
        if raw is None:
            self._retire(proc)
            answer = self._ended(job)
        else:
            self._release(proc)
            answer = self._decode(raw)
        self._finish(job, answer)
        return answer

    def _kill(self, job: _Job) -> _Answer:
        proc = job.proc
        assert proc is not None
        self._detach(job)
        job.proc = None
        self._retire(proc)
        self._tally("killed")
        log.info(
            "evaluator process killed: a %s program ran past its %g s limit", job.kind, self.timeout_s,
            extra=about(job.owner),
        )  # fmt: skip
        answer = self._timed_out(job)
        self._finish(job, answer)
        if self._queue:
            spare = self._take()
            if spare is not None:
                self._release(spare)
        return answer

    def _finish(self, job: _Job, answer: _Answer) -> None:
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        if job.owner is not None:
            left = self._held.get(job.owner, 1) - 1
            if left > 0:
                self._held[job.owner] = left
            else:
                self._held.pop(job.owner, None)

    # -- answers -------------------------------------------------------------------------------
    @staticmethod
    def _decode(raw: bytes) -> _Answer:
        ok, value, lines, flags = orjson.loads(raw)
        return _Answer(ok, value, lines, flags)

    def _timed_out(self, job: _Job) -> _Answer:
        if job.kind == frames.KIND_JS:
            return _Answer(False, f"Script execution timed out after {self.timeout_s:g} seconds", [], "t")
        return _Answer(False, f"jq program timed out after {self.timeout_s:g} seconds", [], "t")

    def _ended(self, job: _Job) -> _Answer:
        limit = self.limits.script_memory_bytes
        what = "Script" if job.kind == frames.KIND_JS else "jq program"
        return _Answer(False, f"{what} ended its evaluator process (over the memory limit of {limit} bytes?)", [], "m")
