"""Podium's own payload URIs: signed for one method and path, good until they expire (injected clock)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from podium.domain.clock import ManualClock
from podium.domain.errors import Conflict, Forbidden
from podium.domain.limits import DEFAULT_LIMITS
from podium.domain.payloads import Operation, PayloadType
from podium.service.payloads import LOCATION_EXPIRES_S, PayloadService
from podium.store.payloads import MemoryPayloads


def _service(clock: ManualClock, key: bytes = b"k" * 32) -> PayloadService:
    return PayloadService(MemoryPayloads(), DEFAULT_LIMITS, url_key=lambda: key, now=clock.now)


def _query(uri: str) -> tuple[str, str, str]:
    parts = urlsplit(uri)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts.path.removeprefix("/api/payloads/"), q["expires"], q["signature"]


def test_a_uri_is_good_until_it_expires() -> None:
    clock = ManualClock()
    svc = _service(clock)
    loc = svc.location(PayloadType.TASK_OUTPUT, Operation.WRITE, None, "http://h:1/")
    path, expires, sig = _query(loc["uri"])
    assert path == loc["path"] and int(expires) == clock.now() + LOCATION_EXPIRES_S * 1000
    svc.check_signature("PUT", path, expires, sig)
    clock.advance(LOCATION_EXPIRES_S * 1000)
    svc.check_signature("PUT", path, expires, sig)  # the last good millisecond
    clock.advance(1)
    with pytest.raises(Forbidden, match="expired"):
        svc.check_signature("PUT", path, expires, sig)


def test_a_uri_names_one_method_path_and_expiry_under_one_key() -> None:
    clock = ManualClock()
    svc = _service(clock)
    svc.upload("task/input/a.json", b'{"a": 1}')
    loc = svc.location(PayloadType.TASK_INPUT, Operation.READ, "task/input/a.json", "http://h:1")
    path, expires, sig = _query(loc["uri"])
    svc.check_signature("GET", path, expires, sig)
    svc.check_signature("HEAD", path, expires, sig)
    for method, p, e, s in [
        ("PUT", path, expires, sig),
        ("GET", "task/input/b.json", expires, sig),
        ("GET", path, str(int(expires) + 1), sig),
        ("GET", path, expires, None),
        ("GET", path, "soon", sig),
    ]:
        with pytest.raises(Forbidden):
            svc.check_signature(method, p, e, s)
    with pytest.raises(Forbidden):  # another server's key
        _service(clock, b"x" * 32).check_signature("GET", path, expires, sig)
    with pytest.raises(Conflict):  # a WRITE location never names a stored payload
        svc.location(PayloadType.TASK_INPUT, Operation.WRITE, "task/input/a.json", "http://h:1")
