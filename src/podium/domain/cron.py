"""Spring's six-field cron expressions (``sec min hour day-of-month month day-of-week``) in a time zone.

Semantics follow Spring's ``CronExpression``, which Conductor's scheduler uses:

* ``*`` and ``?`` match everything; ``a-b`` ranges, ``a,b`` lists, ``*/n`` and ``a/n`` / ``a-b/n`` steps;
  month names ``JAN``..``DEC`` and day names ``SUN``..``SAT`` (case-insensitive).
* Day of week: 0 and 7 are Sunday, 1 is Monday (``MON-FRI`` is ``1-5``).
* Day of month: ``L`` (last day), ``L-n`` (n days before the last), ``nW`` (weekday nearest the n-th,
  within the month), ``LW`` (last weekday). Day of week: ``nL`` / ``FRIL`` (last such day of the month),
  ``n#k`` / ``MON#1`` (the k-th such day).
* When both day fields are restricted a day must match both (Spring ANDs them; Vixie cron ORs them).
* Macros: ``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight``, ``@hourly``.

Fire times are computed on the zone's wall clock and turned into instants: a wall time that does not
exist (the hour skipped when clocks spring forward) is skipped; one that happens twice (the hour
repeated when clocks fall back) fires once, at its first occurrence.

Pure: no clock, no I/O. Times are epoch milliseconds.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
# How far ahead a search for the next fire time looks before it concludes there is none (Feb 29 on a
# Monday may be 28 years away).
SEARCH_YEARS = 30

DaySet = Callable[[int, int], frozenset[int]]  # (year, month) -> the matching days of that month


class CronError(ValueError):
    """An expression that is not valid Spring cron; the message says why."""


def zone(zone_id: str | None) -> ZoneInfo:
    """The time zone named ``zone_id`` (IANA name, ``UTC`` by default); CronError if unknown."""
    name = zone_id or "UTC"
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"Unknown time zone: {name}") from None


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    if name in ("Z", "GMT", "UCT"):
        name = "UTC"
    return ZoneInfo(name)


def _number(text: str, names: tuple[str, ...] | None, lo: int, hi: int, what: str) -> int:
    up = text.upper()
    if names is not None and up in names:
        value = names.index(up) + (1 if names is MONTHS else 0)
    else:
        if not text.isdigit():
            raise CronError(f"Invalid {what} value '{text}'")
        value = int(text)
    if not lo <= value <= hi:
        raise CronError(f"{what.capitalize()} value {value} is out of range {lo}-{hi}")
    return value


def _plain(term: str, names: tuple[str, ...] | None, lo: int, hi: int, what: str) -> set[int]:
    """A term of ``*``, ``?``, ``a``, ``a-b`` with an optional ``/step``."""
    body, _, step_text = term.partition("/")
    step = 1
    if step_text:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"Invalid step '{step_text}' in {what} field")
        step = int(step_text)
    if body in ("*", "?"):
        start, end = lo, hi
    elif "-" in body:
        a, _, b = body.partition("-")
        start, end = _number(a, names, lo, hi, what), _number(b, names, lo, hi, what)
        if start > end:
            raise CronError(f"Invalid range '{body}' in {what} field: start after end")
    else:
        start = _number(body, names, lo, hi, what)
        end = hi if step_text else start
    return set(range(start, end + 1, step))


def _field(text: str, names: tuple[str, ...] | None, lo: int, hi: int, what: str) -> frozenset[int]:
    values: set[int] = set()
    for term in text.split(","):
        if not term:
            raise CronError(f"Empty term in {what} field")
        values |= _plain(term, names, lo, hi, what)
    return frozenset(values)


def _weekday(year: int, month: int, day: int) -> int:
    """0 = Sunday .. 6 = Saturday."""
    return (calendar.weekday(year, month, day) + 1) % 7


def _nearest_weekday(year: int, month: int, day: int) -> int:
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    wd = _weekday(year, month, day)
    if wd == 6:  # Saturday: Friday before, or Monday after when the 1st
        return day - 1 if day > 1 else day + 2
    if wd == 0:  # Sunday: Monday after, or Friday before when the last day
        return day + 1 if day < last else day - 2
    return day


def _dom_term(term: str) -> Callable[[int, int], set[int]]:
    up = term.upper()
    if up == "L":
        return lambda y, m: {calendar.monthrange(y, m)[1]}
    if up.startswith("L-"):
        offset = _number(up[2:], None, 0, 30, "day-of-month offset")
        return lambda y, m: {d for d in [calendar.monthrange(y, m)[1] - offset] if d >= 1}
    if up == "LW":
        return lambda y, m: {_nearest_weekday(y, m, calendar.monthrange(y, m)[1])}
    if up.endswith("W"):
        target = _number(up[:-1], None, 1, 31, "day-of-month")
        return lambda y, m: {_nearest_weekday(y, m, target)}
    values = _plain(term, None, 1, 31, "day-of-month")
    return lambda y, m: {d for d in values if d <= calendar.monthrange(y, m)[1]}


def _dow_number(text: str) -> int:
    return _number(text, DAYS, 0, 7, "day-of-week") % 7


def _dow_term(term: str) -> Callable[[int, int], set[int]]:
    up = term.upper()
    if "#" in up:
        day_text, _, nth_text = up.partition("#")
        wd = _dow_number(day_text)
        nth = _number(nth_text, None, 1, 5, "day-of-week ordinal")

        def nth_day(y: int, m: int) -> set[int]:
            first = (wd - _weekday(y, m, 1)) % 7 + 1
            d = first + 7 * (nth - 1)
            return {d} if d <= calendar.monthrange(y, m)[1] else set()

        return nth_day
    if up.endswith("L") and len(up) > 1:
        wd = _dow_number(up[:-1])

        def last_day(y: int, m: int) -> set[int]:
            last = calendar.monthrange(y, m)[1]
            return {last - (_weekday(y, m, last) - wd) % 7}

        return last_day
    if up == "L":  # the last day of the (ISO) week: Sunday
        return lambda y, m: {d for d in range(1, calendar.monthrange(y, m)[1] + 1) if _weekday(y, m, d) == 0}
    body, sep, step = up.partition("/")
    if "-" in body and body not in ("*", "?"):
        a, _, b = body.partition("-")
        start, end = _number(a, DAYS, 0, 7, "day-of-week"), _number(b, DAYS, 0, 7, "day-of-week")
        if end == 0 and start > 0:
            end = 7  # FRI-SUN: Sunday ends Spring's (ISO) week
        if start > end:
            raise CronError(f"Invalid range '{body}' in day-of-week field: start after end")
        days = {d % 7 for d in _plain(f"{start}-{end}{sep}{step}", None, 0, 7, "day-of-week")}
    else:
        days = {d % 7 for d in _plain(up, DAYS, 0, 7, "day-of-week")}
    return lambda y, m: {d for d in range(1, calendar.monthrange(y, m)[1] + 1) if _weekday(y, m, d) in days}


def _days(text: str, term: Callable[[str], Callable[[int, int], set[int]]]) -> DaySet:
    terms = []
    for t in text.split(","):
        if not t:
            raise CronError("Empty term in a day field")
        terms.append(term(t))

    @lru_cache(maxsize=64)
    def days(year: int, month: int) -> frozenset[int]:
        out: set[int] = set()
        for t in terms:
            out |= t(year, month)
        return frozenset(out)

    return days


@dataclass(frozen=True, slots=True)
class CronExpression:
    """A parsed expression; ``next_after`` gives fire times as epoch ms in a zone."""

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    dom: DaySet = field(compare=False)
    dow: DaySet = field(compare=False)

    def days(self, year: int, month: int) -> list[int]:
        """The days of a month on which the expression fires."""
        if month not in self.months:
            return []
        return sorted(self.dom(year, month) & self.dow(year, month))

    def next_after(self, after_ms: int, tz: ZoneInfo, limit_ms: int | None = None) -> int | None:
        """The first fire time strictly after ``after_ms`` (and not after ``limit_ms``), or None."""
        for t in self.iter_after(after_ms, tz):
            return None if limit_ms is not None and t > limit_ms else t
        return None

    def iter_after(self, after_ms: int, tz: ZoneInfo) -> Iterator[int]:
        """Every fire time strictly after ``after_ms``, in order."""
        # Candidates start at the wall time of ``after_ms``. Inside an hour repeated by a fall-back, a wall
        # time stands for its first occurrence (fold 0): those of the repeated hour then lie before
        # ``after_ms`` when it is in the second occurrence, and the ``> after_ms`` test drops them.
        early = datetime.fromtimestamp(after_ms // 1000, tz).replace(tzinfo=None, fold=0)
        day = early.date()
        end_year = day.year + SEARCH_YEARS
        while day.year <= end_year:
            for d in self.days(day.year, day.month):
                if d < day.day:
                    continue
                on = date(day.year, day.month, d)
                for t in self._times(on, early if on == early.date() else None, tz):
                    if t > after_ms:
                        yield t
            nxt_month = day.month % 12 + 1
            day = date(day.year + (day.month == 12), nxt_month, 1)

    def _times(self, on: date, not_before: datetime | None, tz: ZoneInfo) -> Iterator[int]:
        offset = _steady_offset(on, tz)
        base = None if offset is None else (calendar.timegm((on.year, on.month, on.day, 0, 0, 0)) - offset) * 1000
        for h in self.hours:
            if not_before is not None and h < not_before.hour:
                continue
            for mi in self.minutes:
                if not_before is not None and (h, mi) < (not_before.hour, not_before.minute):
                    continue
                for s in self.seconds:
                    if base is not None:  # no clock change that day: plain arithmetic
                        yield base + (h * 3600 + mi * 60 + s) * 1000
                        continue
                    wall = datetime(on.year, on.month, on.day, h, mi, s, tzinfo=tz)  # fold=0: first occurrence
                    instant = wall.astimezone(UTC)
                    if instant.astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
                        continue  # skipped by a spring-forward
                    yield int(instant.timestamp()) * 1000


@lru_cache(maxsize=4096)
def _steady_offset(on: date, tz: ZoneInfo) -> int | None:
    """The zone's UTC offset in seconds on a day without a clock change, else None."""
    first = datetime(on.year, on.month, on.day, 0, 0, 0)
    last = datetime(on.year, on.month, on.day, 23, 59, 59)
    offsets = {tz.utcoffset(d.replace(fold=f)) for d in (first, last) for f in (0, 1)}
    if len(offsets) != 1:
        return None
    only = offsets.pop()
    return None if only is None else int(only.total_seconds())


def parse(text: str) -> CronExpression:
    """Parse a Spring cron expression; CronError says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise CronError("Cron expression must not be empty")
    return _parse(text.strip())


@lru_cache(maxsize=1024)
def _parse(text: str) -> CronExpression:
    fields = MACROS.get(text.lower(), text).split()
    if len(fields) != 6:
        raise CronError(f'Cron expression must consist of 6 fields (found {len(fields)} in "{text}")')
    sec, minute, hour, dom, month, dow = fields
    return CronExpression(
        text=text,
        seconds=tuple(sorted(_field(sec, None, 0, 59, "second"))),
        minutes=tuple(sorted(_field(minute, None, 0, 59, "minute"))),
        hours=tuple(sorted(_field(hour, None, 0, 23, "hour"))),
        months=_field(month, MONTHS, 1, 12, "month"),
        dom=_days(dom, _dom_term),
        dow=_days(dow, _dow_term),
    )


def next_fires(
    expressions: list[tuple[CronExpression, ZoneInfo]], after_ms: int, count: int, end_ms: int | None = None
) -> list[int]:
    """The next ``count`` distinct fire times of several expressions together, after ``after_ms``."""
    out: set[int] = set()
    for expr, tz in expressions:
        for i, t in enumerate(expr.iter_after(after_ms, tz)):
            if i >= count or (end_ms is not None and t > end_ms):
                break
            out.add(t)
    return sorted(out)[:count]
