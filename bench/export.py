"""The reviewers' two CSV exports at 200,000 rows: rows per second, and whether the file is whole.

Target: each export streams at least 50,000 rows/s (so 200,000 audit events take ~4 s, far inside a
gunicorn worker's 30 s timeout), and its last line is the footer that counts every row.

On SQLite, then on PostgreSQL (each in its own process, bench/harness/data.py's each_database),
builds a throw-away database (SQLite file var/bench-export.sqlite3, or bench_<name> on the
PostgreSQL server), fills it with 200,000 requests and 200,000 audit events, downloads each
export as a reviewer would (all statuses) and drops the database. BENCH_SMOKE=1: 2,000 rows.
"""

import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["MFA_REQUIRED_FOR_STAFF"] = "false"  # the bench's reviewer signs in with force_login

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.harness import data  # noqa: E402
from bench.report import exit_code, row, size  # noqa: E402

BENCH = "export"
ROWS = size(200_000, 2_000)
TARGET_ROWS_PER_SECOND = 50_000


def build(rows: int):
    """`rows` requests under review, one audit event each; returns their reviewer.

    The first thousand requests are made by the ORM; SQL then copies them (new reference and token)
    until there are `rows`: seconds, where the ORM took minutes. The events are inserted as plain
    rows, each hashed onto its request's (new, empty) chain as the model would.
    """
    from requests_app.agreement_format.loading import load_dataset_file
    from requests_app.audit.chain import GENESIS, event_hash
    from requests_app.models import LicenseRequest, RequestEvent

    dataset = load_dataset_file(ROOT / "datasets" / "lagper.toml").dataset
    User = get_user_model()
    reviewer = User.objects.create(username="bench-reviewer", email="bob@bench.example")
    dataset.reviewers.add(reviewer)
    applicants = User.objects.bulk_create(
        User(username=f"bench{i}", email=f"bench{i}@uni.example") for i in range(1000)
    )
    now, version = timezone.now(), dataset.current_agreement
    made = min(rows, 1000)
    LicenseRequest.objects.bulk_create(
        LicenseRequest(
            reference=f"BENCH-2026-{i:06d}",
            token=f"bench{i:06d}",
            applicant=applicants[i],
            dataset=dataset,
            agreement_version=version,
            status="under_review",
            submitted_at=now - datetime.timedelta(minutes=i),
            representative_name=f"PROF. REPRESENTATIVE {i}",
            organisation=f"UNIVERSITY {i}",
            unit="Vision Lab",
            address="1 UNIVERSITY ROAD",
            email=f"rep{i}@bench.example",
            research_purpose="Benchmarking person re-identification.",
        )
        for i in range(made)
    )
    quote = connection.ops.quote_name
    table = quote(LicenseRequest._meta.db_table)
    columns = [f.column for f in LicenseRequest._meta.concrete_fields if not f.primary_key and not f.generated]
    with connection.cursor() as cursor:
        copy = 1
        while made < rows:
            copied = min(made, rows - made)
            select = ", ".join(f"{quote(c)} || '-{copy}'" if c in ("reference", "token") else quote(c) for c in columns)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
                f"SELECT {select} FROM {table} ORDER BY id LIMIT {copied}"
            )
            made, copy = made + copied, copy + 1
    note, ip = "Signed copy uploaded: every page of this agreement.", "203.0.113.7"
    events = []
    for request_id, actor_id, at in LicenseRequest.objects.values_list("pk", "applicant_id", "submitted_at"):
        digest = event_hash(
            request_id=request_id,
            seq=1,
            actor_id=actor_id,
            from_status="awaiting_signature",
            to_status="under_review",
            note=note,
            at=at,
            ip=ip,
            prev_hash=GENESIS,
        )
        events.append(
            (
                request_id,
                actor_id,
                "awaiting_signature",
                "under_review",
                note,
                at,
                ip,
                1,
                GENESIS,
                digest,
                "signed_copy_record",
            )
        )
    fields = [
        "request",
        "actor",
        "from_status",
        "to_status",
        "note",
        "at",
        "ip",
        "seq",
        "prev_hash",
        "hash",
        "transition",
    ]
    columns = [RequestEvent._meta.get_field(name).column for name in fields]
    at_field = RequestEvent._meta.get_field("at")
    events = [(*e[:5], at_field.get_db_prep_save(e[5], connection), *e[6:]) for e in events]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(RequestEvent._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            events,
        )
        if connection.vendor == "postgresql":
            # A table filled in one go has no statistics until autovacuum next analyses it, and
            # without them PostgreSQL plans the export's joins for a handful of rows (a nested loop
            # reading every account for every request: 7 s, not 0.2 s). A live database has them.
            cursor.execute("ANALYZE")
    return reviewer


def download(client: Client, url: str) -> tuple[float, float, list[str]]:
    """(wall seconds, CPU seconds of this process, the file's lines) of one download."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url, {"status": ""})
    body = b"".join(response.streaming_content)
    return time.perf_counter() - started, time.process_time() - cpu, body.decode().splitlines()


def main() -> int:
    db = settings.DATABASES["default"]
    db["TEST"]["NAME"] = (
        str(settings.VAR_DIR / "bench-export.sqlite3") if connection.vendor == "sqlite" else f"bench_{db['NAME']}"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        reviewer = build(ROWS)
        print(
            f"[{connection.vendor}] {ROWS:,} requests and {ROWS:,} audit events built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client = Client()
        client.force_login(reviewer)
        all_met = True
        for name, url in [
            ("requests", reverse("review:export_requests")),
            ("audit trail", reverse("review:export_events")),
        ]:
            download(client, url)  # warm: the first query of a table reads it from disk
            seconds, cpu_seconds, lines = download(client, url)
            whole = len(lines) == ROWS + 2 and lines[-1] == f"# complete: {ROWS} rows"
            per_second = ROWS / seconds
            all_met &= row(
                BENCH,
                f"{connection.vendor}: {name} export, {ROWS:,} rows, complete",
                "yes" if whole else f"NO ({len(lines):,} lines)",
                "footer counts all",
                whole,
            )
            all_met &= row(
                BENCH,
                f"{connection.vendor}: {name} export, rows/s",
                f"{per_second:,.0f} ({seconds:.2f} s)",
                f"≥ {TARGET_ROWS_PER_SECOND:,}",
                per_second >= TARGET_ROWS_PER_SECOND,
            )
            # For scale on a shared machine: the same export per second of this process's own CPU
            # (on SQLite that includes the database's work; on PostgreSQL it does not).
            row(
                BENCH,
                f"{connection.vendor}: {name} export, rows per CPU second",
                f"{ROWS / cpu_seconds:,.0f}",
                "",
                None,
            )
        return exit_code(all_met)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main() if os.environ.get(data.ONE_DATABASE) else data.each_database(__file__))
