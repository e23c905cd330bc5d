"""Worker functions for the conductor-python compatibility tests (importable by spawned processes)."""

# No `from __future__ import annotations`: the SDK binds inputs from real (non-string) annotations.
from conductor.client.worker.exception import NonRetryableException


def greet(name: str) -> dict[str, str]:
    return {"greeting": f"Hello {name}"}


def double(value: int) -> dict[str, int]:
    return {"value": value * 2}


def explode(value: int) -> dict[str, int]:
    raise NonRetryableException(f"cannot handle {value}")
