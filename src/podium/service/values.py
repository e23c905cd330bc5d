"""Secrets and environment values (issue #14): ``/api/secrets``, ``/api/environment`` and what they feed.

- **Environment values** are plain strings; ``${workflow.env.NAME}`` reads them at schedule time from the
  decider's ``env_vars``, a copy kept here and replaced on every change (here at once, on other nodes on
  the peer notification: ``reload``).
- **Secrets** are stored sealed: AES-256-GCM under the server's key, a fresh nonce per write, the secret's
  name as associated data (a sealed value copied under another name does not open). The plain values are
  kept in this process's memory only, so handing a task to a worker reads no database.
- Stored task input keeps ``${workflow.secrets.NAME}`` literally (``expr/resolve.py``); ``reveal`` puts the
  values into the copy of a task that poll hands its worker, nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import secrets as _random
from collections.abc import Callable
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from podium.domain.clock import Clock
from podium.domain.errors import Conflict, InvalidArgument, NotFound
from podium.domain.model import Task
from podium.expr.secrets import NAME, referenced_secrets, reveal
from podium.service.engine import Engine
from podium.store.protocols import Store

log = logging.getLogger("podium.values")

KeySource = Callable[[], bytes | None]
_VERSION = "v1:"
NO_KEY = (
    "Secrets need an encryption key: set PODIUM_SECRETS_KEY to 32 random bytes, base64 "
    '(python -c "import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())")'
)


def parse_key(text: str) -> bytes:
    """A 32-byte key from its base64 (standard or URL-safe) or hex spelling."""
    text = text.strip()
    candidates: list[bytes] = []
    if len(text) == 64:
        with contextlib.suppress(ValueError):
            candidates.append(bytes.fromhex(text))
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)))
    for key in candidates:
        if len(key) == 32:
            return key
    raise ValueError("PODIUM_SECRETS_KEY must be 32 bytes, written in base64 or hex")


def key_source(configured: str | None, db_url: str) -> KeySource:
    """Where the secrets key comes from: PODIUM_SECRETS_KEY; else, for a SQLite file, a key made on first
    use into ``<database>.secrets-key`` beside it (mode 0600); else (PostgreSQL) none, and writes refuse."""
    if configured:
        key = parse_key(configured)
        return lambda: key
    prefix = "sqlite:///"
    if not db_url.startswith(prefix) or ":memory:" in db_url:
        return lambda: None
    path = Path(db_url[len(prefix) :].partition("?")[0] + ".secrets-key")
    held: list[bytes] = []

    def from_file() -> bytes | None:
        if held:
            return held[0]
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(base64.urlsafe_b64encode(_random.token_bytes(32)).decode() + "\n")
        held.append(parse_key(path.read_text()))
        return held[0]

    return from_file


def seal(key: bytes, name: str, value: str) -> str:
    nonce = _random.token_bytes(12)
    box = AESGCM(key).encrypt(nonce, value.encode("utf-8"), name.encode("utf-8"))
    return _VERSION + base64.b64encode(nonce + box).decode("ascii")


def unseal(key: bytes, name: str, sealed: str) -> str:
    raw = base64.b64decode(sealed.removeprefix(_VERSION))
    return AESGCM(key).decrypt(raw[:12], raw[12:], name.encode("utf-8")).decode("utf-8")


def check_name(name: str, what: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidArgument(f"A {what} name is 1 to 255 letters, digits, '_' or '-' (not {name!r})")
    return name


def parse_value(raw: bytes, what: str) -> str:
    """A value as the SDKs send it: a JSON string (the JS SDK), or a JSON string's inside (conductor-python
    strips the quotes); any other text is taken as it is."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidArgument(f"A {what} value must be UTF-8 text") from e
    # conductor-python sends ``json.dumps(value).strip('"')``: the JSON escapes without the quotes (and,
    # for a value ending in a quote, without that quote's closing one); quoting it again gives the value.
    candidates = [text] if text.startswith('"') else [f'"{text}"', f'"{text}""']
    for candidate in candidates:
        try:
            parsed = orjson.loads(candidate)
        except orjson.JSONDecodeError:
            continue
        if isinstance(parsed, str):
            text = parsed
        break
    if text == "":
        raise InvalidArgument(f"A {what} value may not be empty")
    return text


class ValuesService:
    """The use cases of ``/api/secrets`` and ``/api/environment``, and the caches the engine reads."""

    def __init__(self, store: Store, clock: Clock, engine: Engine, key: KeySource) -> None:
        self.store = store
        self.clock = clock
        self.engine = engine
        self._key = key
        self._secrets: dict[str, str] = {}  # name -> plain value (names whose value could not be opened: absent)
        self._names: frozenset[str] = frozenset()
        self.reload()

    # -- caches -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read every environment value and secret again (start-up, a change here or on another node)."""
        self.engine.env.env_vars = self.store.list_env_values()
        sealed = self.store.list_secrets()
        plain: dict[str, str] = {}
        key = self._key() if sealed else None
        for name, box in sealed.items():
            if key is None:
                log.warning("secret %s is stored but the server has no secrets key: not available to tasks", name)
                continue
            try:
                plain[name] = unseal(key, name, box)
            except (InvalidTag, ValueError, binascii.Error):
                log.warning("secret %s does not open with this server's secrets key: not available to tasks", name)
        self._secrets = plain
        self._names = frozenset(sealed)

    def _write_key(self) -> bytes:
        key = self._key()
        if key is None:
            raise Conflict(NO_KEY)
        return key

    # -- secrets ------------------------------------------------------------------------------
    def put_secret(self, name: str, value: str) -> None:
        check_name(name, "secret")
        box = seal(self._write_key(), name, value)
        with self.engine.unit() as unit:
            unit.store.put_secret(name, box, self.clock.now())
            unit.on_commit(self.reload)

    def get_secret(self, name: str) -> str:
        box = self.store.get_secret(name)
        if box is None:
            raise NotFound(f"No such secret: {name}")
        key = self._key()
        if key is None:
            raise Conflict(NO_KEY)
        try:
            return unseal(key, name, box)
        except (InvalidTag, ValueError, binascii.Error) as e:
            raise Conflict(f"Secret {name} does not open with this server's secrets key") from e

    def secret_names(self) -> list[str]:
        return sorted(self.store.list_secrets())

    def secret_exists(self, name: str) -> bool:
        return self.store.get_secret(name) is not None

    def delete_secret(self, name: str) -> None:
        with self.engine.unit() as unit:
            if not unit.store.delete_secret(name):
                raise NotFound(f"No such secret: {name}")
            unit.on_commit(self.reload)

    # -- environment values -------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        return self.store.list_env_values()

    def env_value(self, name: str) -> str:
        value = self.store.list_env_values().get(name)
        if value is None:
            raise NotFound(f"No such environment value: {name}")
        return value

    def put_env_value(self, name: str, value: str) -> None:
        check_name(name, "environment value")
        with self.engine.unit() as unit:
            unit.store.put_env_value(name, value, self.clock.now())
            unit.on_commit(self.reload)

    def delete_env_value(self, name: str) -> None:
        with self.engine.unit() as unit:
            if not unit.store.delete_env_value(name):
                raise NotFound(f"No such environment value: {name}")
            unit.on_commit(self.reload)

    # -- the worker's copy --------------------------------------------------------------------
    def reveal(self, tasks: list[Task]) -> list[Task]:
        """``tasks`` as poll hands them out: a task whose definition names secrets gets a copy with their
        values in its input; the stored records (and every other view of them) keep the references."""
        if not self._names:
            return tasks
        out: list[Task] = []
        for task in tasks:
            wt = task.get("workflowTask") or {}
            allowed = referenced_secrets(wt.get("inputParameters"))
            td = self.engine.metadata.task_def(task.get("taskDefName") or task["taskType"])
            if td is not None and td.get("inputTemplate"):
                referenced_secrets(td.get("inputTemplate"), allowed)
            if allowed:
                copy = dict(task)
                copy["inputData"] = reveal(task.get("inputData") or {}, self._secrets, allowed)
                task = copy  # type: ignore[assignment]
            out.append(task)
        return out
