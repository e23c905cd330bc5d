"""Worker functions run by `podium worker` subprocesses and process pools in the tests.

Task names come from the environment so each test gets its own task types on the shared server.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from podium.worker import TaskContext, worker_task

BLOCKING = os.environ.get("PODIUM_TEST_BLOCKING_TASK", "blocking_task")


@worker_task(BLOCKING, concurrency=2)
def blocking(ctx: TaskContext) -> dict[str, Any]:
    """Announces itself with a marker file, then waits for the test's release file."""
    folder = Path(os.environ["PODIUM_TEST_DIR"])
    (folder / f"started-{ctx.task_id}").touch()
    release = folder / "release"
    deadline = time.monotonic() + 60
    while not release.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.01)
    return {"finished": ctx.task_id, "pid": os.getpid()}


def in_process(value: int) -> dict[str, Any]:
    """For executor="process": reports which process ran it."""
    return {"doubled": value * 2, "pid": os.getpid()}


async def in_process_async(value: int) -> dict[str, Any]:
    return {"tripled": value * 3, "pid": os.getpid()}
