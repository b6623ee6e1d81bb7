"""The reviewers' queue at 100,000 requests, on SQLite and on PostgreSQL. Run by `make bench`.

Target: every scenario's median (p50) at most 4× the dataset list's, the baseline measured
alternately with it (list, scenario, list, scenario...) so that the load of a shared machine falls
on both alike; and the search that matches every request at most 50 ms. Each database is made,
filled (bench/harness/data.py) and dropped by the run itself.

    python bench/review_queue.py            # SQLite, then PostgreSQL (DATABASE_URL's server, or local)
    BENCH_SMOKE=1 python bench/review_queue.py   # a few hundred rows: proves it runs, enforces nothing
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project and bench/ must be importable

from bench.harness import data  # noqa: E402
from bench.report import child_exit, child_met, exit_code, row, size  # noqa: E402

BENCH = "review_queue"
ROWS = size(100_000, 300)
RUNS = size(41, 3)
RATIO = 4
BROAD_SEARCH_MS = 50
SCENARIOS = [
    ("under review, page 1", {}),
    ("all statuses, page 1", {"status": ""}),
    ("waiting longer than promised", {"overdue": "on"}),
    ("all statuses, page 200", {"status": "", "after": "<the 9,950th request>"}),
    ("search 'university 123' (220 found)", {"status": "", "q": "university 123"}),
    ("search 'rep77' (1,111 found)", {"status": "", "q": "rep77"}),
    ("search 'university' (every request)", {"status": "", "q": "university"}),
    ("search '12' (two characters)", {"status": "", "q": "12"}),
    ("search a whole reference", {"status": "", "q": "bench-2026-0000321"}),
    ("mine, all statuses", {"status": "", "assigned": "mine"}),
]


def alternating_p50(client, baseline: str, url: str, params: dict) -> tuple[float, float]:
    """p50 in ms of the baseline page and of `url`, requested in turn so both see the same machine."""
    for _ in range(2):  # warm: templates, query plans, caches
        assert client.get(baseline).status_code == 200
        assert client.get(url, params).status_code == 200
    base, page = [], []
    for _ in range(RUNS):
        for times, args in ((base, (baseline,)), (page, (url, params))):
            started = time.perf_counter()
            client.get(*args)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(base), statistics.median(page)


def bench_one(url: str) -> bool:
    data.setup_django(url)
    from django.db import connection
    from django.test import Client

    from requests_app.models import LicenseRequest
    from requests_app.review.selectors import queue_cursor

    def queue_order():
        return LicenseRequest.objects.exclude(status="draft").order_by("submitted_at", "pk")

    dataset, reviewer, seconds = data.populate(ROWS)
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps
    row(BENCH, f"{vendor}: made {ROWS:,} requests and their events", f"{seconds:.1f} s", "", None)
    client = Client()
    client.force_login(reviewer)
    met = True
    for label, params in SCENARIOS:
        if "after" in params:  # page 200 as "Next" links reach it: after the last row of page 199
            deep = queue_order()[size(9_949, 60)]
            params = {**params, "after": queue_cursor(request=deep)}
        base, p50 = alternating_p50(client, "/", "/review/", params)
        ratio = p50 / base
        met &= row(
            BENCH,
            f"{vendor}: queue {label}",
            f"{p50:.1f} ms = {ratio:.1f}× list",
            f"≤ {RATIO}× list ({base:.1f} ms)",
            ratio <= RATIO,
        )
        if params.get("q") == "university":
            met &= row(
                BENCH,
                f"{vendor}: search matching every request",
                f"{p50:.1f} ms",
                f"≤ {BROAD_SEARCH_MS} ms",
                p50 <= BROAD_SEARCH_MS,
            )
    return met


def main() -> int:
    if len(sys.argv) > 1:  # the child: one database, already created
        return child_exit(bench_one(sys.argv[1]))
    print(f"review queue, {ROWS:,} requests, p50 of {RUNS} runs, each beside the dataset list:")
    met = True
    for url in data.database_urls(BENCH):
        vendor = url.split(":", 1)[0]
        problem = data.create(url)
        if problem:
            row(BENCH, f"{vendor}: skipped", problem[:60], "", None)
            continue
        try:
            returncode = subprocess.run([sys.executable, __file__, url]).returncode
        finally:
            data.drop(url)
        child = child_met(returncode)
        if child is None:
            return 2  # a crash fails even a smoke run
        met &= child
    return exit_code(met)


if __name__ == "__main__":
    sys.exit(main())
