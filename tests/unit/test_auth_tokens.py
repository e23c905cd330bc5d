"""Keys and tokens (issue #13): secret hashing, the HS256 codec, expiry on an injected clock, revocation."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.domain.auth import Role, decode_token, encode_token, hash_secret, parse_role, verify_secret
from podium.domain.clock import ManualClock
from podium.domain.errors import InvalidArgument, Unauthorized
from podium.service.auth import AuthService
from podium.service.container import open_store
from podium.store.protocols import Store


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'auth.db'}")
    yield s
    s.close()


def service(store: Store, clock: ManualClock, ttl_ms: int = 60_000) -> AuthService:
    auth = AuthService(store, clock, ttl_ms)
    auth.start()
    return auth


def test_secret_hash_is_salted_and_checks() -> None:
    a, b = hash_secret("s3cret"), hash_secret("s3cret")
    assert a != b and "s3cret" not in a
    assert verify_secret("s3cret", a) and verify_secret("s3cret", b)
    assert not verify_secret("other", a)
    assert not verify_secret("s3cret", "garbage")


def test_codec_round_trip_and_tamper() -> None:
    token = encode_token({"sub": "k", "exp": 5}, b"key")
    assert decode_token(token, b"key") == {"sub": "k", "exp": 5}
    with pytest.raises(Unauthorized):
        decode_token(token, b"other key")
    head, body, sig = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"sub": "k", "exp": 10**12}).encode()).rstrip(b"=").decode()
    for bad in (f"{head}.{forged}.{sig}", f"{head}.{body}.{sig[:-2]}", "a.b", "", "x.y.z", f"{head}.{body}."):
        with pytest.raises(Unauthorized) as e:
            decode_token(bad, b"key")
        assert e.value.code == "INVALID_TOKEN"


def test_roles_parse_any_case() -> None:
    assert parse_role("admin") is Role.ADMIN
    with pytest.raises(InvalidArgument):
        parse_role("root")


def test_token_for_a_key_until_it_expires(store: Store) -> None:
    clock = ManualClock()
    auth = service(store, clock, ttl_ms=60_000)
    key = auth.create_key(Role.WORKER, "billing worker", ["charge", "refund"])
    token = auth.issue_token(key.key_id, key.key_secret)
    p = auth.verify(token)
    assert (p.key_id, p.name, p.role, p.task_types) == (key.key_id, "billing worker", Role.WORKER, {"charge", "refund"})
    clock.advance(59_000)
    assert auth.verify(token).key_id == key.key_id  # from the cache
    clock.advance(1_000)
    with pytest.raises(Unauthorized) as e:
        auth.verify(token)
    assert e.value.code == "EXPIRED_TOKEN"


def test_bad_keys_get_no_token(store: Store) -> None:
    auth = service(store, ManualClock())
    key = auth.create_key(Role.VIEWER, None, None)
    for key_id, secret in ((key.key_id, "wrong"), ("nokey", key.key_secret), ("", "")):
        with pytest.raises(Unauthorized):
            auth.issue_token(key_id, secret)


def test_revocation_ends_cached_tokens_at_once(store: Store) -> None:
    auth = service(store, ManualClock())
    key = auth.create_key(Role.ADMIN, "ops", None)
    token = auth.issue_token(key.key_id, key.key_secret)
    auth.verify(token)
    auth.revoke_key(key.key_id)
    with pytest.raises(Unauthorized) as e:
        auth.verify(token)
    assert e.value.code == "INVALID_TOKEN"
    with pytest.raises(Unauthorized):
        auth.issue_token(key.key_id, key.key_secret)


def test_every_node_signs_with_the_stored_secret(store: Store) -> None:
    clock = ManualClock()
    one, two = service(store, clock), service(store, clock)
    key = one.create_key(Role.OPERATOR, "op", None)
    assert two.verify(one.issue_token(key.key_id, key.key_secret)).role is Role.OPERATOR


def test_task_types_only_for_worker_keys(store: Store) -> None:
    auth = service(store, ManualClock())
    with pytest.raises(InvalidArgument):
        auth.create_key(Role.VIEWER, "v", ["t"])
