"""Running a check of untrusted input in a child process that hard limits bound.

The child is forked, so it starts with the parent's modules, settings and caches (the issued
pages already rendered), and sets its own limits before it touches the input: address space
(RLIMIT_AS, counted above what it inherited) and CPU seconds (RLIMIT_CPU: SIGXCPU, then SIGKILL).
The parent waits at most `seconds` of wall-clock time and kills the child after that. Whatever
the input does (a decompression bomb, a parser that loops), only the child dies.

Only the forking thread lives on in the child: a library with a thread pool must not have one
running when the process forks (the caller runs OpenCV on one thread, see quarantine.py).
The child never uses the parent's database connection or broker: it returns a picklable value
through a pipe and leaves with os._exit, so no inherited connection is closed or written to.
"""

import contextlib
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from .scan_compare import PDFIUM_LOCK


class LimitExceeded(Exception):
    """The child ran out of time, memory or CPU, or died, before it returned a result."""


def run_limited(function: Callable[..., Any], *args, seconds: float, memory_bytes: int, cpu_seconds: int) -> Any:
    """`function(*args)` in a forked child; its result, or the exception it raised, re-raised here."""
    read_end, write_end = os.pipe()
    # No thread of this process is inside PDFium while it forks: the child's copy is consistent.
    with PDFIUM_LOCK:
        pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_end)
            _limit(memory_bytes, cpu_seconds)
            try:
                outcome = ("result", function(*args))
            except BaseException as error:  # every failure goes back to the parent
                outcome = ("error", error)
            try:
                payload = pickle.dumps(outcome)
            except Exception as error:  # an exception that does not pickle
                payload = pickle.dumps(("error", RuntimeError(repr(error))))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        payload = _read_until(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
        if payload is None:
            _kill(pid)
        os.waitpid(pid, 0)
    if not payload:
        raise LimitExceeded(
            f"the check stopped before it finished (limits: {seconds:.0f} s, {memory_bytes // 1_000_000} MB)"
        )
    kind, value = pickle.loads(payload)
    if kind == "error":
        if isinstance(value, MemoryError):
            raise LimitExceeded("the check needed more memory than it is allowed")
        raise value
    return value


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    inherited = _address_space()
    resource.setrlimit(resource.RLIMIT_AS, (inherited + memory_bytes, inherited + memory_bytes))


def _address_space() -> int:
    """The bytes of address space this process holds now (Linux: /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe; None when the deadline passes first."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
