"""Access control use cases: make, list and revoke keys; exchange a key for a token; verify a token.

A token is verified once per token string and the verdict kept (a bounded LRU), so a request pays a
dictionary lookup, an expiry comparison and a set lookup: no signature check and no database read.
Revocation is a set of key ids held in memory, reloaded when keys change here and, on PostgreSQL,
when another node says so (``reload_revoked`` hangs on the peer notification of definition changes).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from podium.domain.auth import (
    KeyRecord,
    Principal,
    Role,
    decode_token,
    encode_token,
    hash_secret,
    new_key_id,
    new_key_secret,
    principal_of,
    token_claims,
    verify_secret,
)
from podium.domain.clock import Clock
from podium.domain.errors import InvalidArgument, NotFound, Unauthorized
from podium.store.protocols import Store

log = logging.getLogger("podium.auth")

SIGNING_SECRET = "token_signing"
DEFAULT_TOKEN_TTL_MS = 60 * 60 * 1000
_CACHE_SIZE = 10_000
_NAME_LENGTH = 255


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: the only time its secret is seen."""

    key_id: str
    key_secret: str
    role: Role
    name: str
    task_types: list[str]


def create_key(
    store: Store, now: int, role: Role, name: str | None = None, task_types: list[str] | None = None
) -> NewKey:
    """Make a key (no server needed: the CLI calls this on the store directly)."""
    types = sorted({t.strip() for t in task_types or [] if t.strip()})
    if types and role is not Role.WORKER:
        raise InvalidArgument("taskTypes limit WORKER keys only")
    key_id = new_key_id()
    name = (name or "").strip() or f"key-{key_id}"
    if len(name) > _NAME_LENGTH:
        raise InvalidArgument(f"name is longer than {_NAME_LENGTH} characters")
    secret = new_key_secret()
    with store.transaction():
        store.insert_key(KeyRecord(key_id, name, role, types, hash_secret(secret), now))
    return NewKey(key_id, secret, role, name, types)


def revoke_key(store: Store, key_id: str, now: int) -> None:
    with store.transaction():
        if not store.revoke_key(key_id, now) and store.get_key(key_id) is None:
            raise NotFound(f"No such key: {key_id}")


class AuthService:
    """Tokens for keys, and the verdict on a token, for a server with auth on."""

    def __init__(self, store: Store, clock: Clock, token_ttl_ms: int = DEFAULT_TOKEN_TTL_MS) -> None:
        self.store = store
        self.clock = clock
        self.ttl_ms = token_ttl_ms
        self._signing_key = b""
        self._revoked: frozenset[str] = frozenset()
        self._verdicts: OrderedDict[str, Principal] = OrderedDict()
        self._lock = threading.Lock()
        self.enabled = False

    def start(self) -> None:
        """Read (or make, the first time on this database) the signing secret and the revoked keys."""
        with self.store.transaction():
            secret = self.store.server_secret(SIGNING_SECRET, secrets.token_hex(32))
        self._signing_key = bytes.fromhex(secret)
        self.enabled = True
        self.reload_revoked()

    def reload_revoked(self) -> None:
        """Read the revoked key ids again (after a revocation here or on another node)."""
        if not self.enabled:
            return
        revoked = frozenset(self.store.revoked_key_ids())
        with self._lock:
            self._revoked = revoked
            for token in [t for t, p in self._verdicts.items() if p.key_id in revoked]:
                del self._verdicts[token]

    # -- keys ---------------------------------------------------------------------------------
    def create_key(self, role: Role, name: str | None, task_types: list[str] | None) -> NewKey:
        return create_key(self.store, self.clock.now(), role, name, task_types)

    def list_keys(self) -> list[KeyRecord]:
        return self.store.list_keys()

    def revoke_key(self, key_id: str) -> None:
        revoke_key(self.store, key_id, self.clock.now())
        self.reload_revoked()

    # -- tokens -------------------------------------------------------------------------------
    def issue_token(self, key_id: str, key_secret: str) -> str:
        key = self.store.get_key(key_id) if key_id else None
        if key is None or key.revoked_time is not None or not verify_secret(key_secret, key.secret_hash):
            log.info("token refused for key %r", key_id[:64])
            raise Unauthorized("Invalid key id or secret")
        claims = token_claims(key.key_id, key.name, key.role, key.task_types, self.clock.now(), self.ttl_ms)
        return encode_token(claims, self._signing_key)

    def verify(self, token: str) -> Principal:
        """The principal of a good token; ``Unauthorized`` (INVALID_TOKEN / EXPIRED_TOKEN) otherwise."""
        principal = self._verdicts.get(token)
        if principal is not None:
            with self._lock:
                if token in self._verdicts:
                    self._verdicts.move_to_end(token)
        else:
            principal = principal_of(decode_token(token, self._signing_key))
            with self._lock:
                self._verdicts[token] = principal
                if len(self._verdicts) > _CACHE_SIZE:
                    self._verdicts.popitem(last=False)
        if principal.key_id in self._revoked:
            raise Unauthorized("Token revoked")
        if self.clock.now() >= principal.expires_at:
            raise Unauthorized("Token expired", code="EXPIRED_TOKEN")
        return principal

    def task_type_of(self, task_id: str) -> str | None:
        """The task type of a task (the check of a WORKER key limited to some types), None if unknown."""
        task = self.store.get_task(task_id)
        return None if task is None else str(task["taskType"])

    def task_type_by_ref(self, workflow_id: str, task_ref: str) -> str | None:
        for task in reversed(self.store.get_tasks(workflow_id)):
            if task.get("referenceTaskName") == task_ref:
                return str(task["taskType"])
        return None
