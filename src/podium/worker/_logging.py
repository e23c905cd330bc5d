"""Structured logs: every record emitted while a task runs carries its workflow and task ids."""

from __future__ import annotations

import json
import logging
import sys
import time

from podium.worker._context import current_task_or_none

_IDS = (("workflow_id", "workflowId"), ("task_id", "taskId"), ("task_type", "taskType"))


class TaskIdsFilter(logging.Filter):
    """Adds ``workflow_id``, ``task_id`` and ``task_type`` to records logged inside a task function."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "task_id", None) is None:
            ctx = current_task_or_none()
            if ctx is not None:
                record.workflow_id = ctx.workflow_id
                record.task_id = ctx.task_id
                record.task_type = ctx.task_type
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids when known, exception text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for attr, key in _IDS:
            value = getattr(record, attr, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines with ``workflowId=... taskId=...`` appended when known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{key}={getattr(record, attr)}" for attr, key in _IDS if getattr(record, attr, None))
        if not ids:
            return line
        head, sep, tail = line.partition("\n")
        return f"{head} [{ids}]{sep}{tail}"


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Log to stderr in ``text`` or ``json`` format, with task ids on every record (CLI use)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(TaskIdsFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO: far too much for a worker that polls all the time.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
