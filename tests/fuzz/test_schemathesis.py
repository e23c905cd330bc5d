"""Schemathesis against a real server's OpenAPI schema over loopback: no generated request answers 5xx.

Deterministic and time-bounded for CI: hypothesis is derandomized (the same cases every run, no example
database), and each operation gets ``MAX_EXAMPLES`` cases per generation mode (valid bodies and
parameters, then ones that break the schema).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from conftest import ServerProcess

MAX_EXAMPLES = 12
# Long-poll and wait parameters are capped so no case sits out a timeout (they are fuzzed elsewhere).
WAIT_CAPS = {"timeout": 0, "waitForSeconds": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("schemathesis") / "podium.db").start()
    yield srv
    srv.stop()


def _cap_waits(query: dict[str, Any] | None) -> None:
    for key, cap in WAIT_CAPS.items():
        value = (query or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > cap:
            query[key] = cap  # type: ignore[index]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors(server: ServerProcess, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    failures: list[str] = []
    operations = 0
    cases = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                nonlocal cases
                cases += 1
                _cap_waits(case.query)
                response = case.call(base_url=server.url, session=session, timeout=30)
                if response.status_code >= 500:
                    answer = f"{response.status_code} {response.text[:200]}"
                    failures.append(f"{case.method} {case.formatted_path} -> {answer}")

            # Unsatisfiable: nothing of this operation can break its schema (no parameters, no body).
            with contextlib.suppress(Unsatisfiable):
                run()
    print(f"schemathesis {mode}: {cases} cases over {operations} operations")
    assert operations > 50
    assert not failures, f"{len(failures)} of {cases} cases answered 5xx:\n" + "\n".join(failures[:30])
