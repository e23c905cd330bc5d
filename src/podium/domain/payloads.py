"""External payload storage: Conductor's names for payloads kept outside the records
(docs/architecture.md#external-payloads).

A workflow or task input/output larger than its threshold (``Limits.*_threshold_bytes``) is written
to the payload store under a path; the record then carries that path in
``externalInputPayloadStoragePath`` / ``externalOutputPayloadStoragePath``, and the stored row and
every API answer show the inline field as ``{}``, as Conductor does. Inside the server, a record
being decided holds the full value again (the service loads it), so ``${...}`` sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, cast

from podium.domain.errors import InvalidArgument
from podium.domain.model import EXTERNAL_FLAG, Task, Workflow
from podium.domain.validation_limits import payload_size

EXTERNAL_INPUT: Final = "externalInputPayloadStoragePath"
EXTERNAL_OUTPUT: Final = "externalOutputPayloadStoragePath"


class PayloadType(StrEnum):
    WORKFLOW_INPUT = "WORKFLOW_INPUT"
    WORKFLOW_OUTPUT = "WORKFLOW_OUTPUT"
    TASK_INPUT = "TASK_INPUT"
    TASK_OUTPUT = "TASK_OUTPUT"


class Operation(StrEnum):
    READ = "READ"
    WRITE = "WRITE"


_DIRS: Final = {
    PayloadType.WORKFLOW_INPUT: "workflow/input",
    PayloadType.WORKFLOW_OUTPUT: "workflow/output",
    PayloadType.TASK_INPUT: "task/input",
    PayloadType.TASK_OUTPUT: "task/output",
}


def new_path(payload_type: PayloadType, unique: str) -> str:
    """A fresh storage path for a payload of ``payload_type`` (``unique`` is a new UUID)."""
    return f"{_DIRS[payload_type]}/{unique}.json"


def check_path(path: str) -> str:
    """A path as clients may name it: relative, made of plain segments (no ``..``, no empty segment)."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 512
        or any(p in ("", ".", "..") for p in parts)
        or any(not (c.isalnum() or c in "-_.") for p in parts for c in p)
    ):
        raise InvalidArgument(f"Invalid external payload path: {path!r}")
    return path


def parse_payload_type(raw: str) -> PayloadType:
    try:
        return PayloadType(raw.upper())
    except ValueError:
        names = ", ".join(PayloadType)
        raise InvalidArgument(f"payloadType must be one of {names}, not {raw!r}") from None


def parse_operation(raw: str) -> Operation:
    try:
        return Operation(raw.upper())
    except ValueError:
        raise InvalidArgument(f"operation must be READ or WRITE, not {raw!r}") from None


_SIZE_KEYS: Final = {EXTERNAL_INPUT: "_externalInputBytes", EXTERNAL_OUTPUT: "_externalOutputBytes"}
TASK_FIELDS: Final = ((EXTERNAL_INPUT, "inputData"), (EXTERNAL_OUTPUT, "outputData"))
WORKFLOW_FIELDS: Final = ((EXTERNAL_INPUT, "input"), (EXTERNAL_OUTPUT, "output"))
HIDDEN: Final = frozenset({EXTERNAL_FLAG, *_SIZE_KEYS.values()})


def size_key(path_key: str) -> str:
    """The bookkeeping field that holds the stored size of the payload named by ``path_key``."""
    return _SIZE_KEYS[path_key]


def mark_external(record: Mapping[str, Any], path_key: str, path: str, size: int) -> None:
    """Note on ``record`` (which keeps the full value in memory) that its payload is stored at ``path``.

    ``size`` (compact JSON bytes of the value stored) lets a later write tell a value that changed
    since from the stored one: a changed value is written inline again and the path dropped.
    """
    d = cast(dict[str, Any], record)
    d[path_key] = path
    d[_SIZE_KEYS[path_key]] = size


def forget_external(record: Mapping[str, Any], path_key: str) -> None:
    """The value named by ``path_key`` is inline again (reset or replaced)."""
    d = cast(dict[str, Any], record)
    d.pop(path_key, None)
    d.pop(_SIZE_KEYS[path_key], None)


def _shown(record: Mapping[str, Any], pairs: tuple[tuple[str, str], ...], stored: bool) -> dict[str, Any] | None:
    if EXTERNAL_INPUT not in record and EXTERNAL_OUTPUT not in record:
        return None
    d = dict(record)
    for path_key, field in pairs:
        size_key = _SIZE_KEYS[path_key]
        recorded = d.get(size_key) if stored else d.pop(size_key, None)
        if not d.get(path_key):
            continue
        if recorded is None:  # a path a worker sent beside its own inline output: both kept as sent
            continue
        inline = d.get(field)
        if not inline or payload_size(inline) == recorded:
            d[field] = {}
        else:  # the value changed since it was stored: it is inline again
            del d[path_key]
            d.pop(size_key, None)
    return d


def stored_task(t: Task) -> Task:
    """The task as its row keeps it: inline input/output ``{}`` where a path holds it (a copy if so)."""
    d = _shown(t, TASK_FIELDS, True)
    return t if d is None else cast(Task, d)


def shown_task(t: Task) -> Task:
    """The task as the API shows it: as stored, without the bookkeeping of external payloads."""
    d = _shown(t, TASK_FIELDS, False)
    return t if d is None else cast(Task, d)


def stored_workflow(wf: Workflow) -> Workflow:
    """The workflow as its row keeps it (tasks untouched; a shallow copy if anything is external)."""
    d = _shown(wf, WORKFLOW_FIELDS, True)
    return wf if d is None else cast(Workflow, d)


def shown_workflow_fields(wf: Workflow) -> Workflow:
    """The workflow as the API shows it (tasks untouched), without the bookkeeping of external payloads."""
    d = _shown(wf, WORKFLOW_FIELDS, False)
    return wf if d is None else cast(Workflow, d)
