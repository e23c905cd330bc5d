"""Issue #16's settings: logging, access lines and retention from PODIUM_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.api.access_log import AccessLog
from podium.api.app import create_server
from podium.domain.settings import Settings, retention_seconds


def test_defaults_and_variables() -> None:
    d = Settings.from_env({}, "n1")
    assert (d.log_level, d.log_format, d.access_log, d.retention_seconds) == ("info", "text", False, 0)
    s = Settings.from_env(
        {
            "PODIUM_LOG_LEVEL": "debug",
            "PODIUM_LOG_FORMAT": "json",
            "PODIUM_ACCESS_LOG": "on",
            "PODIUM_RETENTION": "30d",
            "PODIUM_RETENTION_INTERVAL_MS": "5000",
            "PODIUM_RETENTION_BATCH": "7",
        },
        "n1",
    )
    assert (s.log_level, s.log_format, s.access_log) == ("debug", "json", True)
    assert (s.retention_seconds, s.retention_interval_ms, s.retention_batch) == (30 * 86400, 5000, 7)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", 0), ("0", 0), ("forever", 0), ("off", 0), ("3600", 3600), ("12h", 43200), ("1d 12h", 129600)],
)
def test_retention_values(text: str, seconds: int) -> None:
    assert retention_seconds(text) == seconds


def test_unreadable_retention_is_refused() -> None:
    with pytest.raises(ValueError):
        retention_seconds("a while")


def test_access_lines_cost_nothing_unless_asked_for(tmp_path: Path) -> None:
    off = create_server(Settings(db=f"sqlite:///{tmp_path / 'a.db'}", run_background=False))
    on = create_server(Settings(db=f"sqlite:///{tmp_path / 'b.db'}", run_background=False, access_log=True))
    assert not isinstance(off, AccessLog), "no wrapper runs per request when access lines are off"
    assert isinstance(on, AccessLog)
