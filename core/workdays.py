"""Working days (工作日) after the official Chinese holiday calendar, make-up working days included.

``chinese-calendar`` knows the years the State Council has announced; for a later year we fall back
to Monday–Friday and log a warning once per year, as docs/design.md asks.
"""

from __future__ import annotations

import datetime
import functools
import logging

import chinese_calendar

logger = logging.getLogger(__name__)

_warned_years: set[int] = set()


# chinese-calendar scans its whole holiday table on every question, and deadlines, reminders and the
# demo ask about the same few hundred days again and again.
@functools.lru_cache(maxsize=4096)
def is_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "No official holiday calendar for %s in chinese-calendar %s; counting Monday to Friday",
                day.year,
                chinese_calendar.__version__,
            )
        return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date that is ``days`` working days after ``start`` (``start`` itself is not counted)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    current = start
    remaining = days
    while remaining:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count = 0
    current = start
    while current < end:
        current += datetime.timedelta(days=1)
        count += is_working_day(current)
    return count
