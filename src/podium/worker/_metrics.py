"""Prometheus metrics of a worker process, optional: without prometheus-client they cost nothing.

Names follow Conductor's client metrics where one exists (task_poll, task_poll_time,
task_execute_time, task_execute_error, task_update_error, task_paused).
"""

from __future__ import annotations

import logging
import threading
from typing import Any


class NullMetrics:
    """Metrics switched off (or prometheus-client not installed)."""

    enabled = False
    registry: Any = None

    def polled(self, task_type: str, seconds: float, received: int) -> None: ...
    def poll_error(self, task_type: str, error: BaseException) -> None: ...
    def executed(self, task_type: str, seconds: float, status: str, error_type: str | None) -> None: ...
    def updated(self, task_type: str, seconds: float) -> None: ...
    def update_error(self, task_type: str, error: BaseException) -> None: ...
    def paused(self, task_type: str) -> None: ...
    def in_flight(self, task_type: str, n: int) -> None: ...


class WorkerMetrics(NullMetrics):
    """The worker's Prometheus collectors, registered once on ``registry`` (default: the global one)."""

    enabled = True

    def __init__(self, registry: Any = None) -> None:
        import prometheus_client as pc

        reg = pc.REGISTRY if registry is None else registry
        self.registry = reg
        t = ["taskType"]
        self._poll = pc.Counter("task_poll", "Polls sent to the server", t, registry=reg)
        self._poll_empty = pc.Counter("task_poll_empty", "Polls that returned no task", t, registry=reg)
        self._received = pc.Counter("task_poll_received", "Tasks received from polls", t, registry=reg)
        self._poll_time = pc.Histogram(
            "task_poll_time_seconds", "Latency of a poll (long-poll wait included)", t, registry=reg
        )
        self._poll_error = pc.Counter("task_poll_error", "Polls that failed", [*t, "exception"], registry=reg)
        self._exec_time = pc.Histogram(
            "task_execute_time_seconds", "Time spent running the task function", t, registry=reg
        )
        self._result = pc.Counter("task_result", "Results produced, by status", [*t, "status"], registry=reg)
        self._exec_error = pc.Counter(
            "task_execute_error", "Task functions that raised", [*t, "exception"], registry=reg
        )
        self._update_time = pc.Histogram("task_update_time_seconds", "Latency of posting a result", t, registry=reg)
        self._update_error = pc.Counter(
            "task_update_error", "Failed attempts to post a result", [*t, "exception"], registry=reg
        )
        self._paused = pc.Counter("task_paused", "Poll rounds skipped while paused", t, registry=reg)
        self._in_flight = pc.Gauge("task_in_flight", "Tasks being executed or waiting to be posted", t, registry=reg)

    def polled(self, task_type: str, seconds: float, received: int) -> None:
        self._poll.labels(task_type).inc()
        self._poll_time.labels(task_type).observe(seconds)
        if received:
            self._received.labels(task_type).inc(received)
        else:
            self._poll_empty.labels(task_type).inc()

    def poll_error(self, task_type: str, error: BaseException) -> None:
        self._poll.labels(task_type).inc()
        self._poll_error.labels(task_type, type(error).__name__).inc()

    def executed(self, task_type: str, seconds: float, status: str, error_type: str | None) -> None:
        self._exec_time.labels(task_type).observe(seconds)
        self._result.labels(task_type, status).inc()
        if error_type is not None:
            self._exec_error.labels(task_type, error_type).inc()

    def updated(self, task_type: str, seconds: float) -> None:
        self._update_time.labels(task_type).observe(seconds)

    def update_error(self, task_type: str, error: BaseException) -> None:
        self._update_error.labels(task_type, type(error).__name__).inc()

    def paused(self, task_type: str) -> None:
        self._paused.labels(task_type).inc()

    def in_flight(self, task_type: str, n: int) -> None:
        self._in_flight.labels(task_type).set(n)


_default: NullMetrics | None = None
_lock = threading.Lock()


def default_metrics() -> NullMetrics:
    """The process-wide worker metrics on the global registry (NullMetrics without prometheus-client)."""
    global _default
    with _lock:
        if _default is None:
            try:
                _default = WorkerMetrics()
            except ImportError:
                _default = NullMetrics()
            except ValueError:  # the names are taken on the global registry: keep ours apart
                import prometheus_client as pc

                logging.getLogger("podium.worker").warning("worker metrics use a private registry")
                _default = WorkerMetrics(pc.CollectorRegistry())
        return _default


def serve_metrics(metrics: NullMetrics, port: int, addr: str = "0.0.0.0") -> Any:
    """Expose ``/metrics`` on a port; returns the HTTP server (call ``.shutdown()`` to stop it)."""
    if not metrics.enabled:
        raise RuntimeError("metrics are not available: install prometheus-client")
    import prometheus_client as pc

    server, _thread = pc.start_http_server(port, addr=addr, registry=metrics.registry)
    return server
