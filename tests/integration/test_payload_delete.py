"""Every payload store forgets a payload on ``delete`` (retention removes a workflow's payloads with it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_external_payloads import S3_KEYS, s3_endpoint  # noqa: F401  (moto's S3 server on loopback)

from podium.store.payloads import FilesystemPayloads, MemoryPayloads
from podium.store.payloads.postgres import PostgresPayloads
from podium.store.payloads.s3 import S3Payloads
from podium.store.protocols import PayloadStore


@pytest.fixture(params=["filesystem", "memory", "postgres", "s3"])
def payloads(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PayloadStore]:
    kind = request.param
    store: PayloadStore
    if kind == "filesystem":
        store = FilesystemPayloads(tmp_path / "payloads")
    elif kind == "memory":
        store = MemoryPayloads()
    elif kind == "postgres":
        store = PostgresPayloads(request.getfixturevalue("pg_url"))
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        store = S3Payloads.from_url(f"s3://podium/deletes?endpoint={endpoint}&region=us-east-1", S3_KEYS)
    try:
        yield store
    finally:
        store.close()


def test_delete_forgets_one_payload_and_only_it(payloads: PayloadStore) -> None:
    payloads.put("workflow/w1/input.json", b'{"a": 1}')
    payloads.put("task/t1/output.json", b'{"b": 2}')
    payloads.delete("workflow/w1/input.json")
    assert payloads.get("workflow/w1/input.json") is None
    assert payloads.get("task/t1/output.json") == b'{"b": 2}'
    payloads.delete("workflow/w1/input.json")  # gone already: nothing happens
    payloads.delete("never/stored.json")
