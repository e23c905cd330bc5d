"""The runner: polls every registered task type, runs tasks concurrently, posts every result."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from types import TracebackType

from podium.client import AsyncPodiumClient
from podium.worker._config import configure, default_server_url, default_worker_id
from podium.worker._loop import HttpLease, TaskLoop
from podium.worker._metrics import NullMetrics, default_metrics, serve_metrics
from podium.worker._spec import as_worker

log = logging.getLogger("podium.worker")


class Runner:
    """Serves worker functions (``@worker_task`` or plain functions, or WorkerTask objects)
    against a server until stopped.

    ``run()`` blocks (and handles SIGTERM/SIGINT: stop polling, finish in-flight tasks, post every
    result; a second signal forces the exit; SIGUSR1 pauses and SIGUSR2 resumes all workers);
    ``start()``/``stop()`` run it on a background thread. Results are re-posted with back-off
    while the server is unreachable, so none is lost across a server restart.
    """

    def __init__(
        self,
        workers: Iterable[object],
        server_url: str | None = None,
        *,
        worker_id: str | None = None,
        domain: str | None = None,
        poll_timeout_ms: int = 1000,
        idle_backoff: tuple[float, float] = (0.01, 0.5),
        error_backoff: tuple[float, float] = (0.1, 10.0),
        update_v2: bool = True,
        metrics: bool | NullMetrics = True,
        metrics_port: int | None = None,
        metrics_addr: str = "0.0.0.0",
        shutdown_timeout: float | None = None,
        http_timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.specs = [configure(as_worker(w), domain, env) for w in workers]
        names = [s.name for s in self.specs]
        if not names:
            raise ValueError("a runner needs at least one worker")
        if len(set(names)) != len(names):
            raise ValueError(f"task types served twice: {sorted({n for n in names if names.count(n) > 1})}")
        self.server_url = server_url or default_server_url(env)
        self.worker_id = worker_id or default_worker_id(env)
        self.poll_timeout_ms = poll_timeout_ms
        self.idle_backoff = idle_backoff
        self.error_backoff = error_backoff
        self.update_v2 = update_v2
        if isinstance(metrics, NullMetrics):
            self.metrics = metrics
        else:
            self.metrics = default_metrics() if metrics else NullMetrics()
        self.metrics_port = metrics_port
        self.metrics_addr = metrics_addr
        self.shutdown_timeout = shutdown_timeout
        self.http_timeout = http_timeout
        self.headers = headers
        self.stopping = False
        self.forced = False
        self.thread_pool: Executor | None = None
        self.process_pool: Executor | None = None
        self._paused = {s.name: s.paused for s in self.specs}
        self._loops: dict[str, TaskLoop] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._finished = threading.Event()
        self._error: BaseException | None = None

    # -- control (thread-safe) ----------------------------------------------------------------
    def is_paused(self, task_type: str) -> bool:
        return self._paused.get(task_type, False)

    def pause(self, *task_types: str) -> None:
        """Stop polling these task types (all when none given); running tasks finish normally."""
        self._set_paused(task_types, True)

    def resume(self, *task_types: str) -> None:
        """Poll these task types (all when none given) again."""
        self._set_paused(task_types, False)

    def _set_paused(self, task_types: tuple[str, ...], value: bool) -> None:
        for name in task_types or tuple(self._paused):
            if name not in self._paused:
                raise KeyError(f"no worker for task type {name!r}")
            self._paused[name] = value
            log.info("%s %s", "paused" if value else "resumed", name)
        self._wake_all()

    def request_stop(self) -> None:
        """Begin a graceful stop (returns at once; safe from any thread and from signal handlers)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self.stopping = True
            return
        try:
            loop.call_soon_threadsafe(self._begin_stop)
        except RuntimeError:  # the loop closed meanwhile
            self.stopping = True

    def _begin_stop(self) -> None:
        if not self.stopping:
            in_flight = sum(t.in_flight for t in self._loops.values())
            log.info("stopping: no new polls; waiting for %d in-flight tasks", in_flight)
        self.stopping = True
        if self._stop_event is not None:
            self._stop_event.set()
        self._wake_loops()

    def _wake_all(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._wake_loops)

    def _wake_loops(self) -> None:
        for tl in self._loops.values():
            tl.wake.set()

    def track(self, job: asyncio.Task[None]) -> None:
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    # -- background-thread use ----------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> Runner:
        """Run on a background thread; returns once polling has begun."""
        if self._thread is not None:
            raise RuntimeError("runner already started")
        self._thread = threading.Thread(target=self._thread_main, name="podium-runner", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("runner did not start")
        if self._error is not None:
            raise RuntimeError("runner failed to start") from self._error
        return self

    def _thread_main(self) -> None:
        try:
            asyncio.run(self.run_async(handle_signals=False))
        except BaseException as e:
            self._error = e
            self._started.set()
            log.exception("runner crashed")

    def stop(self, timeout: float | None = None) -> bool:
        """Stop gracefully and wait (up to ``timeout``); True once everything was posted."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive() and not self.forced
        return self._finished.is_set() and not self.forced

    def __enter__(self) -> Runner:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- the loop -----------------------------------------------------------------------------
    def run(self, *, handle_signals: bool = True) -> int:
        """Serve until stopped; returns 0, or 1 when the stop was forced and results were lost."""
        asyncio.run(self.run_async(handle_signals=handle_signals))
        return 1 if self.forced else 0

    async def run_async(self, *, handle_signals: bool = False) -> None:
        """Serve inside the running event loop until :meth:`request_stop` (or a signal)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stop_event = asyncio.Event()
        # One long poll per task type plus a connection per task that may be posting its result.
        connections = max(20, len(self.specs) + sum(s.concurrency for s in self.specs) + 8)
        client = AsyncPodiumClient(
            self.server_url, timeout=self.http_timeout, headers=self.headers, max_connections=connections
        )
        lease = HttpLease(loop, client)
        sync = sum(s.concurrency for s in self.specs if s.executor == "thread" and not s.is_async)
        procs = sum(s.concurrency for s in self.specs if s.executor == "process")
        self.thread_pool = ThreadPoolExecutor(max_workers=max(sync, 1), thread_name_prefix="podium-task")
        if procs:
            self.process_pool = ProcessPoolExecutor(max_workers=procs, mp_context=multiprocessing.get_context("spawn"))
        metrics_server = None
        signals: list[int] = []
        try:
            if self.metrics_port is not None:
                metrics_server = serve_metrics(self.metrics, self.metrics_port, self.metrics_addr)
            if handle_signals:
                signals = self._install_signals(loop)
            self._loops = {s.name: TaskLoop(self, s, client, lease) for s in self.specs}
            pollers = [asyncio.create_task(tl.run(), name=f"podium-poll:{n}") for n, tl in self._loops.items()]
            log.info("worker %s polling %s at %s", self.worker_id, ", ".join(self._describe()), self.server_url)
            self._started.set()
            if self.stopping:
                self._begin_stop()
            await self._stop_event.wait()
            await asyncio.gather(*pollers)  # each finishes the poll it has in flight and runs what it got
            await self._drain()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            await client.aclose()
            wait = not self.forced
            self.thread_pool.shutdown(wait=wait, cancel_futures=True)
            if self.process_pool is not None:
                self.process_pool.shutdown(wait=wait, cancel_futures=True)
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            self._finished.set()
            log.info("worker %s stopped", self.worker_id)

    async def _drain(self) -> None:
        if not self._jobs:
            return
        _done, pending = await asyncio.wait(set(self._jobs), timeout=self.shutdown_timeout)
        if pending:
            self.forced = True
            log.error("shutdown timeout: %d tasks abandoned before their results were posted", len(pending))
            for job in pending:
                job.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _force(self) -> None:
        self.forced = True
        log.warning("second stop signal: abandoning in-flight tasks")
        for job in list(self._jobs):
            job.cancel()
        self._begin_stop()

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> list[int]:
        def on_stop() -> None:
            if self.stopping:
                self._force()
            else:
                self._begin_stop()

        handlers: dict[int, Callable[[], None]] = {signal.SIGTERM: on_stop, signal.SIGINT: on_stop}
        if hasattr(signal, "SIGUSR1"):
            handlers[signal.SIGUSR1] = self.pause
            handlers[signal.SIGUSR2] = self.resume
        installed = []
        for sig, fn in handlers.items():
            try:
                loop.add_signal_handler(sig, fn)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no support
                pass
        return installed

    def _describe(self) -> list[str]:
        out = []
        for s in self.specs:
            where = f"{s.domain}:{s.name}" if s.domain else s.name
            out.append(f"{where} x{s.concurrency}{' (paused)' if self.is_paused(s.name) else ''}")
        return out
