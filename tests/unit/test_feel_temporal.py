"""FEEL dates, times, date and time, both durations, time zones and their arithmetic (10.3.2.3)."""

import datetime as dt

import pytest

from pathways.decisions.feel import YearsMonths, evaluate

from .feel_helpers import text, value


@pytest.mark.parametrize(("expression", "expected"), [
    ('date("2026-01-31")', "2026-01-31"), ('@"2026-01-31"', "2026-01-31"), ("date(2026, 2, 28)", "2026-02-28"),
    ('time("10:30:00")', "10:30:00"), ('time("10:30:00.5")', "10:30:00.5"), ('time("10:30:00Z")', "10:30:00Z"),
    ('time("10:30:00+02:00")', "10:30:00+02:00"), ('time("10:30:00@Europe/Warsaw")', "10:30:00@Europe/Warsaw"),
    ("time(10, 30, 0)", "10:30:00"), ('time(10, 30, 0, duration("PT1H"))', "10:30:00+01:00"),
    ('date and time("2026-01-31T10:30:00")', "2026-01-31T10:30:00"),
    ('date and time("2026-01-31T10:30:00@Europe/Warsaw")', "2026-01-31T10:30:00@Europe/Warsaw"),
    ('date and time("2026-01-31T10:30:00-05:00")', "2026-01-31T10:30:00-05:00"),
    ('date and time("2026-01-31")', "2026-01-31T00:00:00"),
    ('date and time(date("2026-01-31"), time("10:00:00"))', "2026-01-31T10:00:00"),
    ('date(date and time("2026-01-31T10:30:00"))', "2026-01-31"),
    ('time(date and time("2026-01-31T10:30:00Z"))', "10:30:00Z"),
    ('duration("P1DT2H")', "P1DT2H"), ('duration("PT36H")', "P1DT12H"), ('duration("-PT5M")', "-PT5M"),
    ('duration("P1Y2M")', "P1Y2M"), ('duration("P14M")', "P1Y2M"), ('@"P2Y"', "P2Y"),
    ('years and months duration(date("2020-01-15"), date("2026-03-14"))', "P6Y1M"),
    ('string(date("2026-01-31"))', "2026-01-31"), ('date and time("2026-01-31T24:00:00")', "2026-02-01T00:00:00"),
])
def test_constructors_and_strings(expression, expected):
    assert text(expression) == expected


@pytest.mark.parametrize("expression", [
    'date("2026-02-30")', 'date("31.01.2026")', 'time("25:00:00")', 'duration("P1Y2D")', 'duration("P")',
    'date and time("2026-01-31T10:00:00@Nowhere/Atlantis")', 'date("01211-12-31")', "date(2026, 13, 1)",
])
def test_bad_temporal_strings_are_null_with_a_warning(expression):
    result = evaluate(expression, {})
    assert result.value is None and result.warnings


@pytest.mark.parametrize(("expression", "expected"), [
    ('@"2026-01-31" + @"P1M"', "2026-02-28"), ('@"2024-01-31" + @"P1M"', "2024-02-29"),
    ('@"2026-01-31" - @"P1Y"', "2025-01-31"), ('@"2026-01-31" + @"P1D"', "2026-02-01"),
    ('@"2026-01-01" - @"2025-12-25"', "P7D"), ('@"2026-01-01T10:00:00" - @"2026-01-01T08:30:00"', "PT1H30M"),
    ('@"2026-01-01T10:00:00" + @"PT90M"', "2026-01-01T11:30:00"), ('@"10:00:00" + @"PT3H"', "13:00:00"),
    ('@"23:00:00" + @"PT2H"', "01:00:00"), ('@"10:00:00" - @"08:15:00"', "PT1H45M"),
    ('@"P1D" + @"PT12H"', "P1DT12H"), ('@"P1Y" + @"P6M"', "P1Y6M"), ('@"P1Y" - @"P2Y"', "-P1Y"),
    ('@"PT1H" * 3', "PT3H"), ('2 * @"P1Y1M"', "P2Y2M"), ('@"P1D" / 2', "PT12H"), ('@"P1Y" / 4', "P3M"),
    ('@"P1D" / @"PT1H"', "24"), ('@"P1Y" / @"P1M"', "12"), ('-@"P1D"', "-P1D"),
    ('@"2026-01-01T10:00:00+01:00" - @"2026-01-01T10:00:00Z"', "-PT1H"),
])
def test_arithmetic(expression, expected):
    assert text(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('@"2026-01-01" < @"2026-01-02"', True), ('@"2026-01-01" = date("2026-01-01")', True),
    ('@"10:00:00+01:00" = @"09:00:00Z"', True), ('@"2026-01-01T10:00:00+01:00" = @"2026-01-01T09:00:00Z"', True),
    ('@"P1D" = @"PT24H"', True), ('@"P1Y" = @"P12M"', True), ('@"P1D" > @"PT1H"', True),
    ('@"2026-01-01" = @"2026-01-01T00:00:00"', None), ('@"P1Y" < @"P1D"', None),
    ('@"2026-01-01T10:00:00" = @"2026-01-01T10:00:00Z"', False),
])
def test_comparison(expression, expected):
    assert value(expression) is expected


def test_subtracting_a_local_date_and_time_from_one_with_a_zone_is_null():
    assert value('@"2021-01-02T10:10:10+02:00" - @"2021-01-01T10:10:10"') is None


@pytest.mark.parametrize(("expression", "expected"), [
    ('@"2026-03-14".year', 2026), ('@"2026-03-14".month', 3), ('@"2026-03-14".day', 14), ('@"2026-03-14".weekday', 6),
    ('@"2026-03-14T10:20:30".hour', 10), ('@"2026-03-14T10:20:30".minute', 20), ('@"2026-03-14T10:20:30".second', 30),
    ('@"10:20:30@Europe/Warsaw".timezone', "Europe/Warsaw"), ('@"P1DT2H3M4S".days', 1), ('@"P1DT2H3M4S".hours', 2),
    ('@"P1DT2H3M4S".minutes', 3), ('@"P1DT2H3M4S".seconds', 4), ('@"P2Y3M".years', 2), ('@"P2Y3M".months', 3),
    ('@"-P2Y3M".years', -2),
])
def test_properties(expression, expected):
    assert value(expression) == expected


def test_time_offset_property_is_a_duration():
    assert value('@"10:00:00+02:00".time offset') == dt.timedelta(hours=2)


@pytest.mark.parametrize(("expression", "expected"), [
    ('day of year(date("2026-02-01"))', 32), ('day of week(date("2026-03-14"))', "Saturday"),
    ('month of year(date("2026-03-14"))', "March"), ('week of year(date("2026-01-01"))', 1),
    ('week of year(date("2021-01-03"))', 53),
])
def test_temporal_functions(expression, expected):
    assert value(expression) == expected


def test_now_and_today():
    assert isinstance(value("now()"), dt.datetime)
    assert value("today()") == dt.datetime.now(dt.UTC).date()


def test_python_temporal_values_go_in_unchanged():
    assert value("d + @\"P1D\"", {"d": dt.date(2026, 1, 1)}) == dt.date(2026, 1, 2)
    assert value("m + m", {"m": YearsMonths(5)}) == YearsMonths(10)


@pytest.mark.parametrize(("expression", "expected"), [
    ('duration("PT0.S")', dt.timedelta(0)), ('duration("PT1.S")', dt.timedelta(seconds=1)),
    ('duration("PT1.5S")', dt.timedelta(seconds=1.5)),
])
def test_seconds_may_end_with_a_bare_decimal_point(expression, expected):
    assert value(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('string(date("-2017-12-31"))', "-2017-12-31"), ('string(date("999999999-12-31"))', "999999999-12-31"),
    ("string(date(-2017, 1, 1))", "-2017-01-01"), ('string(@"99999-12-31T11:22:33")', "99999-12-31T11:22:33"),
    ('string(@"-2021-01-01T10:10:10+11:00" + @"P1M")', "-2021-02-01T10:10:10+11:00"),
    ('string(@"-2021-01-01T10:10:10+11:00" - @"P1D")', "-2022-12-31T10:10:10+11:00"),
    ('string(@"P1Y" + @"-2021-03-31T10:10:10@Australia/Melbourne")', "-2020-03-31T10:10:10@Australia/Melbourne"),
    ('string(@"-2020-01-31" + @"P1M")', "-2020-02-29"),  # year -2020 is a leap year (the 400-year cycle)
    ('string(@"9999-12-31" + @"P1D")', "10000-01-01"), ('string(@"10000-01-01T00:00:00" - @"PT1S")',
                                                        "9999-12-31T23:59:59"),
])
def test_dates_of_any_feel_year(expression, expected):
    """FEEL's years run from -999,999,999 to 999,999,999, beyond Python's 1 to 9999."""
    assert text(expression) == expected


def test_wide_dates_order_compare_and_have_properties():
    assert value('date("-2017-12-31") < date("2017-01-01")') is True
    assert value('date("10000-01-01") > @"9999-12-31"') is True
    assert value('date("-2017-12-31") = date(-2017, 12, 31)') is True
    assert value('@"10000-01-01T10:00:00+02:00" = @"10000-01-01T08:00:00Z"') is True
    assert value('date("-2017-12-31").year') == -2017 and value('@"99999-12-31T11:22:33".hour') == 11
    assert value('date("10000-01-01").weekday') == 6  # a Saturday, as 2000-01-01 (400-year cycles later)
    assert value('date("10000-01-02") - date("10000-01-01")') == dt.timedelta(days=1)
    assert value('@"9999-12-31" + @"P1D" - @"P1D"') == dt.date(9999, 12, 31)  # back to Python's own date
    assert value('date("10000-01-01") instance of date') is True
    assert value('date("1000000000-01-01")') is None and value('date("-2017-02-29")') is None


def test_the_parts_of_a_wide_date_and_time():
    assert text('time(@"99999-12-31T11:22:33+01:00")') == "11:22:33+01:00"
    assert text('date(@"99999-12-31T11:22:33")') == "99999-12-31"
    assert text('date and time(date("-4800-02-29"), time("10:00:00"))') == "-4800-02-29T10:00:00"
    assert value('date("-5000-02-29")') is None  # divisible by 100, not by 400: no leap day
