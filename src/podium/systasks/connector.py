"""An httpx transport whose connections go only to addresses the host policy allowed when connecting.

Checking a host name and then letting the connector resolve it again leaves a gap: a name can
resolve to a public address for the check and to a private one for the connection (DNS
rebinding). ``GuardedBackend`` resolves and checks in ``connect_tcp`` and connects to the checked
address itself; TLS still verifies (and sends SNI for) the name in the URL. It plugs into httpcore's
public ``network_backend`` seam; ``GuardedTransport`` is the few lines that put an httpcore pool
under httpx (httpx's own transport does not take a network backend).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpcore
import httpx

from podium.systasks.hosts import HostDenied, HostPolicy


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects to a host's policy-checked addresses only (first that answers)."""

    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.policy.connect_addresses(host)
        except HostDenied as e:
            raise httpcore.ConnectError(str(e)) from None
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout} s") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                failure = e
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("HTTP tasks do not connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _as_httpx(e: Exception) -> Exception:
    """httpcore's error as httpx's error of the same name (httpx names its errors after httpcore's)."""
    if not isinstance(e, httpcore.TimeoutException | httpcore.NetworkError | httpcore.ProtocolError):
        return e
    cls = getattr(httpx, type(e).__name__, None)
    if not (isinstance(cls, type) and issubclass(cls, httpx.TransportError)):
        cls = httpx.TransportError
    return cls(str(e))


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterator[bytes], close: Any) -> None:
        self._stream = stream
        self._close = close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except Exception as e:
            raise _as_httpx(e) from e

    async def aclose(self) -> None:
        await self._close()


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx over an httpcore pool whose connections pass the host policy at connect time."""

    def __init__(self, policy: HostPolicy, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,  # an httpx stream is an async byte iterable
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core)
        except Exception as e:
            raise _as_httpx(e) from e
        stream: Any = response.stream
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(stream, stream.aclose),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
