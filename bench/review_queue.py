"""The reviewers' queue at 100,000 requests, on SQLite and on PostgreSQL. Run by `make bench`.

Target: the queue page's median (p50) at or under 50 ms. Each figure is printed beside a baseline
measured in the same run (the dataset list, a page with almost no database work), so a slow machine
shows as a slow baseline, not as a slow queue.

    python bench/review_queue.py                        # both databases
    python bench/review_queue.py sqlite:///var/x.db     # one database (the data is kept for the next run)

PostgreSQL: postgres://postgres@127.0.0.1:5432/portal_queue_bench (created when missing); skipped,
with a message, when the server is not reachable.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project must be importable

import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "40"))
TARGET_MS = 50
DATABASES = [
    f"sqlite:///{ROOT / 'var' / 'bench-queue.sqlite3'}",
    "postgres://postgres@127.0.0.1:5432/portal_queue_bench",
]


def ensure_postgres_database(url: str) -> bool:
    import psycopg

    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable, skipped: {error}".strip())
        return False
    return True


def populate(rows: int) -> None:
    """Requests spread over two years and every status, as a popular dataset would have them."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from requests_app.agreements import load_dataset_file
    from requests_app.models import LicenseRequest

    dataset = load_dataset_file(ROOT / "datasets" / "lagper.toml").dataset
    User = get_user_model()
    reviewer, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"email": "bob@bench.example"})
    dataset.reviewers.add(reviewer)
    existing = LicenseRequest.objects.count()
    if existing >= rows:
        return reviewer
    applicants = User.objects.bulk_create(
        User(username=f"bench-applicant-{existing}-{i}", email=f"applicant{existing}-{i}@bench.example")
        for i in range(1000)
    )
    statuses = [s for s in LicenseRequest.Status.values if s != LicenseRequest.Status.DRAFT]
    now, version = timezone.now(), dataset.current_agreement
    started = time.perf_counter()
    for start in range(existing, rows, 5000):
        LicenseRequest.objects.bulk_create(
            LicenseRequest(
                reference=f"BENCH-2026-{i:07d}", applicant=applicants[i % len(applicants)], dataset=dataset,
                agreement_version=version, status=statuses[i % len(statuses)],
                submitted_at=now - datetime.timedelta(minutes=(i * 7) % (2 * 365 * 24 * 60)),
                representative_name=f"REPRESENTATIVE {i}", organisation=f"UNIVERSITY {i % 5000}",
                email=f"rep{i}@bench.example", research_purpose="Benchmarking.",
            )
            for i in range(start, min(start + 5000, rows))
        )
    print(f"  populated {rows - existing} requests in {time.perf_counter() - started:.1f} s")
    return reviewer


def p50_ms(client, url: str, params: dict) -> tuple[float, float]:
    for _ in range(3):
        assert client.get(url, params).status_code == 200
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def bench_one(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url, DEBUG="false", SECRET_KEY="bench-only", LOG_LEVEL="WARNING",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    reviewer = populate(ROWS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps: visibility map set
    client = Client()
    client.force_login(reviewer)
    print(f"{connection.vendor}, {ROWS:,} requests, {RUNS} runs each, p50 / p95 in ms:")
    baseline, _ = p50_ms(client, "/", {})
    print(f"  {'baseline: dataset list':44} {baseline:7.1f}")
    scenarios = [
        ("queue: under review, page 1", {}),
        ("queue: all statuses, page 1", {"status": ""}),
        ("queue: waiting longer than promised", {"overdue": "on"}),
        ("queue: all statuses, page 200", {"status": "", "page": "200"}),
        ("queue: search 'university 123' (220 found)", {"status": "", "q": "university 123"}),
        ("queue: search 'rep77' (1,111 found)", {"status": "", "q": "rep77"}),
        ("queue: search 'university' (every request)", {"status": "", "q": "university"}),
        ("queue: search '12', too short for trigrams", {"status": "", "q": "12"}),
        ("queue: search a whole reference", {"status": "", "q": "bench-2026-0054321"}),
    ]
    for label, params in scenarios:
        p50, p95 = p50_ms(client, "/review/", params)
        verdict = "ok" if p50 <= TARGET_MS else f"OVER the {TARGET_MS} ms target"
        print(f"  {label:44} {p50:7.1f} / {p95:6.1f}   x{p50 / baseline:4.1f} baseline   {verdict}")


def main() -> None:
    if len(sys.argv) > 1:
        bench_one(sys.argv[1])
        return
    (ROOT / "var").mkdir(exist_ok=True)
    for url in DATABASES:
        if url.startswith("postgres") and not ensure_postgres_database(url):
            continue
        subprocess.run([sys.executable, __file__, url], check=True)


if __name__ == "__main__":
    main()
