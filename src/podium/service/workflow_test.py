"""POST /api/workflow/test: run a workflow to its end with mocked worker tasks (Orkes "Test Workflow").

The run happens on a private engine over an in-memory SQLite store with a clock that skips ahead, so it
never touches the server's queues, workers or search index: nothing of it outlives the request. Only the
definitions it needs are copied in (every task definition, and the workflow definitions its sub-workflows
name). Each time a worker task is handed out, the next mock of its reference name answers it; a task with
no mock left stops the simulation, and the workflow is returned as it stands (RUNNING), as Orkes does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from podium.domain import statuses as st
from podium.domain.errors import FieldError, InvalidArgument, ValidationFailed
from podium.domain.limits import Limits
from podium.domain.model import StartWorkflowRequest, Task, TaskDef, Workflow, WorkflowDef
from podium.sandbox import Evaluator
from podium.service.metadata import MetadataService
from podium.service.starting import start as start_workflow
from podium.testing import WorkflowEnvironment

WORKER_ID = "podium-workflow-test"
BATCH = 100
MAX_SIMULATED_SECONDS = 366 * 24 * 3600  # a year of WAITs and back-off at most
TEST_FIELDS = ("taskRefToMockOutput", "subWorkflowTestRequest")
MOCK_STATUSES = frozenset({st.COMPLETED, st.FAILED, st.FAILED_WITH_TERMINAL_ERROR, st.IN_PROGRESS})

Mocks = dict[str, list[dict[str, Any]]]


class _MockedRun(WorkflowEnvironment):
    """The test environment whose only "worker" answers every worker task with its reference's next mock."""

    def __init__(self, mocks: Mocks, sub_requests: Mapping[str, Any], limits: Limits) -> None:
        super().__init__(worker_id=WORKER_ID, limits=limits)
        self.root_mocks = mocks
        self.sub_requests = sub_requests
        self.by_workflow: dict[str, Mocks] = {}  # workflow id → the mocks that apply to its tasks
        self.stopped = False

    def _served(self) -> Iterable[tuple[str, str | None]]:
        """Every (task type, domain) with a message on a queue, visible or not (nothing else polls here)."""
        seen: dict[tuple[str, str | None], None] = {}
        far = 2**62
        for queue, (total, _unacked) in self.store.queue_sizes(self.now).items():
            if total <= 0:
                continue
            for task_id in self.store.queue_peek(queue, far, BATCH):
                task = self.store.load_task(task_id)
                # A task no mock answers is left SCHEDULED: the simulation stops there, as in Orkes.
                if task is not None and self._mocks_of(task["workflowInstanceId"]).get(task["referenceTaskName"]):
                    seen[(task["taskType"], task.get("domain"))] = None
        return list(seen)

    def _skip_ahead(self, limit: int) -> bool:
        return not self.stopped and super()._skip_ahead(limit)

    def _perform(self, name: str, domain: str | None, task: Task) -> None:
        mock = self._next_mock(task)
        if mock is None:  # another reference of the same type had one: this one stays handed out
            self.stopped = True
            return
        status = mock.get("status") or st.COMPLETED
        result: dict[str, Any] = {
            "workflowInstanceId": task["workflowInstanceId"],
            "taskId": task["taskId"],
            "status": status,
            "outputData": mock.get("output") or {},
            "workerId": WORKER_ID,
        }
        if status != st.COMPLETED and mock.get("reasonForIncompletion"):
            result["reasonForIncompletion"] = mock["reasonForIncompletion"]
        self.services.tasks.update(result)

    def _next_mock(self, task: Task) -> dict[str, Any] | None:
        mocks = self._mocks_of(task["workflowInstanceId"])
        queue = mocks.get(task["referenceTaskName"])
        if not queue:
            return None
        return queue.pop(0)

    def _mocks_of(self, workflow_id: str) -> Mocks:
        known = self.by_workflow.get(workflow_id)
        if known is not None:
            return known
        wf = self.store.get_workflow(workflow_id)
        mocks: Mocks = {}
        parent_task = wf.get("parentWorkflowTaskId") if wf is not None else None
        if parent_task:
            parent = self.store.load_task(parent_task)
            sub = self.sub_requests.get(parent["referenceTaskName"]) if parent is not None else None
            if isinstance(sub, dict):
                mocks = _mocks(sub.get("taskRefToMockOutput"), "subWorkflowTestRequest.taskRefToMockOutput")
        self.by_workflow[workflow_id] = mocks
        return mocks

    def start_with(self, request: StartWorkflowRequest) -> str:
        wid = start_workflow(self.services.engine, request)
        self.by_workflow[wid] = self.root_mocks
        return wid


def test_workflow(metadata: MetadataService, raw: Any, evaluator: Evaluator | None = None) -> Workflow:
    """Run a WorkflowTestRequest to its end (or until it waits for something no mock answers).

    With the server's ``evaluator``, the run's scripts and jq go to its evaluator processes like any
    other (killed at their limit): a test request is untrusted work too.
    """
    if not isinstance(raw, dict):
        raise InvalidArgument("WorkflowTestRequest must be a JSON object")
    mocks = _mocks(raw.get("taskRefToMockOutput"), "taskRefToMockOutput")
    subs = raw.get("subWorkflowTestRequest") or {}
    if not isinstance(subs, dict):
        raise ValidationFailed([FieldError("subWorkflowTestRequest", "must be an object keyed by reference name")])
    request = cast(StartWorkflowRequest, {k: v for k, v in raw.items() if k not in TEST_FIELDS})
    inline = request.get("workflowDef")
    if inline is not None:
        request["workflowDef"] = metadata.prepare_workflow_def(inline)
        request["name"] = request["workflowDef"]["name"]
    elif not request.get("name"):
        raise InvalidArgument("A WorkflowTestRequest needs a name or a workflowDef")
    env = _MockedRun(mocks, subs, metadata.limits)  # the server's limits hold in a test run too
    if evaluator is not None:
        env.services.engine.env.js = evaluator.js
        env.services.engine.env.jq = evaluator.jq
    try:
        _copy_definitions(metadata, env, request)
        wid = env.start_with(request)
        return env.run(wid, max_seconds=MAX_SIMULATED_SECONDS)
    finally:
        env.close()


def _mocks(raw: Any, path: str) -> Mocks:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError(path, "must be an object: {taskReferenceName: [mock, ...]}")])
    out: Mocks = {}
    for ref, entries in raw.items():
        if isinstance(entries, dict):
            entries = [entries]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValidationFailed([FieldError(f"{path}.{ref}", "must be a list of {status, output} objects")])
        for i, e in enumerate(entries):
            status = e.get("status") or st.COMPLETED
            if status not in MOCK_STATUSES:
                raise ValidationFailed(
                    [FieldError(f"{path}.{ref}[{i}].status", f"must be one of {sorted(MOCK_STATUSES)}", status)]
                )
            if e.get("output") is not None and not isinstance(e.get("output"), dict):
                raise ValidationFailed([FieldError(f"{path}.{ref}[{i}].output", "must be an object")])
        out[str(ref)] = [dict(e) for e in entries]
    return out


def _copy_definitions(metadata: MetadataService, env: WorkflowEnvironment, request: StartWorkflowRequest) -> None:
    task_defs: list[TaskDef] = metadata.list_task_defs()
    if task_defs:
        env.register_task_defs(*task_defs)
    root = request.get("workflowDef") or metadata.get_workflow_def(request["name"], request.get("version"))
    seen: set[tuple[str, int | None]] = set()
    pending: list[WorkflowDef] = [root]
    copied: list[WorkflowDef] = [] if request.get("workflowDef") else [root]
    while pending:
        for name, version in _sub_workflow_names(pending.pop().get("tasks", [])):
            if (name, version) in seen:
                continue
            seen.add((name, version))
            found = metadata.workflow_def(name, version)
            if found is not None:
                copied.append(found)
                pending.append(found)
    if copied:
        env.register_workflow(*copied)


def _sub_workflow_names(tasks: Iterable[Any]) -> Iterable[tuple[str, int | None]]:
    """(name, version) of every sub-workflow a list of WorkflowTasks names, operators' branches included."""
    for t in tasks:
        if not isinstance(t, dict):
            continue
        param = t.get("subWorkflowParam")
        if isinstance(param, dict) and isinstance(param.get("name"), str) and "workflowDefinition" not in param:
            version = param.get("version")
            yield param["name"], version if isinstance(version, int) else None
        for key in ("loopOver", "defaultCase"):
            yield from _sub_workflow_names(t.get(key) or [])
        for branch in (t.get("decisionCases") or {}).values():
            yield from _sub_workflow_names(branch or [])
        for branch in t.get("forkTasks") or []:
            yield from _sub_workflow_names(branch or [])
