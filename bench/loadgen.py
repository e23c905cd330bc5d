"""The load generator: concurrent workflow starts (optionally windowed), bulk reads for checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from typing import Any
from urllib.parse import quote

import orjson

from bench.httpc import Connection, connect_retry

_mono = time.monotonic


@dataclass(slots=True)
class Starts:
    """What the starters did: ids in start order, when each start was sent, request latencies."""

    ids: list[str] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    latency_s: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    first_sent: float = 0.0
    last_done: float = 0.0


async def start_workflows(
    host: str,
    port: int,
    name: str,
    make_input: Callable[[int], dict[str, Any]],
    count: int,
    *,
    concurrency: int = 2,
    window: int = 0,
    finished: Synchronized[int] | None = None,
    finished_offset: int = 0,
    ports: list[int] | None = None,
) -> Starts:
    """Start ``count`` workflows over ``concurrency`` connections.

    With ``window`` > 0 no more than ``window`` workflows are in flight (started minus ``finished``,
    a counter the workers raise), so end-to-end latency measures the engine, not a backlog.
    With ``ports`` (several nodes), connection j goes to ports[j % len]; all share one index, so
    each node gets starts as fast as it takes them.
    """
    out = Starts()
    next_index = 0
    started = 0
    out.first_sent = _mono()

    async def starter(node_port: int) -> None:
        nonlocal next_index, started
        loop = asyncio.get_running_loop()
        conn = await connect_retry(host, node_port, loop.time() + 5)
        try:
            while next_index < count:
                i = next_index
                next_index += 1
                if window > 0 and finished is not None:
                    while started - (finished.value - finished_offset) >= window:
                        await asyncio.sleep(0.002)
                started += 1
                body = orjson.dumps({"name": name, "input": make_input(i)})
                t0 = _mono()
                status, raw = await conn.request("POST", "/api/workflow", body)
                t1 = _mono()
                out.latency_s.append(t1 - t0)
                if status != 200:
                    out.errors += 1
                    if len(out.error_samples) < 5:
                        out.error_samples.append(f"start {status}: {raw[:300].decode(errors='replace')}")
                    continue
                wid = raw.decode()
                out.ids.append(wid)
                out.sent_at[wid] = t0
                out.last_done = t1
        finally:
            conn.close()

    spread = ports or [port]
    await asyncio.gather(*(starter(spread[j % len(spread)]) for j in range(concurrency)))
    return out


async def fetch_workflows(
    host: str, port: int, ids: list[str], *, include_tasks: bool = False, concurrency: int = 4
) -> dict[str, Any]:
    """GET /api/workflow/{id} for every id: id → decoded body (or an error string)."""
    out: dict[str, Any] = {}
    todo = list(reversed(ids))
    flag = "true" if include_tasks else "false"

    async def reader() -> None:
        loop = asyncio.get_running_loop()
        conn = await connect_retry(host, port, loop.time() + 5)
        try:
            while todo:
                wid = todo.pop()
                status, body = await conn.json("GET", f"/api/workflow/{wid}?includeTasks={flag}")
                out[wid] = body if status == 200 else f"HTTP {status}: {body}"
        finally:
            conn.close()

    await asyncio.gather(*(reader() for _ in range(concurrency)))
    return out


TERMINAL = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"})


async def await_terminal(host: str, port: int, ids: list[str], timeout: float, interval: float = 0.1) -> dict[str, Any]:
    """Poll the workflows until each is terminal or ``timeout`` passes: id → last body seen."""
    seen: dict[str, Any] = {}
    todo = list(ids)
    deadline = _mono() + timeout
    while todo:
        got = await fetch_workflows(host, port, todo)
        seen.update(got)
        todo = [w for w in todo if not (isinstance(got[w], dict) and got[w].get("status") in TERMINAL)]
        if not todo or _mono() > deadline:
            break
        await asyncio.sleep(interval)
    return seen


async def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.005) -> bool:
    """Wait for a condition; False when ``timeout`` seconds pass first."""
    deadline = _mono() + timeout
    while not predicate():
        if _mono() > deadline:
            return False
        await asyncio.sleep(interval)
    return True


async def timed_gets(host: str, port: int, paths: list[str], repeat: int) -> dict[str, list[float]]:
    """Each path ``repeat`` times on one connection: path → latencies (s); non-200 raises."""
    out: dict[str, list[float]] = {p: [] for p in paths}
    conn = await Connection.open(host, port)
    try:
        for _ in range(repeat):
            for p in paths:
                t0 = _mono()
                status, raw = await conn.request("GET", p)
                out[p].append(_mono() - t0)
                if status != 200:
                    raise RuntimeError(f"GET {p}: HTTP {status}: {raw[:300]!r}")
    finally:
        conn.close()
    return out


def qs(**params: Any) -> str:
    """A query string with every value percent-encoded."""
    return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
