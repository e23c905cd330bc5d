"""Integration system tasks: HTTP, EVENT and KAFKA_PUBLISH (docs/reference.md#http, #event,
#kafka_publish).

HTTP is asynchronous: once due the record goes IN_PROGRESS and onto the ``HTTP`` system-task queue,
where the server's system-task runner performs the call off the request path and reports back.
EVENT publishes through the ``publish_event`` effect, in the same transaction as the decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from podium.decider.operators.base import Operator, register
from podium.decider.operators.system import SyncOperator, start_when_due
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, Task, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass

PUBLISH_EVENT: Final = "publish_event"
CONDUCTOR_SINK: Final = "conductor"


@register(tt.HTTP)
class HttpOperator(Operator):
    """Hands the record to the system-task runner through the durable ``HTTP`` queue."""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        p.new_record(wt, task_type=tt.HTTP, status=st.SCHEDULED, iteration=iteration, td=p.task_def(wt))

    def step(self, p: Pass, task: Task) -> bool:
        # SCHEDULED = not handed over yet (new, a retry attempt, or reset by an operator API).
        if task["status"] != st.SCHEDULED or not start_when_due(p, task):
            return False
        p.push(task)
        return True


@register(tt.EVENT)
class EventOperator(SyncOperator):
    """Publishes task input (plus workflow coordinates) to the sink's queue."""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        t = p.new_record(wt, task_type=tt.EVENT, status=st.IN_PROGRESS, iteration=iteration, td=p.task_def(wt))
        inp = t["inputData"]
        if wt.get("sink") is not None:
            inp["sink"] = p.resolve(wt["sink"], t["taskId"])
        inp["asyncComplete"] = bool(wt.get("asyncComplete"))

    def step(self, p: Pass, task: Task) -> bool:
        if task["status"] == st.IN_PROGRESS and "event_produced" in (task.get("outputData") or {}):
            return False  # published; an asyncComplete task waits for an external update
        return super().step(p, task)

    def execute(self, p: Pass, task: Task) -> None:
        inp = task.get("inputData") or {}
        wf = p.wf
        name = wf.get("workflowName") or wf["workflowDefinition"].get("name", "")
        queue, error = event_queue_name(inp.get("sink"), name, task["referenceTaskName"])
        if queue is None:
            p.finish(task, st.FAILED, reason=error)
            return
        payload: JSON = dict(inp)
        payload["workflowInstanceId"] = wf["workflowId"]
        payload["workflowType"] = name
        payload["workflowVersion"] = wf.get("workflowVersion", wf["workflowDefinition"].get("version", 1))
        payload["correlationId"] = wf.get("correlationId")
        payload["taskToDomain"] = wf.get("taskToDomain") or {}
        p.effect(PUBLISH_EVENT, task, queue=queue, message_id=task["taskId"], payload=payload)
        output = dict(payload)
        output["event_produced"] = queue
        if task.get("workflowTask", {}).get("asyncComplete") or inp.get("asyncComplete") is True:
            task["outputData"] = output
            p.touch(task)
        else:
            p.finish(task, st.COMPLETED, output)


@register(tt.KAFKA_PUBLISH)
class KafkaPublishOperator(SyncOperator):
    """No Kafka client ships with this server: the task fails with a clear reason."""

    def execute(self, p: Pass, task: Task) -> None:
        p.finish(task, st.FAILED, reason="KAFKA_PUBLISH is not available on this server")


def event_queue_name(sink: object, workflow_name: str, ref: str) -> tuple[str | None, str]:
    """(queue the sink publishes to, or None; error message when None) — docs/reference.md#event."""
    if not isinstance(sink, str) or not sink.strip():
        return None, "EVENT task has no 'sink'"
    sink = sink.strip()
    if sink == CONDUCTOR_SINK:
        return f"{CONDUCTOR_SINK}:{workflow_name}:{ref}", ""
    if sink.startswith(CONDUCTOR_SINK + ":"):
        rest = sink[len(CONDUCTOR_SINK) + 1 :]
        if rest:
            return f"{CONDUCTOR_SINK}:{workflow_name}:{rest}", ""
    provider, sep, _ = sink.partition(":")
    if not sep:
        return None, f"Invalid / unsupported sink specified: {sink}"
    return None, (
        f"Event queue provider '{provider}' of sink '{sink}' is not available on this server "
        f"(only '{CONDUCTOR_SINK}' sinks are supported)"
    )
