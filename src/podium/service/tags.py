"""Tags on workflow and task definitions (Orkes' TagObject ``{key, type, value}``;
docs/compatibility.md#metadata-apimetadata).

A definition's tags are kept per name (all versions of a workflow share them) in the store's
``definition_tags``; a tag is identified by its key and value, so adding one twice keeps one.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from podium.domain.errors import FieldError, NotFound, ValidationFailed
from podium.service.metadata import MetadataService

Kind = Literal["workflow", "task"]
DEFAULT_TYPE: Final = "METADATA"
MAX_TAGS: Final = 1000
MAX_TEXT: Final = 1024


def get(metadata: MetadataService, kind: Kind, name: str) -> list[dict[str, Any]]:
    _require(metadata, kind, name)
    return metadata.store.get_definition_tags(kind, name)


def replace(metadata: MetadataService, kind: Kind, name: str, raw: Any) -> None:
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise ValidationFailed([FieldError("body", "must be a list of tags {key, value, type}")])
    tags = _unique([_tag(t, f"[{i}]") for i, t in enumerate(raw)])
    _write(metadata, kind, name, tags)


def add(metadata: MetadataService, kind: Kind, name: str, raw: Any) -> None:
    new = [_tag(t, f"[{i}]") for i, t in enumerate(raw)] if isinstance(raw, list) else [_tag(raw, "body")]
    with metadata.store.transaction():
        current = get(metadata, kind, name)
        _write(metadata, kind, name, _unique(current + new))


def remove(metadata: MetadataService, kind: Kind, name: str, raw: Any) -> None:
    gone = [_tag(t, f"[{i}]") for i, t in enumerate(raw)] if isinstance(raw, list) else [_tag(raw, "body")]
    drop = {_identity(t) for t in gone}
    with metadata.store.transaction():
        current = get(metadata, kind, name)
        _write(metadata, kind, name, [t for t in current if _identity(t) not in drop])


def parse(raw: Any) -> list[dict[str, Any]]:
    """Tags from a body: one TagObject or a list of them (400 naming the bad one), each once."""
    return _unique([_tag(t, f"[{i}]") for i, t in enumerate(raw)] if isinstance(raw, list) else [_tag(raw, "body")])


def without(current: list[dict[str, Any]], gone: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``current`` less the tags with the key and value of one in ``gone``."""
    drop = {_identity(t) for t in gone}
    return [t for t in current if _identity(t) not in drop]


def every(metadata: MetadataService) -> list[dict[str, Any]]:
    """Every tag in use on any definition, once each."""
    return _unique([t for tags in metadata.store.all_definition_tags() for t in tags])


def _write(metadata: MetadataService, kind: Kind, name: str, tags: list[dict[str, Any]]) -> None:
    if len(tags) > MAX_TAGS:
        raise ValidationFailed([FieldError("body", f"at most {MAX_TAGS} tags per definition", len(tags))])
    with metadata.store.transaction():
        _require(metadata, kind, name)
        metadata.store.put_definition_tags(kind, name, tags, metadata.clock.now())


def _require(metadata: MetadataService, kind: Kind, name: str) -> None:
    if kind == "task":
        metadata.get_task_def(name)
    elif metadata.workflow_def(name) is None:
        raise NotFound(f"No such workflow found by name: {name}")


def _tag(raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError(path, "a tag must be an object {key, value, type}", raw)])
    key, value, kind = raw.get("key"), raw.get("value"), raw.get("type") or DEFAULT_TYPE
    if not isinstance(key, str) or not key or len(key) > MAX_TEXT:
        raise ValidationFailed([FieldError(f"{path}.key", "key must be a non-empty string", key)])
    if value is not None and (not isinstance(value, (str, int, float, bool)) or len(str(value)) > MAX_TEXT):
        raise ValidationFailed([FieldError(f"{path}.value", "value must be a string or a number", value)])
    if not isinstance(kind, str) or len(kind) > MAX_TEXT:
        raise ValidationFailed([FieldError(f"{path}.type", "type must be a string", kind)])
    return {"key": key, "type": kind, "value": value}


def _identity(tag: dict[str, Any]) -> tuple[str, str]:
    return str(tag.get("key")), str(tag.get("value"))


def _unique(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for t in tags:
        seen.setdefault(_identity(t), t)
    return list(seen.values())
