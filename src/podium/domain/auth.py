"""Access control, the pure part: roles, application keys, secret hashing and the signed token codec.

A key is an id and a secret; the secret is stored only as a salted scrypt hash. ``POST /api/token``
exchanges a key for a token: an HS256 JWT (RFC 7519) signed with the server's secret, which every node
of a cluster reads from the database, so a token from one node is good on all of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec

from podium.domain.errors import InvalidArgument, Unauthorized


class Role(StrEnum):
    """What a key may do (see ``api/access.py`` for the endpoint families each role reaches)."""

    ADMIN = "ADMIN"
    OPERATOR = "OPERATOR"
    WORKER = "WORKER"
    VIEWER = "VIEWER"


def parse_role(raw: str) -> Role:
    """A role from its name, any case; a 400 naming the roles otherwise."""
    try:
        return Role(raw.strip().upper())
    except ValueError:
        raise InvalidArgument(f"Unknown role {raw!r}: one of {', '.join(r.value for r in Role)}") from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for. ``task_types`` is empty when the key is not limited."""

    key_id: str
    name: str
    role: Role
    task_types: frozenset[str]
    expires_at: int  # epoch ms

    def may_work_on(self, task_type: str) -> bool:
        return not self.task_types or task_type in self.task_types


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """An application key as stored (never with its secret, only the secret's hash)."""

    key_id: str
    name: str
    role: Role
    task_types: list[str]
    secret_hash: str
    created_time: int
    revoked_time: int | None = None


# -- secrets: salted scrypt (the standard library's; parameters kept in the stored string) ----------------
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def new_key_id() -> str:
    return secrets.token_hex(8)


def new_key_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex), slow on purpose: a stolen table does not give the secrets away."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


# -- tokens: a small HS256 JWT codec -------------------------------------------------------------------
_HEADER = msgspec.json.encode({"alg": "HS256", "typ": "JWT"})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_token(claims: dict[str, Any], signing_key: bytes) -> str:
    signing_input = _b64(_HEADER) + "." + _b64(msgspec.json.encode(claims))
    signature = hmac.new(signing_key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def decode_token(token: str, signing_key: bytes) -> dict[str, Any]:
    """The claims of a token signed with ``signing_key``; ``Unauthorized`` if it is malformed or tampered.
    Expiry is the caller's to check (it holds the clock)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthorized("Invalid token")
    signing_input = (parts[0] + "." + parts[1]).encode("ascii", "replace")
    expected = hmac.new(signing_key, signing_input, hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(parts[2]), expected):
            raise Unauthorized("Invalid token")
        header = msgspec.json.decode(_unb64(parts[0]))
        claims = msgspec.json.decode(_unb64(parts[1]))
    except (ValueError, msgspec.DecodeError):
        raise Unauthorized("Invalid token") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise Unauthorized("Invalid token")
    return claims


def token_claims(key_id: str, name: str, role: Role, task_types: list[str], now_ms: int, ttl_ms: int) -> dict[str, Any]:
    iat = now_ms // 1000
    return {
        "sub": key_id,
        "name": name,
        "role": role.value,
        "taskTypes": task_types,
        "iat": iat,
        "exp": (now_ms + ttl_ms) // 1000,
    }


def principal_of(claims: dict[str, Any]) -> Principal:
    """The principal a verified token's claims name; ``Unauthorized`` if they are not ours."""
    try:
        return Principal(
            key_id=str(claims["sub"]),
            name=str(claims["name"]),
            role=Role(claims["role"]),
            task_types=frozenset(str(t) for t in claims.get("taskTypes") or ()),
            expires_at=int(claims["exp"]) * 1000,
        )
    except (KeyError, ValueError, TypeError):
        raise Unauthorized("Invalid token") from None
