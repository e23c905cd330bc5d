"""Prometheus metrics, named after Conductor's where it has one."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

TASK_POLL = Counter("task_poll", "Polls per task type (empty ones included)", ["taskType"], registry=REGISTRY)
TASK_POLL_COUNT = Counter("task_poll_count", "Tasks handed out to workers", ["taskType"], registry=REGISTRY)
TASK_UPDATE = Counter(
    "task_update", "Task updates by task type and reported status", ["taskType", "status"], registry=REGISTRY
)
WORKFLOW_START = Counter("workflow_start_request", "Workflows started", ["workflowName"], registry=REGISTRY)
WORKFLOW_END = Counter(
    "workflow_completion", "Workflows that reached a terminal status", ["workflowName", "status"], registry=REGISTRY
)
QUEUE_DEPTH = Gauge("task_queue_depth", "Messages on each task queue", ["queueName"], registry=REGISTRY)
DECIDE_SECONDS = Histogram(
    "workflow_decide_seconds",
    "Time of one decide pass incl. persistence",
    registry=REGISTRY,
    buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 1.0),
)
SCRIPT_EVALUATIONS = Counter(
    "script_evaluations",
    "Script and jq evaluations in evaluator processes: answered at once, finished in the background, or killed",
    ["outcome"],
    registry=REGISTRY,
)
EVENT_ACTION_REFUSED = Counter(
    "event_action_refused",
    "Event handler actions not run: over the handler's rate limit, or too deep in a chain of event-started workflows",
    ["handler", "reason"],
    registry=REGISTRY,
)

_children: dict[tuple[Counter, tuple[str, ...]], Counter] = {}


def count(metric: Counter, *labels: str, amount: float = 1) -> None:
    """``metric.labels(*labels).inc(amount)``, with the labelled child looked up once per label set."""
    key = (metric, labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    child.inc(amount)
