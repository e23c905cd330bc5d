"""Which hosts HTTP tasks may call: public addresses, plus whatever the operator allow-lists.

Loopback, private, link-local, shared, reserved and multicast addresses are denied unless listed in
``PODIUM_HTTP_ALLOW`` (``Settings.http_allow``): entries are host names (``api.internal``), suffix
patterns (``*.internal``), IP addresses, CIDR networks (``10.0.0.0/8``) or ``*`` (allow everything).
A host name is checked against every address it resolves to, and an IPv6 address also by the IPv4
address it carries (IPv4-mapped and -compatible, NAT64, 6to4, Teredo), so ``[::127.0.0.1]`` is loopback.
``connect_addresses`` gives the connector the checked addresses themselves, so a name that resolves
to another address at connect time (DNS rebinding) cannot slip past the check.
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
_LOW32: Final = 0xFFFFFFFF
_V4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
# Local-use NAT64 (RFC 8215): whatever a local translator reaches. Python 3.11 calls it (and the
# deprecated site-local fec0::/10) global.
_NAT64_LOCAL: Final = ipaddress.IPv6Network("64:ff9b:1::/48")


class HostDenied(Exception):
    """The host may not be called (its message says why)."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: a packet to it may end up at any of them."""
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if (ip in _V4_COMPATIBLE and int(ip) > 1) or ip in _NAT64:  # (:: and ::1 are IPv6's own)
        out.append(ipaddress.IPv4Address(int(ip) & _LOW32))
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    return out


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
        h = _normal(host)
        if self.allow_all or self._named(h):
            return None
        now = time.monotonic()
        hit = self._cache.get(h)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            await self._addresses(h)
            verdict = None
        except HostDenied as e:
            verdict = str(e)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[h] = (now + _CACHE_TTL_S, verdict)
        return verdict

    async def connect_addresses(self, host: str) -> list[str]:
        """What to connect to for ``host``: its checked addresses (resolved now), or the name itself when
        it is allow-listed by name; raises ``HostDenied``."""
        h = _normal(host)
        if self.allow_all or self._named(h):
            return [host]
        return [str(ip) for ip in await self._addresses(h)]

    def _named(self, h: str) -> bool:
        return h in self._names or any(h.endswith(s) for s in self._suffixes)

    async def _addresses(self, h: str) -> list[IPAddress]:
        if not h:
            raise HostDenied("the URI has no host")
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(h)]
        except ValueError:
            # Names and the other spellings of IPv4 addresses (2130706433, 0x7f.1, 127.1) are
            # resolved the way the connector would resolve them.
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(h, None, type=socket.SOCK_STREAM)
            except OSError as e:
                raise HostDenied(f"cannot resolve host {h}: {e}") from None
            addresses = list(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%", 1)[0]) for i in infos))
        for ip in addresses:
            if self.denies(ip):
                raise HostDenied(
                    f"host {h} ({ip}) is not allowed: loopback, private and link-local addresses are "
                    "denied unless listed in PODIUM_HTTP_ALLOW"
                )
        return addresses

    def denies(self, ip: IPAddress) -> bool:
        """True when an address, or an IPv4 address it carries, is non-public and not allow-listed."""
        forms: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.ipv4_mapped is not None:  # the IPv4 address itself, as the allow-list writes it
                forms = [ip.ipv4_mapped]
            else:
                if (ip in _NAT64_LOCAL or ip.is_site_local) and not self._listed(ip):
                    return True
                forms.extend(embedded_ipv4(ip))
        return any(not self._listed(a) and (not a.is_global or a.is_multicast) for a in forms)

    def _listed(self, ip: IPAddress) -> bool:
        return any(ip in net for net in self._networks)


def _normal(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()
