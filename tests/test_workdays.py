"""Working-day deadlines follow the official holiday calendar, make-up days included."""

import datetime
import logging

from core.workdays import add_working_days, is_working_day, working_days_between


def test_national_day_2026_holiday_is_skipped():
    # 2026-09-30 (Wed) + 1 working day: 10-01..10-07 are the National Day holiday, 10-08 is back at work.
    assert add_working_days(datetime.date(2026, 9, 30), 1) == datetime.date(2026, 10, 8)


def test_make_up_working_day_counts_although_it_is_a_saturday():
    # 2026-10-10 is a Saturday worked in exchange for the holiday (调休).
    assert is_working_day(datetime.date(2026, 10, 10))
    assert add_working_days(datetime.date(2026, 10, 9), 1) == datetime.date(2026, 10, 10)


def test_make_up_sunday_before_national_day_counts():
    # 2026-09-20 is a Sunday worked in exchange for the holiday.
    assert add_working_days(datetime.date(2026, 9, 19), 1) == datetime.date(2026, 9, 20)


def test_ten_working_days_across_the_holiday():
    # 09-28, 09-29, 09-30, 10-08, 10-09, 10-10, 10-12, 10-13, 10-14, 10-15
    assert add_working_days(datetime.date(2026, 9, 27), 10) == datetime.date(2026, 10, 15)
    assert working_days_between(datetime.date(2026, 9, 27), datetime.date(2026, 10, 15)) == 10


def test_weekend_is_not_a_working_day():
    assert not is_working_day(datetime.date(2026, 11, 28))


def test_unknown_year_falls_back_to_monday_to_friday_and_logs(caplog):
    caplog.set_level(logging.WARNING, logger="core.workdays")
    # Friday 2099-01-02 + 1 working day is Monday 2099-01-05 without a calendar for 2099.
    assert add_working_days(datetime.date(2099, 1, 2), 1) == datetime.date(2099, 1, 5)
    assert any("2099" in record.getMessage() for record in caplog.records)
