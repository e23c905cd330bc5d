"""The server's log lines: passwords hidden in the start line, JSON lines with the ids a line is about."""

from __future__ import annotations

import json
import logging

import pytest

from podium.logs import JsonLines, about, configure, hide_password, start_line


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://podium:s3cret@db.example:5432/podium", "postgresql://podium:***@db.example:5432/podium"),
        ("postgresql://podium:p%40ss@[::1]:5432/p?sslmode=require", "postgresql://podium:***@[::1]:5432/p?sslmode=require"),
        ("postgresql://db/podium?user=u&password=hunter2&sslmode=off", "postgresql://db/podium?user=u&password=***&sslmode=off"),
        ("host=db user=u password='a b' dbname=p", "host=db user=u password=*** dbname=p"),
        ("postgresql://podium@db/podium", "postgresql://podium@db/podium"),
        ("sqlite:///./podium.db", "sqlite:///./podium.db"),
    ],
)  # fmt: skip
def test_passwords_are_hidden(url: str, shown: str) -> None:
    assert hide_password(url) == shown


def test_start_line_names_version_store_and_addresses() -> None:
    line = start_line("1.2.3", {"host": "0.0.0.0", "port": 9000, "db": "postgresql://u:pw@h/d", "auth": True})
    assert line == (
        "Podium 1.2.3 started: store postgresql://u:***@h/d, UI http://0.0.0.0:9000/, "
        "API http://0.0.0.0:9000/api, docs http://0.0.0.0:9000/docs (auth on)"
    )
    assert "pw" not in line


def _record(msg: str, extra: dict[str, object], exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            import sys

            exc_info = sys.exc_info()
    rec = logging.LogRecord("podium.sweeper", logging.WARNING, __file__, 1, msg, ("wf-1",), exc_info)
    rec.__dict__.update(extra)
    return rec


def test_json_lines_carry_the_ids() -> None:
    line = json.loads(JsonLines().format(_record("decide of %s failed", about("wf-1", "t-9"))))
    assert line["message"] == "decide of wf-1 failed"
    assert (line["workflowId"], line["taskId"], line["level"]) == ("wf-1", "t-9", "WARNING")
    assert line["logger"] == "podium.sweeper"
    assert line["time"].endswith("Z")
    plain = json.loads(JsonLines().format(_record("x %s", {})))
    assert "workflowId" not in plain and "taskId" not in plain
    failed = json.loads(JsonLines().format(_record("x %s", about("wf-1"), exc=True)))
    assert "RuntimeError: boom" in failed["error"] and failed["workflowId"] == "wf-1"


def test_about_leaves_out_missing_ids() -> None:
    assert about(None) == {} and about("w") == {"workflowId": "w"}
    assert about("w", "t") == {"workflowId": "w", "taskId": "t"}


def test_configure_refuses_unknown_formats_and_levels() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with pytest.raises(ValueError, match="log format"):
            configure("info", "xml")
        with pytest.raises(ValueError, match="log level"):
            configure("loud", "text")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
