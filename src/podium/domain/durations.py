"""WAIT task inputs: ``duration`` strings and ``until`` date strings (docs/reference.md#wait)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Longer delays, leases and timeouts (seconds up to a Java long, times 1000) are cut to this, about
# 285,000 years: every time the server stores must fit a 64-bit column.
MAX_DELAY_MS: Final = 2**53


__all__ = ["parse_duration", "parse_until"]

_UNIT_SECONDS: Final[dict[str, int]] = {}
for _names, _secs in (
    (("d", "day", "days"), 86400),
    (("h", "hr", "hrs", "hour", "hours"), 3600),
    (("m", "min", "mins", "minute", "minutes"), 60),
    (("s", "sec", "secs", "second", "seconds"), 1),
):
    for _n in _names:
        _UNIT_SECONDS[_n] = _secs

# One "<number><unit>" component; components may be separated by whitespace or not at all.
_COMPONENT: Final = re.compile(r"\s*(\d+)\s*([a-z]+)")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``30s``, ``5m``, ``1h 30m``, ``2 days`` or ``1d2h``.

    Each unit (days, hours, minutes, seconds, with their short and plural spellings) may appear once;
    case is ignored. Raises ValueError for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string, got {type(text).__name__}")
    return _parse_duration(text)


@lru_cache(maxsize=1024)
def _parse_duration(text: str) -> int:
    s = text.strip().lower()
    if not s:
        raise ValueError("duration is empty")
    total = 0
    seen: set[int] = set()
    pos = 0
    while pos < len(s):
        m = _COMPONENT.match(s, pos)
        if m is None:
            raise ValueError(
                f"invalid duration {text!r}: expected <number><unit> parts such as '1h 30m' "
                "(units: d/day(s), h/hr(s)/hour(s), m/min(s)/minute(s), s/sec(s)/second(s))"
            )
        unit = _UNIT_SECONDS.get(m.group(2))
        if unit is None:
            raise ValueError(f"invalid duration {text!r}: unknown unit {m.group(2)!r}")
        if unit in seen:
            raise ValueError(f"invalid duration {text!r}: unit {m.group(2)!r} given more than once")
        seen.add(unit)
        total += int(m.group(1)) * unit
        pos = m.end()
        # Trailing whitespace is the only thing allowed after the last component.
        if s[pos:].isspace():
            break
    return total


_UNTIL: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"  # yyyy-MM-dd
    r"(?:\s+(\d{1,2}):(\d{2})"  # HH:mm
    r"(?:\s+(\S+))?)?"  # z
)
_OFFSET: Final = re.compile(r"(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_UTC_NAMES: Final = frozenset({"Z", "UTC", "GMT", "UT"})

# Common zone abbreviations (as accepted by Java's `z` pattern), mapped to their fixed offsets.
_ABBREVIATIONS: Final[dict[str, float]] = {
    "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4,
    "AKST": -9, "AKDT": -8, "HST": -10, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8, "JST": 9, "KST": 9,
    "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}  # fmt: skip


@lru_cache(maxsize=256)
def _zone(name: str) -> tzinfo:
    upper = name.upper()
    if upper in _UTC_NAMES:
        return UTC
    m = _OFFSET.fullmatch(name)
    if m is not None:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 18 or minutes > 59:
            raise ValueError(f"invalid zone offset {name!r}")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if m.group(1) == "-" else delta)
    hours_off = _ABBREVIATIONS.get(upper)
    if hours_off is not None:
        return timezone(timedelta(hours=hours_off))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def parse_until(text: str, *, default_tz: tzinfo = UTC) -> int:
    """Epoch milliseconds of an ``until`` value.

    Accepted forms: ``yyyy-MM-dd HH:mm``, ``yyyy-MM-dd HH:mm z`` (z = zone id such as ``UTC``,
    ``America/New_York``, an abbreviation such as ``PST``, or an offset such as ``+05:30``) and
    ``yyyy-MM-dd`` (midnight). Without a zone the time is read in ``default_tz``. Raises ValueError
    for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"until must be a string, got {type(text).__name__}")
    return _parse_until(text, default_tz)


@lru_cache(maxsize=1024)
def _parse_until(text: str, default_tz: tzinfo) -> int:
    m = _UNTIL.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"invalid date {text!r}: expected 'yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm z' or 'yyyy-MM-dd'")
    year, month, day, hour, minute, zone = m.groups()
    tz = _zone(zone) if zone is not None else default_tz
    try:
        dt = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"invalid date {text!r}: {exc}") from exc
    return round(dt.timestamp() * 1000)
