"""In-process test kit: run workflow definitions against worker functions on the real engine,
with a clock that skips ahead, so retries with back-off, WAITs and timeouts finish at once.

::

    from podium.testing import WorkflowEnvironment

    with WorkflowEnvironment([charge, ship]) as env:
        env.register_workflow(order_definition)
        run = env.execute("order", {"orderId": 7})
        assert run["status"] == "COMPLETED"

Unlike ``podium.worker`` this package needs the server extra (it embeds the engine).
"""

from podium.testing._env import WorkflowEnvironment
from podium.testing._store import TimerStore

__all__ = ["TimerStore", "WorkflowEnvironment"]
