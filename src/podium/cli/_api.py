"""The CLI's connection to a server: the project's HTTP client, a token when the server needs one, and
the translation of transport and HTTP errors into one-line CLI errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast
from urllib.parse import quote

import httpx

from podium.cli._config import Settings
from podium.cli._errors import CliError, Exit
from podium.client import ApiError, Call, PodiumClient, ServerUnavailable, decode, encode

T = TypeVar("T")
Params = dict[str, str | int]
_JSON = {"content-type": "application/json"}


def q(segment: str) -> str:
    """One path segment, escaped."""
    return quote(segment, safe="")


def _answer(resp: httpx.Response) -> Any:
    """The body as JSON when it is JSON, as text otherwise, None when empty."""
    if resp.status_code == 204 or not resp.content:
        return None
    if "json" in resp.headers.get("content-type", ""):
        return decode(resp.content)
    return resp.text


def describe(e: ApiError) -> str:
    """The server's message, with Conductor's validationErrors on the same line."""
    text = e.message
    body = e.body
    if isinstance(body, dict) and isinstance(body.get("validationErrors"), list):
        parts = []
        for v in body["validationErrors"]:
            if isinstance(v, dict):
                path, msg = v.get("path"), v.get("message")
                parts.append(f"{path}: {msg}" if path else str(msg))
        if parts:
            text = f"{text.rstrip('.')}: " + "; ".join(parts)
    return " ".join(str(text).split())  # one line


def api_failure(e: ApiError | ServerUnavailable, server: str) -> CliError:
    """The CliError for a failed call."""
    if isinstance(e, ServerUnavailable):
        return CliError(f"cannot reach the server at {server} ({e})", Exit.UNREACHABLE)
    code = Exit.REFUSED if e.status < 500 else Exit.SERVER_ERROR
    return CliError(f"server answered {e.status}: {describe(e)}", code, status=e.status, body=e.body)


class Api:
    """Calls to one server, authenticated when the settings carry a key or a token."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport
        self._client: PodiumClient | None = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _open(self) -> PodiumClient:
        """The client, with the token as X-Authorization when there is a key or a token to use."""
        s = self.settings
        token = s.token
        if token is None and s.key_id and s.key_secret:
            body = encode({"keyId": s.key_id, "keySecret": s.key_secret})
            with PodiumClient(s.server, transport=self._transport) as plain:
                answer = plain.send(Call("POST", "/token", _answer, body=body, headers=_JSON))
            token = answer.get("token") if isinstance(answer, dict) else None
            if not token:
                raise CliError("the server gave no token for the application key", Exit.REFUSED)
        headers = {"X-Authorization": token} if token else None
        return PodiumClient(s.server, timeout=30.0, headers=headers, transport=self._transport)

    def send(self, call: Call[T]) -> T:
        """Send a described call; errors become CliErrors."""
        try:
            if self._client is None:
                self._client = self._open()
            return self._client.send(call)
        except (ApiError, ServerUnavailable) as e:
            raise api_failure(e, self.settings.server) from None

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        text: str | None = None,
        extra_timeout: float | None = None,
        parse: Callable[[httpx.Response], Any] = _answer,
    ) -> Any:
        """One request: ``json`` is sent as a JSON body, ``text`` as text/plain; the answer decoded."""
        body: bytes | None = None
        headers: dict[str, str] | None = None
        if json is not None:
            body, headers = encode(json), _JSON
        elif text is not None:
            body, headers = text.encode(), {"content-type": "text/plain"}
        clean: dict[str, Any] = {}
        for k, v in (params or {}).items():
            if v is None:
                continue
            clean[k] = ("true" if v else "false") if isinstance(v, bool) else v
        return self.send(Call(method, path, parse, cast(Params, clean) or None, body, headers, extra_timeout))

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)
