"""The suite's one clock: every test, fixtures included, runs frozen at the run's start.

The start is the moment the run began (to the second) moved by ``--clock-shift-days`` (or the
``CLOCK_SHIFT_DAYS`` environment variable): ``pytest --clock-shift-days=400`` runs the whole suite
as if it were 400 days from now, so a test that quietly relies on today's date fails today instead
of on the day it stops being true. Tests name every moment relative to ``start()`` and move the
clock with the ``clock`` fixture (``clock.move_to``, ``clock.shift``).
"""

import datetime
import os

import pytest
import time_machine

_start: datetime.datetime | None = None


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=int(os.environ.get("CLOCK_SHIFT_DAYS", "0")),
        help="Start every test's frozen clock this many days after the real date.",
    )


def pytest_configure(config):
    global _start
    shift = datetime.timedelta(days=config.getoption("--clock-shift-days"))
    _start = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + shift


def pytest_report_header(config):
    return f"frozen clock starts at {_start:%Y-%m-%d %H:%M:%S} UTC"


def start() -> datetime.datetime:
    """Where every test's clock starts: the same instant for the whole run."""
    assert _start is not None, "tests.clock is a pytest plugin: load it with -p tests.clock"
    return _start


def next_weekday(weekday: int, *, hour: int = 9) -> datetime.datetime:
    """The first `weekday` (0 = Monday) after the start, at `hour` UTC: for working-day rules."""
    day = start().date() + datetime.timedelta(days=1)
    while day.weekday() != weekday:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    """Autouse, so it is set before any fixture writes a time (pytest runs autouse fixtures first)."""
    with time_machine.travel(start(), tick=False) as traveller:
        yield traveller
