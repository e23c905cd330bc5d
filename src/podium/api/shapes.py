"""Type checks of the request bodies the routes read themselves (the services check TaskResult,
StartWorkflowRequest and definitions): a wrong type is a 400 naming the field, never a 500 later."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from podium.domain.errors import FieldError, InvalidArgument, ValidationFailed

# field -> (JSON type, how the message names it). null counts as absent; unknown fields pass.
Fields = Mapping[str, tuple[type, str]]

_OBJECT: Final = (dict, "a JSON object")
_STRING: Final = (str, "a string")

RERUN_REQUEST: Final[Fields] = {
    "reRunFromWorkflowId": _STRING,
    "workflowInput": _OBJECT,
    "reRunFromTaskId": _STRING,
    "taskInput": _OBJECT,
    "correlationId": _STRING,
}
SKIP_TASK_REQUEST: Final[Fields] = {"taskInput": _OBJECT, "taskOutput": _OBJECT}


def checked_object(body: Any, what: str, fields: Fields) -> dict[str, Any]:
    """``body`` when it is a JSON object whose known ``fields`` have their types; else a 400."""
    if not isinstance(body, dict):
        raise InvalidArgument(f"{what} must be a JSON object")
    errors = [
        FieldError(key, f"{key} must be {name}", body[key])
        for key, (kind, name) in fields.items()
        if body.get(key) is not None and not isinstance(body[key], kind)
    ]
    if errors:
        raise ValidationFailed(errors)
    return body
