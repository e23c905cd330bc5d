"""TaskDef validation (docs/reference.md#task-definitions), on the defaults-applied view of the definition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from podium.domain.defaults import TASK_DEF_DEFAULTS
from podium.domain.errors import FieldError
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.domain.validation_base import (
    Errors,
    is_blank,
    join,
    read_bool,
    read_enum,
    read_int,
    read_map,
    read_str,
    read_str_list,
)
from podium.domain.validation_limits import check_document, check_name

TASK_TIMEOUT_POLICIES: Final = ("RETRY", "TIME_OUT_WF", "ALERT_ONLY")
RETRY_LOGICS: Final = ("FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF")

# Integer fields and their minimum value.
_INT_MINIMA: Final = (
    ("retryCount", 0),
    ("timeoutSeconds", 0),
    ("totalTimeoutSeconds", 0),
    ("retryDelaySeconds", 0),
    ("backoffScaleFactor", 1),
    ("maxRetryDelaySeconds", 0),
    ("backoffJitterMs", 0),
    ("responseTimeoutSeconds", 1),
    ("pollTimeoutSeconds", 0),
    ("rateLimitPerFrequency", 0),
    ("rateLimitFrequencyInSeconds", 0),
    ("concurrentExecLimit", 0),
)
_STR_FIELDS: Final = ("description", "ownerEmail", "isolationGroupId", "executionNameSpace", "baseType")
_BOOL_FIELDS: Final = ("taskStatusListenerEnabled", "enforceSchema")
_MAP_FIELDS: Final = ("inputTemplate", "inputSchema", "outputSchema")
_STR_LIST_FIELDS: Final = ("inputKeys", "outputKeys", "runtimeMetadata")


def validate_task_def(td: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> list[FieldError]:
    """Every registration rule of Conductor's TaskDef broken by the raw TaskDef JSON ``td`` (empty when valid), and the
    limits of issue #12 (name syntax and length, nesting, expression length, integer range)."""
    errors: Errors = []
    check_document(errors, td, "", limits)
    if errors:
        return errors
    check_task_def(errors, td, "", limits=limits)
    return errors


def check_task_def(
    errors: Errors, td: Any, prefix: str, fallback_name: str | None = None, *, limits: Limits | None = None
) -> None:
    """Append the errors of TaskDef ``td`` found at ``prefix``.

    ``fallback_name`` stands in for a missing name (an inline ``taskDefinition`` of a WorkflowTask
    takes the task's name). With ``limits``, the name must also be a valid task type.
    """
    if not isinstance(td, Mapping):
        errors.append(FieldError(prefix, "TaskDef must be an object", td))
        return
    name = td.get("name")
    if is_blank(name):
        if fallback_name is None:
            errors.append(FieldError(join(prefix, "name"), "TaskDef name cannot be null or empty", name))
        label = f"TaskDef '{fallback_name}'" if fallback_name else "TaskDef"
    else:
        label = f"TaskDef '{name}'"
        if limits is not None and isinstance(name, str):
            check_name(errors, name, join(prefix, "name"), label, limits, task=True)

    values: dict[str, int | None] = {}
    for key, minimum in _INT_MINIMA:
        values[key] = read_int(errors, td, key, prefix, label, minimum=minimum)
    for key in _STR_FIELDS:
        read_str(errors, td, key, prefix, label)
    for key in _BOOL_FIELDS:
        read_bool(errors, td, key, prefix, label)
    for key in _MAP_FIELDS:
        read_map(errors, td, key, prefix, label)
    for key in _STR_LIST_FIELDS:
        read_str_list(errors, td, key, prefix, label)
    read_enum(errors, td, "timeoutPolicy", prefix, label, TASK_TIMEOUT_POLICIES)
    read_enum(errors, td, "retryLogic", prefix, label, RETRY_LOGICS)

    # Cross-field rules use the defaults for absent fields, but skip fields already reported.
    def effective(key: str) -> int | None:
        if td.get(key) is None:
            default = TASK_DEF_DEFAULTS.get(key)
            return default if isinstance(default, int) else None
        return values[key]

    timeout = effective("timeoutSeconds")
    response = effective("responseTimeoutSeconds")
    total = effective("totalTimeoutSeconds")
    if timeout is not None and response is not None and timeout > 0 and response > timeout:
        given = "" if td.get("responseTimeoutSeconds") is not None else " (the default)"
        errors.append(
            FieldError(
                join(prefix, "responseTimeoutSeconds"),
                f"{label}: responseTimeoutSeconds {response}{given} must be <= timeoutSeconds {timeout}",
                response,
            )
        )
    if timeout is not None and total is not None and timeout > 0 and total > 0 and timeout > total:
        errors.append(
            FieldError(
                join(prefix, "timeoutSeconds"),
                f"{label}: timeoutSeconds {timeout} must be <= totalTimeoutSeconds {total}",
                timeout,
            )
        )
