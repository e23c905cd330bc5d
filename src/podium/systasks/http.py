"""The HTTP system task executor (docs/reference.md#http), on a shared ``httpx.AsyncClient``.

The request comes from input ``http_request`` (or the whole input): ``uri``, ``method``, ``headers``,
``body``, ``contentType``, ``accept``, ``connectionTimeOut`` / ``readTimeOut`` (ms). Redirects are
followed by hand so that every hop passes the host policy.

A call has a total deadline: ``connectionTimeOut + readTimeOut`` (redirects included), at most
``Limits.http_task_deadline_ms`` (httpx's timeouts are per read, so a far end that sends one byte a
second would otherwise hold the task for ever). The answer may be at most ``Limits.task_output_bytes``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final
from urllib.parse import urlencode

import httpx
import orjson

from podium.domain import statuses as st
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.domain.model import JSON
from podium.systasks.connector import GuardedTransport
from podium.systasks.hosts import HostPolicy
from podium.systasks.result import SystemTaskResult

METHODS: Final = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
DEFAULT_TIMEOUT_MS: Final = 3000
MAX_REDIRECTS: Final = 5
LEASE_SLACK_MS: Final = 5000
FAILURE_PREFIX: Final = "Failed to invoke HTTP task due to: "
_FORM: Final = "application/x-www-form-urlencoded"


class _Refused(Exception):
    """The request was not sent (bad input or a denied host)."""


def new_client(policy: HostPolicy | None = None) -> httpx.AsyncClient:
    """The client the runner shares across HTTP tasks (per-request timeouts, no implicit redirects).

    With ``policy``, every connection it opens goes to an address the policy allows at that moment.
    """
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    transport = None if policy is None else GuardedTransport(policy, limits)
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, limits=limits, transport=transport)


def request_spec(task_input: JSON) -> JSON:
    """The request description: input ``http_request`` if it is a map, else the input itself."""
    spec = task_input.get("http_request")
    return spec if isinstance(spec, dict) else task_input


def deadline_ms(task_input: JSON, limits: Limits = DEFAULT_LIMITS) -> int:
    """The whole call's time budget: connect + read timeouts, at most the server's HTTP task deadline."""
    spec = request_spec(task_input)
    budget = _timeout_ms(spec.get("connectionTimeOut")) + _timeout_ms(spec.get("readTimeOut"))
    return min(budget, limits.http_task_deadline_ms)


def lease_ms(task_input: JSON, limits: Limits = DEFAULT_LIMITS) -> int:
    """An upper bound of how long one execution may take (its deadline, plus slack)."""
    return deadline_ms(task_input, limits) + LEASE_SLACK_MS


async def execute_http(
    client: httpx.AsyncClient, task_input: JSON, policy: HostPolicy, limits: Limits = DEFAULT_LIMITS
) -> SystemTaskResult:
    """Perform the call; COMPLETED with ``{"response": {...}}`` on 2xx, else FAILED."""
    spec = request_spec(task_input)
    deadline = deadline_ms(task_input, limits)
    try:
        request = _build(client, spec)
        async with asyncio.timeout(deadline / 1000.0):
            response, body = await _send(client, request, policy, limits.task_output_bytes)
    except _Refused as e:
        return _failed(str(e))
    except TimeoutError:
        return _failed(
            f"Deadline exceeded: no complete answer within {deadline} ms (connectionTimeOut + readTimeOut, "
            f"at most PODIUM_LIMIT_HTTP_TASK_DEADLINE_MS={limits.http_task_deadline_ms})"
        )
    except httpx.TimeoutException as e:
        return _failed(f"{type(e).__name__}: {str(e) or 'timed out'}")
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ValueError) as e:
        return _failed(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
    text = _text(response, body)
    if not 200 <= response.status_code < 300:
        snippet = text if len(text) <= 2000 else text[:2000] + "..."
        return _failed(f"{response.status_code} {response.reason_phrase}: {snippet}".rstrip(": "))
    out = {
        "statusCode": response.status_code,
        "headers": _headers(response),
        "body": parse_body(text),
        "reasonPhrase": response.reason_phrase,
    }
    return SystemTaskResult(st.COMPLETED, {"response": out})


def _failed(error: str) -> SystemTaskResult:
    return SystemTaskResult(st.FAILED, {"response": error}, FAILURE_PREFIX + error)


def _build(client: httpx.AsyncClient, spec: JSON) -> httpx.Request:
    uri = spec.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise _Refused("Missing HTTP URI: the input needs 'http_request.uri'")
    method = spec.get("method")
    if not isinstance(method, str) or not method.strip():
        raise _Refused("No HTTP method specified: the input needs 'http_request.method'")
    method = method.strip().upper()
    if method not in METHODS:
        raise _Refused(f"Unsupported HTTP method {method}")
    url = httpx.URL(uri.strip())
    if url.scheme not in ("http", "https"):
        raise _Refused(f"Unsupported URI scheme in {uri!r}: only http and https are allowed")
    # One entry per lower-cased name: explicit headers replace the defaults.
    headers: dict[str, list[tuple[str, str]]] = {}
    accept = spec.get("accept") or "application/json"
    headers["accept"] = [("Accept", ", ".join(map(str, accept)) if isinstance(accept, list) else str(accept))]
    content_type = str(spec.get("contentType") or "application/json")
    body = spec.get("body")
    content: bytes | None = None
    if body is not None:
        headers["content-type"] = [("Content-Type", content_type)]
        if isinstance(body, str):
            content = body.encode()
        elif isinstance(body, dict) and content_type.split(";")[0].strip().lower() == _FORM:
            content = urlencode({k: _scalar(v) for k, v in body.items()}).encode()
        else:
            content = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    extra = spec.get("headers")
    if isinstance(extra, dict):
        for k, v in extra.items():
            if v is not None:
                values = v if isinstance(v, list) else [v]
                headers[str(k).lower()] = [(str(k), _scalar(item)) for item in values]
    connect = _timeout_ms(spec.get("connectionTimeOut")) / 1000.0
    read = _timeout_ms(spec.get("readTimeOut")) / 1000.0
    timeout = httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
    pairs = [pair for group in headers.values() for pair in group]
    return client.build_request(method, url, headers=pairs, content=content, timeout=timeout)


async def _send(
    client: httpx.AsyncClient, request: httpx.Request, policy: HostPolicy, max_bytes: int
) -> tuple[httpx.Response, bytes]:
    for hop in range(MAX_REDIRECTS + 1):
        denied = await policy.check(request.url.host)
        if denied is not None:
            raise _Refused(denied)
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            nxt = response.next_request
            if nxt is not None and hop < MAX_REDIRECTS:
                if nxt.url.scheme not in ("http", "https"):
                    raise _Refused(f"Redirect to an unsupported URI scheme: {nxt.url}")
                request = nxt
                continue
            return response, await _read(response, max_bytes)
        finally:
            await response.aclose()
    raise AssertionError("unreachable")


async def _read(response: httpx.Response, max_bytes: int) -> bytes:
    too_big = f"Response body is larger than {max_bytes} bytes (PODIUM_LIMIT_TASK_OUTPUT_BYTES)"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Refused(too_big)  # refused before reading any of it
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _Refused(too_big)
        chunks.append(chunk)
    return b"".join(chunks)


def _text(response: httpx.Response, body: bytes) -> str:
    try:
        return body.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", errors="replace")


def parse_body(text: str) -> Any:
    """A JSON object, array, number or string when the body is one; else the raw text (None if empty)."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        value = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return text
    if isinstance(value, dict | list | str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return text


def _headers(response: httpx.Response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for raw_key, raw_value in response.headers.raw:
        out.setdefault(raw_key.decode("latin-1"), []).append(raw_value.decode("latin-1"))
    return out


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, dict | list):
        return orjson.dumps(v).decode()
    return str(v)


def _timeout_ms(raw: Any) -> int:
    if isinstance(raw, bool):
        return DEFAULT_TIMEOUT_MS
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, int | float) and raw > 0:
        return int(raw)
    return DEFAULT_TIMEOUT_MS
