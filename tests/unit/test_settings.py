"""Settings are parsed from the mapping they are given, never from the process environment."""

from __future__ import annotations

import pytest

from podium.domain.settings import Settings


def test_defaults_without_variables() -> None:
    s = Settings.from_env({}, "node-a")
    assert s == Settings(server_id="node-a")
    assert (s.db, s.port, s.max_payload_bytes, s.http_allow) == ("sqlite:///./podium.db", 8080, 5 * 2**20, [])


def test_every_variable_is_read_from_the_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_PORT", "1")  # the process environment is not consulted
    env = {
        "PODIUM_DB": "postgresql://x/y",
        "PODIUM_HOST": "0.0.0.0",
        "PODIUM_PORT": "9090",
        "PODIUM_MAX_PAYLOAD_BYTES": "10",
        "PODIUM_SWEEP_INTERVAL_MS": "11",
        "PODIUM_SYSTEM_TASK_INTERVAL_MS": "12",
        "PODIUM_POLL_DATA_FLUSH_MS": "13",
        "PODIUM_QUEUE_COMPACT_MS": "0",
        "PODIUM_SERVER_ID": "explicit",
        "PODIUM_HTTP_ALLOW": " a.example , ,10.0.0.0/8",
    }
    assert Settings.from_env(env, "node-a") == Settings(
        db="postgresql://x/y",
        host="0.0.0.0",
        port=9090,
        max_payload_bytes=10,
        sweep_interval_ms=11,
        system_task_interval_ms=12,
        poll_data_flush_ms=13,
        queue_compact_ms=0,
        server_id="explicit",
        http_allow=["a.example", "10.0.0.0/8"],
    )


def test_empty_numbers_fall_back_to_the_defaults() -> None:
    assert Settings.from_env({"PODIUM_PORT": ""}, "n").port == 8080
