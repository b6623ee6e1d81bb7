"""Periodic work in small committed batches, so that a sweep never keeps the applicants from writing.

A sweep writes batch by batch, each batch in its own short transaction. That alone is not enough on
SQLite: one writer at a time, and a writer that finds the database locked only tries again now and
then (its busy handler sleeps up to 100 ms between tries), so a sweep committing one batch straight
after another wins the lock every time and an applicant's POST waits until it fails with "database
is locked". Between two batches the sweep therefore steps aside for SWEEP_PAUSE_SECONDS, longer
than that sleep, so whoever waits gets the lock. PostgreSQL locks rows, not the database: there the
pause is 0 and the batches only keep each transaction short.
"""

import time
from collections.abc import Iterator, Sequence
from typing import TypeVar

from django.conf import settings
from django.db import close_old_connections, connection

T = TypeVar("T")


def in_batches(items: Sequence[T], *, size: int | None = None) -> Iterator[Sequence[T]]:
    """`items` in slices of `size` (SWEEP_BATCH_SIZE), stepping aside between two slices.

    The caller writes each slice in one transaction of its own; nothing is committed for it here.
    """
    size = size or settings.SWEEP_BATCH_SIZE
    for start in range(0, len(items), size):
        if start:
            step_aside()
        yield items[start : start + size]


def step_aside() -> None:
    """Let other writers in between two batches; and, in a long sweep, replace a broken connection.

    Inside a transaction (a test's, or a caller's) there is no lock to release and no connection to
    replace: nothing to do.
    """
    if connection.in_atomic_block:
        return
    if settings.SWEEP_PAUSE_SECONDS:
        time.sleep(settings.SWEEP_PAUSE_SECONDS)
    # What Django does between two requests: the next batch gets a working connection (health check).
    close_old_connections()
