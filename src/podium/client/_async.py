"""The asyncio HTTP client (the worker runner, async applications)."""

from __future__ import annotations

import asyncio
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


class AsyncPodiumClient:
    """The asyncio twin of :class:`PodiumClient`: same methods, awaited."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
    ) -> None:
        self.base_url = c.api_base(base_url)
        self.timeout = timeout
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, headers=headers, transport=transport, limits=limits
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncPodiumClient:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def send(self, call: c.Call[T]) -> T:
        """Send one described call and parse its answer."""
        timeout: Any = self.timeout + call.timeout if call.timeout else httpx.USE_CLIENT_DEFAULT
        try:
            resp = await self._http.request(
                call.method, call.path, params=call.params, content=call.body, headers=call.headers, timeout=timeout
            )
        except httpx.TransportError as e:
            raise ServerUnavailable(f"{type(e).__name__}: {e}") from e
        c.check(resp)
        return call.parse(resp)

    # -- tasks --------------------------------------------------------------------------------
    async def batch_poll(
        self,
        task_type: str,
        *,
        worker_id: str | None = None,
        count: int = 1,
        timeout_ms: int = 100,
        domain: str | None = None,
    ) -> list[Task]:
        """Up to ``count`` tasks, waiting at most ``timeout_ms`` for the first (``[]`` when none)."""
        return await self.send(c.batch_poll(task_type, worker_id, count, timeout_ms, domain))

    async def poll(self, task_type: str, *, worker_id: str | None = None, domain: str | None = None) -> Task | None:
        return await self.send(c.poll(task_type, worker_id, domain))

    async def update_task(self, result: TaskResult | bytes) -> str:
        """Post a TaskResult (a dict or pre-encoded JSON); returns the task id."""
        return await self.send(c.update_task(result))

    async def update_task_v2(self, result: TaskResult | bytes) -> Task | None:
        """Post a TaskResult; returns the next task of the same type for this worker, if any."""
        return await self.send(c.update_task_v2(result))

    async def update_task_by_ref(
        self,
        workflow_id: str,
        ref: str,
        status: str = st.COMPLETED,
        output: Mapping[str, Any] | None = None,
        *,
        worker_id: str | None = None,
    ) -> str:
        return await self.send(c.update_task_by_ref(workflow_id, ref, status, output, worker_id))

    async def read_external_payload(self, path: str, payload_type: str = "TASK_INPUT") -> Any:
        """A payload the server keeps outside its record (``externalInputPayloadStoragePath`` and the
        like): asks where it is, then reads it from there."""
        loc = await self.send(c.external_storage_location("READ", payload_type, path))
        uri = loc["uri"]
        try:
            if c.is_own_uri(self.base_url, uri):
                resp = await self._http.get(uri)
            else:  # a pre-signed URL of the object store: no headers of ours
                async with httpx.AsyncClient(timeout=self.timeout) as plain:
                    resp = await plain.get(uri)
        except httpx.TransportError as e:
            raise ServerUnavailable(f"{type(e).__name__}: {e}") from e
        c.check(resp)
        return decode(resp.content)

    async def get_task(self, task_id: str) -> Task:
        return await self.send(c.get_task(task_id))

    async def add_task_log(self, task_id: str, text: str) -> None:
        await self.send(c.add_task_log(task_id, text))

    async def get_task_logs(self, task_id: str) -> list[TaskExecLog]:
        return await self.send(c.get_task_logs(task_id))

    async def poll_data(self, task_type: str) -> list[PollData]:
        return await self.send(c.poll_data(task_type))

    # -- metadata -----------------------------------------------------------------------------
    async def register_task_defs(self, defs: list[TaskDef]) -> None:
        await self.send(c.register_task_defs(defs))

    async def get_task_def(self, name: str) -> TaskDef:
        return await self.send(c.get_task_def(name))

    async def register_workflow_def(self, definition: WorkflowDef, *, overwrite: bool = False) -> None:
        await self.send(c.register_workflow_def(definition, overwrite))

    async def update_workflow_defs(self, defs: list[WorkflowDef]) -> None:
        await self.send(c.update_workflow_defs(defs))

    async def get_workflow_def(self, name: str, version: int | None = None) -> WorkflowDef:
        return await self.send(c.get_workflow_def(name, version))

    # -- workflows ----------------------------------------------------------------------------
    async def start_workflow(
        self,
        name: str,
        input: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        correlation_id: str | None = None,
        priority: int | None = None,
        task_to_domain: Mapping[str, str] | None = None,
    ) -> str:
        req = c.start_request(name, input, version, correlation_id, priority, task_to_domain)
        return await self.send(c.start_workflow(req))

    async def get_workflow(self, workflow_id: str, *, include_tasks: bool = True) -> Workflow:
        return await self.send(c.get_workflow(workflow_id, include_tasks))

    async def terminate_workflow(self, workflow_id: str, reason: str | None = None) -> None:
        await self.send(c.terminate_workflow(workflow_id, reason))

    async def pause_workflow(self, workflow_id: str) -> None:
        await self.send(c.workflow_action(workflow_id, "pause"))

    async def resume_workflow(self, workflow_id: str) -> None:
        await self.send(c.workflow_action(workflow_id, "resume"))

    async def retry_workflow(self, workflow_id: str) -> None:
        await self.send(c.workflow_action(workflow_id, "retry", "POST"))

    async def wait_for_workflow(self, workflow_id: str, *, timeout: float = 30.0, interval: float = 0.05) -> Workflow:
        """Poll until the run is terminal; raises TimeoutError with the last state otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            wf = await self.get_workflow(workflow_id, include_tasks=True)
            if st.workflow_terminal(wf["status"]):
                return wf
            if time.monotonic() >= deadline:
                raise TimeoutError(f"workflow {workflow_id} still {wf['status']} after {timeout}s")
            await asyncio.sleep(interval)

    async def healthy(self) -> bool:
        try:
            await self.send(c.health())
        except (ApiError, ServerUnavailable):
            return False
        return True
