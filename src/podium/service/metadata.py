"""Task and workflow definitions: validation, defaults, audit fields and a read cache."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from podium.domain.clock import Clock
from podium.domain.defaults import with_task_def_defaults, with_workflow_def_defaults
from podium.domain.definition_uses import in_use_message, task_def_users, workflow_def_users
from podium.domain.errors import Conflict, FieldError, InvalidArgument, NotFound, ValidationFailed
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.domain.model import TaskDef, WorkflowDef
from podium.store.protocols import Store


class MetadataService:
    """Definitions behind one cache; writes go through here so the cache stays true."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        js_syntax_check: Callable[[str], str | None] | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock
        self._js_check = js_syntax_check
        self._task_defs: dict[str, TaskDef | None] = {}
        self._latest: dict[str, WorkflowDef | None] = {}
        self._versions: dict[tuple[str, int], WorkflowDef | None] = {}

    def invalidate(self) -> None:
        """Forget cached definitions (another node may have changed them)."""
        self._task_defs.clear()
        self._latest.clear()
        self._versions.clear()

    # -- task definitions -------------------------------------------------------------------
    def task_def(self, name: str) -> TaskDef | None:
        """The registered definition (defaults applied), cached."""
        try:
            return self._task_defs[name]
        except KeyError:
            td = self.store.get_task_def(name)
            self._task_defs[name] = td
            return td

    def get_task_def(self, name: str) -> TaskDef:
        td = self.task_def(name)
        if td is None:
            raise NotFound(f"No such taskType found by name: {name}")
        return td

    def list_task_defs(self) -> list[TaskDef]:
        return self.store.list_task_defs()

    def register_task_defs(self, defs: Sequence[Any], author: str | None = None) -> None:
        """Create or replace each definition (POST /metadata/taskdefs)."""
        if not isinstance(defs, list) or not defs:
            raise InvalidArgument("Expected a non-empty list of task definitions")
        prepared = [self._prepare_task_def(d, i) for i, d in enumerate(defs)]
        with self.store.transaction():
            for td in prepared:
                existing = self.store.get_task_def(td["name"])
                if existing is not None and "createTime" in existing:
                    td["createTime"] = existing["createTime"]
                _stamp(td, existing, author)
                self.store.put_task_def(td)
        for td in prepared:
            self._task_defs.pop(td["name"], None)

    def validate_task_defs(self, defs: Any) -> None:
        """Check task definitions as registering them would, storing nothing (400 with every error)."""
        if not isinstance(defs, list) or not defs:
            raise InvalidArgument("Expected a non-empty list of task definitions")
        for i, d in enumerate(defs):
            self._prepare_task_def(d, i)

    def update_task_def(self, raw: Any, author: str | None = None) -> None:
        """Replace an existing definition (PUT /metadata/taskdefs); 404 when absent."""
        td = self._prepare_task_def(raw, None)
        with self.store.transaction():
            existing = self.store.get_task_def(td["name"])
            if existing is None:
                raise NotFound(f"No such taskType found by name: {td['name']}")
            td["createTime"] = existing.get("createTime", td["updateTime"])
            _stamp(td, existing, author)
            self.store.put_task_def(td)
        self._task_defs.pop(td["name"], None)

    def delete_task_def(self, name: str) -> None:
        """Delete a task definition; 409 while a workflow definition still names it."""
        with self.store.transaction():
            users = task_def_users(name, self.store.list_workflow_defs())
            if users:
                raise Conflict(in_use_message(f"Task definition {name}", users))
            if not self.store.delete_task_def(name):
                raise NotFound(f"No such taskType found by name: {name}")
        self._task_defs.pop(name, None)

    def _prepare_task_def(self, raw: Any, index: int | None) -> TaskDef:
        from podium.domain.validation import validate_task_def

        if not isinstance(raw, dict):
            where = f"[{index}]" if index is not None else "taskDef"
            raise ValidationFailed([FieldError(where, "A task definition must be a JSON object", raw)])
        td = with_task_def_defaults(cast(TaskDef, _drop_nulls(raw)))
        errors = validate_task_def(td, self.limits)
        if errors:
            if index is not None:
                errors = [FieldError(f"[{index}].{e.path}", e.message, e.invalid_value) for e in errors]
            raise ValidationFailed(errors)
        now = self.clock.now()
        td.setdefault("createTime", now)
        td["updateTime"] = now
        return td

    # -- workflow definitions ---------------------------------------------------------------
    def workflow_def(self, name: str, version: int | None = None) -> WorkflowDef | None:
        """Latest (version None) or a given version, cached."""
        if version is None:
            try:
                return self._latest[name]
            except KeyError:
                wd = self.store.get_workflow_def(name, None)
                self._latest[name] = wd
                return wd
        key = (name, version)
        try:
            return self._versions[key]
        except KeyError:
            wd = self.store.get_workflow_def(name, version)
            self._versions[key] = wd
            return wd

    def get_workflow_def(self, name: str, version: int | None = None) -> WorkflowDef:
        wd = self.workflow_def(name, version)
        if wd is None:
            suffix = f" and version: {version}" if version is not None else ""
            raise NotFound(f"No such workflow found by name: {name}{suffix}")
        return wd

    def list_workflow_defs(self) -> list[WorkflowDef]:
        return self.store.list_workflow_defs()

    def prepare_workflow_def(self, raw: Any) -> WorkflowDef:
        """Validate a definition and apply defaults without storing it."""
        from podium.domain.validation import validate_workflow_def

        if not isinstance(raw, dict):
            raise ValidationFailed([FieldError("workflowDef", "A workflow definition must be a JSON object", raw)])
        wd = with_workflow_def_defaults(cast(WorkflowDef, _drop_nulls(raw)))
        if not wd.get("version"):
            wd["version"] = 1
        if wd.get("failureWorkflow") == "":
            del wd["failureWorkflow"]
        errors = validate_workflow_def(
            wd, js_syntax_check=self._js_check, require_join_after_fork=False, limits=self.limits
        )
        if errors:
            raise ValidationFailed(errors)
        return wd

    def register_workflow_def(self, raw: Any, overwrite: bool, author: str | None = None) -> WorkflowDef:
        """POST /metadata/workflow: 409 when the version exists and ``overwrite`` is off."""
        wd = self.prepare_workflow_def(raw)
        self._store_workflow_defs([wd], overwrite, author)
        return wd

    def update_workflow_defs(self, raws: Any, overwrite: bool = True, author: str | None = None) -> list[str]:
        """PUT /metadata/workflow: create or replace each definition of a list."""
        if not isinstance(raws, list):
            raise InvalidArgument("Expected a list of workflow definitions")
        defs = [self.prepare_workflow_def(r) for r in raws]
        self._store_workflow_defs(defs, overwrite, author)
        return [d["name"] for d in defs]

    def _store_workflow_defs(self, defs: list[WorkflowDef], overwrite: bool, author: str | None = None) -> None:
        now = self.clock.now()
        with self.store.transaction():
            for wd in defs:
                existing = self.store.get_workflow_def(wd["name"], wd["version"])
                if existing is not None:
                    if not overwrite:
                        raise Conflict(f"Workflow with {wd['name']}.{wd['version']} already exists!")
                    wd["createTime"] = existing.get("createTime", now)
                    wd["updateTime"] = now
                else:
                    wd["createTime"] = now
                _stamp(wd, existing, author)
                self.store.put_workflow_def(wd, now)
        for wd in defs:
            self._latest.pop(wd["name"], None)
            self._versions.pop((wd["name"], wd["version"]), None)

    def delete_workflow_def(self, name: str, version: int) -> None:
        """Delete one version; 409 while another definition's SUB_WORKFLOW would start it."""
        with self.store.transaction():
            users = workflow_def_users(name, version, self.store.list_workflow_defs())
            if users:
                raise Conflict(in_use_message(f"Workflow definition {name} v{version}", users))
            if not self.store.delete_workflow_def(name, version):
                raise NotFound(f"No such workflow definition: {name} version: {version}")
        self._latest.pop(name, None)
        self._versions.pop((name, version), None)


def _stamp(doc: TaskDef | WorkflowDef, existing: TaskDef | WorkflowDef | None, author: str | None) -> None:
    """With auth on, the key's name is the definition's author: ``updatedBy`` always, ``createdBy`` for a
    new one (a replaced definition keeps its creator)."""
    if author is None:
        return
    doc["updatedBy"] = author
    created = existing.get("createdBy") if existing is not None else None
    doc["createdBy"] = created or author


def _drop_nulls(d: dict[str, Any]) -> dict[str, Any]:
    """Requests may carry explicit nulls for absent fields; treat them as absent (top level)."""
    return {k: v for k, v in d.items() if v is not None}
