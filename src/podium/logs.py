"""The server's log output: text or JSON lines, ids of the workflow and task a line is about, the start line.

Every module logs with the standard ``logging`` module. A line about a workflow or task passes
``extra=about(workflow_id, task_id)``; the JSON format writes those as ``workflowId`` / ``taskId`` fields
(the text format leaves them in the message, where they already are).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit

LogFormat = Literal["text", "json"]
FORMATS: Final = ("text", "json")
# Record attributes the JSON format copies when a line carries them (``extra=``).
_FIELDS: Final = ("workflowId", "taskId", "method", "path", "status", "durationMs", "client")


def about(workflow_id: str | None, task_id: str | None = None) -> dict[str, str]:
    """``extra=`` for a log line about a workflow (and one of its tasks)."""
    out: dict[str, str] = {}
    if workflow_id:
        out["workflowId"] = workflow_id
    if task_id:
        out["taskId"] = task_id
    return out


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601 with milliseconds), level, logger, message, the ids
    and request fields the line carries, and ``error`` with the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        attrs = record.__dict__
        for name in _FIELDS:
            value = attrs.get(name)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "info", fmt: str = "text") -> None:
    """Send every logger's lines at ``level`` or above to stderr in ``fmt`` (``text`` or ``json``).

    uvicorn's own loggers stay at warning unless ``level`` is debug: the server writes its own start and
    stop lines, and its access lines (``podium.access``) only when asked for.
    """
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(_TEXT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
        lg.setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))


def hide_password(url: str) -> str:
    """``url`` with any password replaced by ``***`` (``user:pw@`` in a URL, ``password=`` in a query
    string or a keyword connection string)."""
    out = url
    parts = urlsplit(url)
    if parts.password is not None:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        netloc = userinfo.split(":", 1)[0] + ":***@" + hostport
        out = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return re.sub(r"(?i)(password\s*=\s*)('[^']*'|[^&\s]*)", r"\1***", out)


def start_line(version: str, settings_view: Mapping[str, Any]) -> str:
    """The one line a server writes once it listens: version, store, and where the UI, API and docs are."""
    host = str(settings_view["host"])
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{settings_view['port']}"
    auth = "on" if settings_view.get("auth") else "off"
    return (
        f"Podium {version} started: store {hide_password(str(settings_view['db']))}, "
        f"UI {base}/, API {base}/api, docs {base}/docs (auth {auth})"
    )
