"""The blocking HTTP client (scripts, the CLI, tests, examples)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from podium.client import _calls as c
from podium.client._codec import decode
from podium.client._errors import ApiError, ServerUnavailable
from podium.domain import statuses as st
from podium.domain.model import PollData, Task, TaskDef, TaskExecLog, TaskResult, Workflow, WorkflowDef

T = TypeVar("T")


class PodiumClient:
    """Typed access to a Podium (or Conductor) server's REST API.

    ``base_url`` may end in ``/api`` or not. Errors raise :class:`ApiError` (error status) or
    :class:`ServerUnavailable` (no answer).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = c.api_base(base_url)
        self.timeout = timeout
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> PodiumClient:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def send(self, call: c.Call[T]) -> T:
        """Send one described call and parse its answer."""
        timeout: Any = self.timeout + call.timeout if call.timeout else httpx.USE_CLIENT_DEFAULT
        try:
            resp = self._http.request(
                call.method, call.path, params=call.params, content=call.body, headers=call.headers, timeout=timeout
            )
        except httpx.TransportError as e:
            raise ServerUnavailable(f"{type(e).__name__}: {e}") from e
        c.check(resp)
        return call.parse(resp)

    # -- tasks --------------------------------------------------------------------------------
    def batch_poll(
        self,
        task_type: str,
        *,
        worker_id: str | None = None,
        count: int = 1,
        timeout_ms: int = 100,
        domain: str | None = None,
    ) -> list[Task]:
        """Up to ``count`` tasks, waiting at most ``timeout_ms`` for the first (``[]`` when none)."""
        return self.send(c.batch_poll(task_type, worker_id, count, timeout_ms, domain))

    def poll(self, task_type: str, *, worker_id: str | None = None, domain: str | None = None) -> Task | None:
        """One task, or None."""
        return self.send(c.poll(task_type, worker_id, domain))

    def update_task(self, result: TaskResult | bytes) -> str:
        """Post a TaskResult (a dict or pre-encoded JSON); returns the task id."""
        return self.send(c.update_task(result))

    def update_task_v2(self, result: TaskResult | bytes) -> Task | None:
        """Post a TaskResult; returns the next task of the same type for this worker, if any."""
        return self.send(c.update_task_v2(result))

    def update_task_by_ref(
        self,
        workflow_id: str,
        ref: str,
        status: str = st.COMPLETED,
        output: Mapping[str, Any] | None = None,
        *,
        worker_id: str | None = None,
    ) -> str:
        """Complete (or fail) the pending task with a reference name, e.g. a HUMAN or WAIT task."""
        return self.send(c.update_task_by_ref(workflow_id, ref, status, output, worker_id))

    def read_external_payload(self, path: str, payload_type: str = "TASK_INPUT") -> Any:
        """A payload the server keeps outside its record (``externalInputPayloadStoragePath`` and the
        like): asks where it is, then reads it from there."""
        loc = self.send(c.external_storage_location("READ", payload_type, path))
        uri = loc["uri"]
        try:
            if c.is_own_uri(self.base_url, uri):
                resp = self._http.get(uri)
            else:  # a pre-signed URL of the object store: no headers of ours
                with httpx.Client(timeout=self.timeout) as plain:
                    resp = plain.get(uri)
        except httpx.TransportError as e:
            raise ServerUnavailable(f"{type(e).__name__}: {e}") from e
        c.check(resp)
        return decode(resp.content)

    def get_task(self, task_id: str) -> Task:
        return self.send(c.get_task(task_id))

    def add_task_log(self, task_id: str, text: str) -> None:
        self.send(c.add_task_log(task_id, text))

    def get_task_logs(self, task_id: str) -> list[TaskExecLog]:
        return self.send(c.get_task_logs(task_id))

    def poll_data(self, task_type: str) -> list[PollData]:
        return self.send(c.poll_data(task_type))

    # -- metadata -----------------------------------------------------------------------------
    def register_task_defs(self, defs: list[TaskDef]) -> None:
        """Create or replace task definitions."""
        self.send(c.register_task_defs(defs))

    def get_task_def(self, name: str) -> TaskDef:
        return self.send(c.get_task_def(name))

    def register_workflow_def(self, definition: WorkflowDef, *, overwrite: bool = False) -> None:
        """Register a workflow definition (409 ApiError when it exists and ``overwrite`` is off)."""
        self.send(c.register_workflow_def(definition, overwrite))

    def update_workflow_defs(self, defs: list[WorkflowDef]) -> None:
        """Create or replace workflow definitions."""
        self.send(c.update_workflow_defs(defs))

    def get_workflow_def(self, name: str, version: int | None = None) -> WorkflowDef:
        return self.send(c.get_workflow_def(name, version))

    # -- workflows ----------------------------------------------------------------------------
    def start_workflow(
        self,
        name: str,
        input: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        correlation_id: str | None = None,
        priority: int | None = None,
        task_to_domain: Mapping[str, str] | None = None,
    ) -> str:
        """Start a run of a registered definition; returns its workflow id."""
        req = c.start_request(name, input, version, correlation_id, priority, task_to_domain)
        return self.send(c.start_workflow(req))

    def get_workflow(self, workflow_id: str, *, include_tasks: bool = True) -> Workflow:
        return self.send(c.get_workflow(workflow_id, include_tasks))

    def terminate_workflow(self, workflow_id: str, reason: str | None = None) -> None:
        self.send(c.terminate_workflow(workflow_id, reason))

    def pause_workflow(self, workflow_id: str) -> None:
        self.send(c.workflow_action(workflow_id, "pause"))

    def resume_workflow(self, workflow_id: str) -> None:
        self.send(c.workflow_action(workflow_id, "resume"))

    def retry_workflow(self, workflow_id: str) -> None:
        self.send(c.workflow_action(workflow_id, "retry", "POST"))

    def wait_for_workflow(self, workflow_id: str, *, timeout: float = 30.0, interval: float = 0.05) -> Workflow:
        """Poll until the run is terminal; raises TimeoutError with the last state otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            wf = self.get_workflow(workflow_id, include_tasks=True)
            if st.workflow_terminal(wf["status"]):
                return wf
            if time.monotonic() >= deadline:
                raise TimeoutError(f"workflow {workflow_id} still {wf['status']} after {timeout}s")
            time.sleep(interval)

    def healthy(self) -> bool:
        """True when the server answers its health check."""
        try:
            self.send(c.health())
        except (ApiError, ServerUnavailable):
            return False
        return True
