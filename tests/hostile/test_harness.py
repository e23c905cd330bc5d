"""The harness itself: a quiet server passes the probe, and the normal workflow runs."""

from __future__ import annotations

import httpx

from conftest import ServerProcess
from hostile.harness import HealthProbe, assert_normal_on_time


def test_quiet_server_passes_the_probe_and_runs_the_normal_workflow(
    hostile_server: ServerProcess, hapi: httpx.Client
) -> None:
    with HealthProbe(hostile_server.url) as probe:
        assert_normal_on_time(hapi)
    assert probe.max_wait < 0.25
