"""Helpers for the worker SDK tests: definitions, a runner tuned for tests, metric reads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from prometheus_client import REGISTRY

from podium.client import PodiumClient
from podium.worker import Runner

ROOT = Path(__file__).resolve().parents[2]


def taskdef(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "retryCount": 0, "responseTimeoutSeconds": 60, "timeoutSeconds": 0, **extra}


def simple(name: str, ref: str | None = None, **inputs: Any) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref or name, "inputParameters": inputs}


def register(
    api: PodiumClient, name: str, tasks: list[dict[str, Any]], defs: list[dict[str, Any]], **extra: Any
) -> str:
    if defs:
        api.register_task_defs(defs)  # type: ignore[arg-type]
    api.update_workflow_defs([{"name": name, "version": 1, "tasks": tasks, **extra}])  # type: ignore[list-item]
    return name


def runner(workers: list[Any], url: str, **kw: Any) -> Runner:
    """A runner with short waits so tests react fast."""
    opts: dict[str, Any] = {
        "poll_timeout_ms": 100,
        "idle_backoff": (0.005, 0.05),
        "error_backoff": (0.02, 0.2),
        "worker_id": "test-worker",
        "env": {},
    }
    opts.update(kw)
    return Runner(workers, url, **opts)


def metric(name: str, **labels: str) -> float:
    """A sample of the worker metrics on the global registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py as a module (registered in sys.modules, as dataclass hints need)."""
    mod_name = f"podium_example_{name}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    spec.loader.exec_module(module)
    return module
