"""External payload storage (docs/architecture.md#external-payloads): payloads
over Conductor's thresholds, kept by path.

The decider and the services mark a record whose input or output is over its threshold with a
path (``domain.payloads``) and keep the full value in memory; this service writes the value under
that path before the record is written, and puts stored values back into records loaded from the
database before anything decides on them, so ``${...}`` always sees whole values.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import orjson

from podium.domain.errors import Conflict, Forbidden, InvalidArgument, NotFound
from podium.domain.limits import Limits
from podium.domain.model import EXTERNAL_FLAG, Task, Workflow
from podium.domain.payloads import (
    TASK_FIELDS,
    WORKFLOW_FIELDS,
    Operation,
    PayloadType,
    check_path,
    mark_external,
    new_path,
    size_key,
)
from podium.domain.validation_limits import payload_size
from podium.store.protocols import PayloadStore

# How long a pre-signed URL handed to a client stays good.
LOCATION_EXPIRES_S = 3600


class PayloadService:
    """Reads and writes the payload store on behalf of the engine and the API.

    A location served by Podium itself (``/api/payloads/{path}``) carries its own credential, as a
    pre-signed S3 URL does: ``expires`` (epoch ms) and ``signature``, an HMAC of the method, the path
    and the expiry under a server-wide secret (``url_key``, the same on every node). So a client may
    GET or PUT it without a token (Conductor's Java client sends none), and a page elsewhere cannot
    forge one.
    """

    def __init__(
        self,
        store: PayloadStore,
        limits: Limits,
        *,
        url_key: Callable[[], bytes] | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        self.store = store
        self.limits = limits
        self._url_key_source = url_key or (lambda: secrets.token_bytes(32))
        self._url_key: bytes | None = None
        self._now = now or (lambda: int(time.time() * 1000))

    def _key(self) -> bytes:
        if self._url_key is None:
            self._url_key = self._url_key_source()
        return self._url_key

    def _signature(self, method: str, path: str, expires: int) -> str:
        return hmac.new(self._key(), f"{method}\n{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def check_signature(self, method: str, path: str, expires: str | None, signature: str | None) -> None:
        """Refuse a request to ``/api/payloads/{path}`` whose URI was not handed out by a location call."""
        if method == "HEAD":
            method = "GET"
        if not expires or not signature or not expires.isdigit():
            raise Forbidden("A payload URI needs the expires and signature of an externalstoragelocation answer")
        if not hmac.compare_digest(self._signature(method, path, int(expires)), signature):
            raise Forbidden("The payload URI's signature does not match (ask externalstoragelocation for a new one)")
        if int(expires) < self._now():
            raise Forbidden("The payload URI has expired (ask externalstoragelocation for a new one)")

    # -- values ---------------------------------------------------------------------------------
    def write(self, path: str, value: Any) -> None:
        self.store.put(path, orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))

    def write_all(self, payloads: Iterable[tuple[str, Any]]) -> None:
        for path, value in payloads:
            self.write(path, value)

    def read(self, path: str) -> Any:
        """The JSON value stored at ``path`` (a 400 for a path that holds nothing, as Conductor answers)."""
        raw = self.store.get(check_path(path))
        if raw is None:
            raise InvalidArgument(f"No external payload stored at path: {path}")
        return orjson.loads(raw)

    def externalize(self, record: Mapping[str, Any], path_key: str, kind: PayloadType, value: Any, size: int) -> str:
        """Write ``value`` now under a new path and mark ``record`` with it."""
        path = new_path(kind, str(uuid.uuid4()))
        self.write(path, value)
        mark_external(record, path_key, path, size)
        return path

    def adopt(self, record: Mapping[str, Any], path_key: str, path: str, max_bytes: int) -> Any:
        """A value a client stored itself and named by path: read it (within ``max_bytes``) and mark ``record``."""
        raw = self.store.get(check_path(path))
        if raw is None:
            raise InvalidArgument(f"No external payload stored at path: {path}")
        if len(raw) > max_bytes:
            raise InvalidArgument(
                f"The external payload at {path} is {len(raw)} bytes, over the permissible limit: {max_bytes} bytes"
            )
        value = orjson.loads(raw)
        if not isinstance(value, dict):
            raise InvalidArgument(f"The external payload at {path} is not a JSON object")
        mark_external(record, path_key, path, payload_size(value))
        return value

    # -- records --------------------------------------------------------------------------------
    def materialise(self, wf: Workflow, tasks: Iterable[Task]) -> None:
        """Put stored values back into records read from the database (a no-op for most workflows)."""
        if not wf.get(EXTERNAL_FLAG):
            return
        self._fill(wf, WORKFLOW_FIELDS)
        for t in tasks:
            self._fill(t, TASK_FIELDS)

    def materialise_task(self, task: Task) -> None:
        self._fill(task, TASK_FIELDS)

    def _fill(self, record: Mapping[str, Any], pairs: tuple[tuple[str, str], ...]) -> None:
        d = cast(dict[str, Any], record)
        for path_key, field in pairs:
            path = d.get(path_key)
            # only paths Podium stored or read itself (they carry a size); a worker's own is left alone
            if path and not d.get(field) and d.get(size_key(path_key)) is not None:
                raw = self.store.get(path)
                if raw is not None:
                    d[field] = orjson.loads(raw)

    # -- locations (GET .../externalstoragelocation) ---------------------------------------------
    def location(
        self, payload_type: PayloadType, operation: Operation, path: str | None, base_url: str
    ) -> dict[str, str]:
        """Conductor's ExternalStorageLocation ``{uri, path}``: where a client reads or writes a payload.

        WRITE without a path gets a new path; READ needs one. The URI is the store's own (an S3
        pre-signed URL) or Podium's signed ``/api/payloads/{path}``, which takes GET and PUT.
        """
        if path:
            path = check_path(path)
            if operation is Operation.WRITE and self.store.get(path) is not None:
                raise Conflict(f"An external payload is already stored at path: {path} (WRITE without a path)")
        elif operation is Operation.WRITE:
            path = new_path(payload_type, str(uuid.uuid4()))
        else:
            raise InvalidArgument("path is required to READ an external payload")
        if operation is Operation.READ and self.store.get(path) is None:
            raise NotFound(f"No external payload stored at path: {path}")
        write = operation is Operation.WRITE
        uri = self.store.direct_uri(path, write, LOCATION_EXPIRES_S)
        if uri is None:
            expires = self._now() + LOCATION_EXPIRES_S * 1000
            signature = self._signature("PUT" if write else "GET", path, expires)
            uri = f"{base_url.rstrip('/')}/api/payloads/{path}?expires={expires}&signature={signature}"
        return {"uri": uri, "path": path}

    @property
    def largest_payload(self) -> int:
        """The largest payload any record may have (the biggest of the max payload limits)."""
        lim = self.limits
        return max(lim.workflow_input_bytes, lim.task_input_bytes, lim.task_output_bytes, lim.workflow_output_bytes)

    def upload(self, path: str, body: bytes) -> None:
        """A client's PUT of a payload through Podium: one JSON document within the largest payload limit."""
        check_path(path)
        largest = self.largest_payload
        if len(body) > largest:
            raise InvalidArgument(f"The payload is {len(body)} bytes, over the permissible limit: {largest} bytes")
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidArgument("An external payload must be a JSON document") from None
        self.write(path, value)

    def download(self, path: str) -> bytes:
        raw = self.store.get(check_path(path))
        if raw is None:
            raise NotFound(f"No external payload stored at path: {path}")
        return raw
