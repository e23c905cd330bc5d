"""Definition validation: TaskDef, WorkflowDef and EventHandler registration rules (docs/reference.md; Conductor's
event handlers).

Pure functions over raw decoded JSON; each returns the list of FieldErrors (empty when valid), ready
for ErrorResponse.validationErrors. Wrong JSON types are reported, never raised.
"""

from __future__ import annotations

from podium.domain.validation_base import expression_roots
from podium.domain.validation_events import validate_event_handler
from podium.domain.validation_taskdef import validate_task_def
from podium.domain.validation_workflow import SPECIAL_ROOTS, validate_workflow_def

__all__ = [
    "SPECIAL_ROOTS",
    "expression_roots",
    "validate_event_handler",
    "validate_task_def",
    "validate_workflow_def",
]
