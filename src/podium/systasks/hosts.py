"""Which hosts HTTP tasks may call: public addresses, plus whatever the operator allow-lists.

Loopback, private, link-local, shared, reserved and multicast addresses are denied unless listed in
``PODIUM_HTTP_ALLOW`` (``Settings.http_allow``): entries are host names (``api.internal``), suffix
patterns (``*.internal``), IP addresses, CIDR networks (``10.0.0.0/8``) or ``*`` (allow everything).
A host name is checked against every address it resolves to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CACHE_TTL_S: Final = 10.0
_CACHE_MAX: Final = 1024


class HostPolicy:
    """Allow/deny decisions for outgoing HTTP task calls (cached briefly per host)."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.allow_all = False
        self._names: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[IPNetwork] = []
        for raw in allow:
            entry = raw.strip().lower()
            if not entry:
                continue
            if entry == "*":
                self.allow_all = True
            elif entry.startswith("*."):
                self._suffixes.append(entry[1:])
            else:
                try:
                    self._networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                except ValueError:
                    self._names.add(entry.rstrip("."))
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def check(self, host: str) -> str | None:
        """None when ``host`` may be called, else why not."""
        h = host.strip().strip("[]").rstrip(".").lower()
        if self.allow_all or self._named(h):
            return None
        now = time.monotonic()
        hit = self._cache.get(h)
        if hit is not None and hit[0] > now:
            return hit[1]
        verdict = await self._decide(h)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[h] = (now + _CACHE_TTL_S, verdict)
        return verdict

    def _named(self, h: str) -> bool:
        return h in self._names or any(h.endswith(s) for s in self._suffixes)

    async def _decide(self, h: str) -> str | None:
        if not h:
            return "the URI has no host"
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(h)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(h, None, type=socket.SOCK_STREAM)
            except OSError as e:
                return f"cannot resolve host {h}: {e}"
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        for ip in addresses:
            if self.denies(ip):
                return (
                    f"host {h} ({ip}) is not allowed: loopback, private and link-local addresses are "
                    "denied unless listed in PODIUM_HTTP_ALLOW"
                )
        return None

    def denies(self, ip: IPAddress) -> bool:
        """True when an address is non-public and not allow-listed."""
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self._networks):
            return False
        return not ip.is_global or ip.is_multicast
