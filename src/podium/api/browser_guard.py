"""Always-on browser protections, in front of everything else (the fast lane included).

A browser will send requests to the server for any page it shows, not only for Podium's own UI. Three
checks keep such a page from driving the API, with auth on or off:

- **JSON bodies need a JSON content type.** A page elsewhere may send a "simple" cross-origin request
  (a form, or ``fetch`` with ``text/plain`` or no type) without asking the server first; a body whose
  Content-Type is not ``application/json`` or ``*+json`` is answered 415, as Conductor does. A task log
  line is the exception: Conductor takes it as a plain string and clients send it as ``text/plain``.
- **No cross-origin writes.** A POST/PUT/PATCH/DELETE carrying an ``Origin`` whose host differs from
  the Host header (or from a listed allowed host), or ``Sec-Fetch-Site: cross-site``, is answered 403
  (CSRF). SDKs and command-line clients send neither header.
  Conductor's scheduler also changes state on a few GETs (``/api/scheduler/admin/*`` and Orkes' GET
  spelling of ``/api/scheduler/schedules/{name}/pause|resume``): those are held to the same rule.
- **No DNS rebinding.** A server bound to a loopback address answers only requests whose Host is a
  loopback name (``localhost``, ``127.0.0.1``, ``[::1]``, any port) or a name in
  ``PODIUM_ALLOWED_HOSTS``; bound elsewhere, only the allowed hosts, if any are listed, are checked.
  ``/health`` answers any Host (probes ask by address, and it tells a page nothing).

Each check is a few dictionary lookups and string comparisons on headers read in one pass.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from podium.api.errors import error_response
from podium.domain.settings import Settings

_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})
_WRITES: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON: Final = "application/json"
_LOG_PREFIX: Final = "/api/tasks/"
_LOG_SUFFIX: Final = "/log"
_PAYLOAD_PREFIX: Final = "/api/payloads/"
_WANTED: Final = frozenset(
    {b"host", b"origin", b"sec-fetch-site", b"content-type", b"content-length", b"transfer-encoding"}
)


def host_name(value: str) -> str:
    """A Host header's (or host:port's) name without the port, lower-cased; ``[::1]`` keeps its brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[: end + 1] if end > 0 else value
    name, colon, port = value.rpartition(":")
    return name if colon and port.isdigit() else value


def is_loopback_bind(host: str) -> bool:
    """True when the server listens only on a loopback address."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_host(origin: str) -> str:
    """The host[:port] of an Origin header (``scheme://host[:port]``), lower-cased; "" when it has none."""
    _, sep, rest = origin.partition("://")
    return rest.lower() if sep else ""


class BrowserGuard:
    """Refuses requests a browser was tricked into sending; passes everything else to ``app``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.instance = settings.server_id
        listed = {host_name(h) for h in settings.allowed_hosts if h.strip()}
        self.listed: frozenset[str] = frozenset(listed - {"*"})
        # None: every Host is served (bound to a public address with no list, or "*" listed)
        self.hosts: frozenset[str] | None = None
        if "*" not in listed and (listed or is_loopback_bind(settings.host)):
            self.hosts = frozenset(listed | _LOOPBACK_NAMES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope)
            if refusal is not None:
                await error_response(refusal, self.instance)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> HTTPException | None:
        """Why the request in ``scope`` is refused, or None when it may pass."""
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                found[name] = value
        host = found.get(b"host", b"").decode("latin-1")
        if self.hosts is not None and host and host_name(host) not in self.hosts and scope["path"] != "/health":
            return HTTPException(403, f"Host '{host}' is not served here (list it in PODIUM_ALLOWED_HOSTS)")
        method: str = scope["method"]
        if method not in _WRITES:
            if method == "GET" and _get_write(scope["path"]):
                return self._cross_origin(found, host)
            return None
        cross = self._cross_origin(found, host)
        if cross is not None:
            return cross
        length = found.get(b"content-length")
        has_body = (length is not None and length != b"0") or b"transfer-encoding" in found
        if (
            has_body
            and not self._json(found.get(b"content-type"))
            and not self._log_line(method, scope["path"])
            and not (method == "PUT" and scope["path"].startswith(_PAYLOAD_PREFIX))  # signed; any type
        ):
            return HTTPException(415, "Content-Type must be application/json for a request body")
        return None

    def _cross_origin(self, found: dict[bytes, bytes], host: str) -> HTTPException | None:
        if found.get(b"sec-fetch-site") == b"cross-site":
            return HTTPException(403, "A cross-site request may not change anything (cross-origin write refused)")
        origin = found.get(b"origin")
        if origin is not None:
            seen = origin_host(origin.decode("latin-1"))
            if seen != host.lower() and host_name(seen) not in self.listed:
                return HTTPException(
                    403, f"A request from origin '{origin.decode('latin-1')}' may not change anything here"
                )
        return None

    @staticmethod
    def _json(ctype: bytes | None) -> bool:
        if ctype is None:
            return False
        media = ctype.decode("latin-1").partition(";")[0].strip().lower()
        return media == _JSON or media.endswith("+json")

    @staticmethod
    def _log_line(method: str, path: str) -> bool:
        return method == "POST" and path.startswith(_LOG_PREFIX) and path.endswith(_LOG_SUFFIX)


def _get_write(path: str) -> bool:
    """A GET that changes state: the scheduler's admin calls and Orkes' GET pause/resume of a schedule."""
    if not path.startswith("/api/scheduler/"):
        return False
    return path.startswith("/api/scheduler/admin/") or (
        path.startswith("/api/scheduler/schedules/") and path.endswith(("/pause", "/resume"))
    )
